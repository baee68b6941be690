"""Container-image functions end to end: fnship assembles the image without a daemon from a stand-in base image,
pushes it over the registry HTTP API (credentials from ECR GetAuthorizationToken, served by moto) to a real
registry on loopback, and deploys the function with the digest-pinned ImageUri. The image is pulled back with
skopeo and checked."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from tests.artifacts.registry import Registry, push_standin_base

MANIFEST = """\
service: imgsvc
provider:
  name: aws
  runtime: python3.11
  build:
    baseImage: {base}
  ecr:
    images:
      app:
        path: ./
package:
  patterns:
    - "!moto_recording"
functions:
  api:
    handler: app.handler
    image:
      name: app
"""


@pytest.fixture
def image_project(project, registry: Registry, tmp_path_factory, monkeypatch: pytest.MonkeyPatch):
    base = push_standin_base(registry, tmp_path_factory.mktemp("base"), reference="standin/python:3.11")
    project.write("app.py", "def handler(event, context):\n    return 'from the image'\n")
    project.write("serverless.yml", MANIFEST.format(base=base))
    monkeypatch.setenv("FN_ECR_REGISTRY", registry.host)
    return project


def test_assembled_image_is_pushed_pinned_and_pulled_back(moto, image_project, registry: Registry, tmp_path: Path):
    project = image_project
    packaged = project.fn("package", "--json")
    assert packaged.exit_code == 0, packaged.stderr
    (row,) = packaged.json["artifacts"]
    assert row["kind"] == "image" and row["digest"].startswith("sha256:")

    deployed = project.fn("deploy", "--yes")
    assert deployed.exit_code == 0, deployed.stderr + deployed.stdout
    fn = moto.client("lambda").get_function(FunctionName="imgsvc-dev-api")
    assert fn["Configuration"]["PackageType"] == "Image"
    uri = fn["Code"]["ImageUri"]
    assert uri == f"{registry.host}/serverless-imgsvc-dev@{row['digest']}"
    assert moto.client("ecr").describe_repositories()["repositories"][0]["repositoryName"] == "serverless-imgsvc-dev"

    # Pull it back: config (CMD, architecture) and the code layer's content.
    config = json.loads(registry.skopeo("inspect", "--tls-verify=false", "--config", f"docker://{uri}").stdout)
    assert config["config"]["Cmd"] == ["app.handler"]
    assert config["architecture"] == "amd64" and config["os"] == "linux"
    assert "LAMBDA_TASK_ROOT=/var/task" in config["config"]["Env"]
    pulled = tmp_path.parent / (tmp_path.name + "-pulled")
    registry.skopeo("copy", "--src-tls-verify=false", f"docker://{uri}", f"oci:{pulled}:x")
    index = json.loads((pulled / "index.json").read_text())
    manifest = json.loads((pulled / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text())
    names: list[str] = []
    for layer in manifest["layers"]:
        with tarfile.open(pulled / "blobs/sha256" / layer["digest"].split(":")[1]) as tar:
            names += tar.getnames()
    assert "etc/standin-base" in names and "var/task/app.py" in names

    # Unchanged: nothing to do. Changed code: only the code layer is uploaded again.
    again = project.fn("deploy", "--yes")
    assert again.exit_code == 0 and "No changes" in again.stdout, again.stdout
    project.write("app.py", "def handler(event, context):\n    return 'v2'\n")
    plan = project.fn("plan", "--json")
    steps = [(s["type"], s["address"]) for s in plan.json["plan"]["steps"]]
    assert ("image.push", "image.api") in steps and ("function.update_code", "function.api") in steps


def test_push_uploads_only_missing_blobs(image_project, registry: Registry, tmp_path: Path):
    from fnship.manifest import load_manifest
    from fnship.packaging import package_all
    from fnship.packaging.images.push import push_layout
    from fnship.packaging.images.registry import RegistryClient

    manifest = load_manifest(image_project.root / "serverless.yml")
    artifact = package_all(manifest, out_dir=tmp_path / "out").functions["api"]
    client = RegistryClient(registry.host)
    digest, uploaded = push_layout(artifact.image.layout, client, "pushtest", tag="one")
    assert digest == artifact.image.digest
    layers = [d["digest"] for d in json.loads(Path(artifact.image.layout, "blobs/sha256", digest.split(":")[1])
                                              .read_text())["layers"]]  # fmt: skip
    assert len(uploaded) == 2 and layers[0] not in uploaded  # code layer and config; the base blob is mounted
    _digest, uploaded = push_layout(artifact.image.layout, client, "pushtest", tag="again")
    assert uploaded == []  # nothing the registry has is pushed again
    (image_project.root / "app.py").write_text("def handler(event, context):\n    return 2\n")
    manifest = load_manifest(image_project.root / "serverless.yml")
    changed = package_all(manifest, out_dir=tmp_path / "out").functions["api"]
    _digest, uploaded = push_layout(changed.image.layout, client, "pushtest", tag="two")
    assert len(uploaded) == 2 and layers[0] not in uploaded  # the new code layer and config only


def test_same_inputs_give_the_same_image_digest(image_project, tmp_path_factory):
    from fnship.manifest import load_manifest
    from fnship.packaging import package_all

    tmp_path = tmp_path_factory.mktemp("outside-the-project")
    manifest = load_manifest(image_project.root / "serverless.yml")
    a = package_all(manifest, out_dir=tmp_path / "a", cache_dir=tmp_path / "ca").functions["api"]
    b = package_all(manifest, out_dir=tmp_path / "b", cache_dir=tmp_path / "cb").functions["api"]
    assert a.image.digest == b.image.digest


def test_image_reference_to_an_undefined_image_is_an_input_error(project):
    project.write(
        "serverless.yml",
        """\
        service: imgsvc
        provider:
          name: aws
        functions:
          api:
            image:
              name: nope
        """,
    )
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "serverless.yml:7:" in result.stderr
    assert "image 'nope' is not defined in provider.ecr.images" in result.stderr
