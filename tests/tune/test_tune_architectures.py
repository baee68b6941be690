"""`fn tune --architecture`: each architecture is measured on the function's code with its native dependencies
built for that architecture (the packaging build for it), not on the zip of the other: uv's installs here are the
packaging tests' stand-in (tests/packaging/fakes.py), which tags what it installs with the platform asked for."""

from __future__ import annotations

import io
import zipfile

import pytest

from fnship import pipeline, tune
from fnship.errors import FnError
from fnship.packaging import deps
from tests.packaging.fakes import FakeInstaller
from tests.tune.test_tune_cmd import FUNCTION, latest, ssm_names, versions


def wheel_tags(zipped: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        return {
            name.split("/", 1)[0]: archive.read(name).decode().strip()
            for name in archive.namelist()
            if name.endswith(".dist-info/WHEEL")
        }


def test_each_architecture_is_measured_with_dependencies_built_for_it(double, deployed, moto):
    before_versions, before_latest = versions(moto), latest(moto)
    deployed.write("requirements.txt", "fastjson==1.0\n")
    loaded = pipeline.load(pipeline.Options(config=deployed.root / "serverless.yml"))
    fake = FakeInstaller()
    tools = deps.Tools(runner=fake)

    def code_for(architecture: str) -> bytes:
        return tune.zip_for(loaded, "hello", architecture=architecture, code_sha256=None, tools=tools)

    request = tune.Request(memory=(512,), architectures=("x86_64", "arm64"), invocations=3, payload=b"{}")
    live = loaded.aws.lambda_.get_function_or_none(FUNCTION)
    results, _run = tune.run(loaded.aws, tune.Target("demo", "dev", "hello", FUNCTION), request, live=live,
                             prices_for=lambda _arch: None, code_for=code_for)  # fmt: skip
    assert [(r.architecture, len(r.ok)) for r in results] == [("x86_64", 3), ("arm64", 3)]
    # $LATEST moved to arm64 with aarch64 wheels, and back to x86_64 with x86_64 ones.
    assert [(arch, wheel_tags(zipped)) for _name, arch, zipped in double.code_zips] == [
        ("arm64", {"fastjson-1.0.dist-info": "Tag: fake-aarch64-manylinux_2_34"}),
        ("x86_64", {"fastjson-1.0.dist-info": "Tag: fake-x86_64-manylinux_2_34"}),
    ]
    # The manifest's own build output is still the x86_64 one (the other architecture is built beside it).
    own = pipeline.build_dir(loaded.manifest) / "demo.zip"
    assert wheel_tags(own.read_bytes()) == {"fastjson-1.0.dist-info": "Tag: fake-x86_64-manylinux_2_34"}
    # Nothing left: the versions as before, $LATEST's configuration as before (its code is the x86_64 zip above,
    # which differs from the deployed one only by the requirements this test added after deploying).
    assert [v["Version"] for v in versions(moto)] == [v["Version"] for v in before_versions]
    after = latest(moto)
    assert (after["MemorySize"], after["Architectures"]) == (
        before_latest["MemorySize"],
        before_latest["Architectures"],
    )
    assert ssm_names(moto) == []


def test_the_code_must_be_the_code_deployed(double, deployed, moto):
    deployed.write("handler.py", "def hello(event, context):\n    return 'edited'\n")
    loaded = pipeline.load(pipeline.Options(config=deployed.root / "serverless.yml"))
    sha = latest(moto)["CodeSha256"]
    with pytest.raises(FnError, match="differs from the code deployed"):
        tune.zip_for(loaded, "hello", architecture="arm64", code_sha256=sha)
