"""Layers and large zips against the moto server: a layer version is published only when its content changes,
functions move to the new version, and a zip over the direct-upload limit goes through a bucket fnship creates."""

from __future__ import annotations

import pytest

from tests.conftest import HELLO_HANDLER, HELLO_SERVICE

MANIFEST = """\
service: demo
provider:
  name: aws
  runtime: python3.11
package:
  patterns:
    - "!moto_recording"  # the emulator's request log lands in the working directory
layers:
  shared:
    path: layer
    description: shared helpers
functions:
  hello:
    handler: handler.hello
    layers:
      - Ref: SharedLambdaLayer
  world:
    handler: handler.world
    layers:
      - shared
"""


def test_layer_published_once_and_again_only_on_change(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("layer/helpers.py", "X = 1\n")
    project.write("serverless.yml", MANIFEST)
    first = project.fn("deploy", "--yes")
    assert first.exit_code == 0, first.stderr
    lam = moto.client("lambda")
    versions = lam.list_layer_versions(LayerName="demo-dev-shared")["LayerVersions"]
    assert len(versions) == 1
    assert versions[0]["Description"].startswith("fnship sha256:")
    arn = versions[0]["LayerVersionArn"]
    for name in ("demo-dev-hello", "demo-dev-world"):
        layers = lam.get_function(FunctionName=name)["Configuration"]["Layers"]
        assert [layer["Arn"] for layer in layers] == [arn]

    # Unchanged: the plan is empty and nothing is published.
    again = project.fn("deploy", "--yes")
    assert again.exit_code == 0, again.stderr
    assert "No changes" in again.stdout
    assert len(lam.list_layer_versions(LayerName="demo-dev-shared")["LayerVersions"]) == 1

    # Changed content: one new version, both functions move to it.
    project.write("layer/helpers.py", "X = 2\n")
    plan = project.fn("plan", "--json")
    changes = {c["address"]: c["action"] for c in plan.json["plan"]["changes"]}
    assert changes["layer.shared"] == "update"
    assert changes["function.hello"] == "update"
    third = project.fn("deploy", "--yes")
    assert third.exit_code == 0, third.stderr
    versions = lam.list_layer_versions(LayerName="demo-dev-shared")["LayerVersions"]
    assert len(versions) == 2
    newest = max(versions, key=lambda v: v["Version"])["LayerVersionArn"]
    assert [x["Arn"] for x in lam.get_function(FunctionName="demo-dev-hello")["Configuration"]["Layers"]] == [newest]


def test_layer_zip_has_python_prefix(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("layer/helpers.py", "X = 1\n")
    project.write("serverless.yml", MANIFEST)
    result = project.fn("package", "--json")
    assert result.exit_code == 0, result.stderr
    layer = next(r for r in result.json["artifacts"] if r["kind"] == "layer")
    import zipfile

    with zipfile.ZipFile(project.root / layer["path"]) as zf:
        assert zf.namelist() == ["python/helpers.py"]
    function_zip = next(r for r in result.json["artifacts"] if r["kind"] == "zip")
    with zipfile.ZipFile(project.root / function_zip["path"]) as zf:
        assert "layer/helpers.py" not in zf.namelist()  # the layer ships once, in the layer


def test_unknown_layer_reference_is_an_input_error(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", HELLO_SERVICE + "    layers:\n      - Ref: MissingLambdaLayer\n")
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "serverless.yml:8:" in result.stderr and "MissingLambdaLayer is not a layer of this service" in result.stderr


def test_zip_over_direct_upload_limit_goes_through_created_bucket(moto, project, monkeypatch: pytest.MonkeyPatch):
    from fnship.model import artifacts

    monkeypatch.setattr(artifacts, "DIRECT_UPLOAD_LIMIT", 100)  # stands for 50 MB: our zip is ~300 bytes
    project.write_hello_service()
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr
    s3 = moto.client("s3")
    bucket = "fnship-deployments-123456789012-us-east-1"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["fnship:service"] == "demo"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("fnship/demo/dev/")
    code = moto.client("lambda").get_function(FunctionName="demo-dev-hello")
    assert code["Configuration"]["CodeSize"] > 0
