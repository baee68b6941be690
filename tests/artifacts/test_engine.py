"""The container-engine paths with buildah (Debian package; no daemon): dependencies built inside a stand-in
Lambda build image, and a Dockerfile image built, exported as an OCI layout and pushed. The stand-in image is made
in the test from busybox-static with a `pip` script that writes a marker package. Skips without buildah."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from fnship.packaging import deps
from fnship.packaging.platforms import Target
from tests.artifacts.registry import Registry, buildah_standin_base

STANDIN_PIP = """\
#!/bin/sh
# stand-in pip: "installs" by writing a module into the -t directory
while [ $# -gt 0 ]; do case "$1" in -t) shift; T="$1";; esac; shift; done
mkdir -p "$T/built_in_container"
echo "BUILT = True" > "$T/built_in_container/__init__.py"
"""


@pytest.fixture(scope="session")
def standin_build_image(tmp_path_factory: pytest.TempPathFactory) -> str:
    if shutil.which("buildah") is None or shutil.which("busybox") is None:
        pytest.skip("needs buildah and busybox-static (apt-get install buildah busybox-static)")
    name = buildah_standin_base(tmp_path_factory.mktemp("standin"), name="fnship-standin-build",
                                scripts={"pip": STANDIN_PIP})  # fmt: skip
    yield name
    subprocess.run(["buildah", "rmi", "-f", name], capture_output=True)


def test_dependencies_built_inside_the_build_image(standin_build_image: str, tmp_path: Path):
    (tmp_path / "requirements.txt").write_text("needs-a-compiler==1.0\n")
    reqs = deps.parse_requirements_file(tmp_path / "requirements.txt")
    tools = deps.Tools(which=lambda n: shutil.which(n) if n == "buildah" else None)
    options = deps.BuildOptions(container="always", build_image=standin_build_image)
    deps.install(reqs, Target("python3.11", "x86_64"), tmp_path / "out", options=options, tools=tools,
                 work=tmp_path / "work")  # fmt: skip
    assert (tmp_path / "out" / "built_in_container" / "__init__.py").read_text() == "BUILT = True\n"
    assert [c[:2] for c in tools.calls] == [["buildah", "from"], ["buildah", "run"], ["buildah", "rm"]]


def test_dockerfile_image_built_with_buildah_and_deployed(
    moto,
    project,
    standin_build_image: str,
    registry: Registry,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("FN_ECR_REGISTRY", registry.host)
    monkeypatch.setattr(deps, "ENGINES", ("buildah",))  # the first engine found: pin it whatever else is here
    project.write("app.py", "def handler(event, context):\n    return 1\n")
    project.write("Dockerfile", f'FROM {standin_build_image}\nCOPY app.py /var/task/\nCMD ["app.handler"]\n')
    project.write(
        "serverless.yml",
        """\
        service: engsvc
        provider:
          name: aws
          ecr:
            images:
              app:
                path: ./
                buildArgs:
                  STAGE: dev
        functions:
          api:
            image:
              name: app
              command:
                - app.handler
        """,
    )
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr + result.stdout
    fn = moto.client("lambda").get_function(FunctionName="engsvc-dev-api")
    uri = fn["Code"]["ImageUri"]
    assert "@sha256:" in uri
    assert fn["Configuration"]["ImageConfigResponse"]["ImageConfig"]["Command"] == ["app.handler"]
    config = json.loads(registry.skopeo("inspect", "--tls-verify=false", "--config", f"docker://{uri}").stdout)
    assert config["config"]["Cmd"] == ["app.handler"]
    again = project.fn("plan", "--json")
    assert again.json["plan"]["changes"] == []  # same Dockerfile and context: same digest, nothing to do
