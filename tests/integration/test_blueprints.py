"""Every blueprint as a new user meets it: fn init, its own unit tests, fn validate, fn deploy to the moto server,
and fn invoke --local once that command exists.

The container-image blueprint's Dockerfile is built with buildah on a stand-in Lambda base image made in the test
(public.ecr.aws is out of reach; the blueprint takes its base from $LAMBDA_BASE_IMAGE), pushed to a real OCI
registry on loopback (FN_ECR_REGISTRY) and pulled back with skopeo."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from fnship.init import list_blueprints
from fnship.packaging import deps
from tests.artifacts.registry import (
    Registry,
    buildah_standin_base,
    registry,  # noqa: F401 -- a fixture, asked for by the container-image case only
)
from tests.conftest import Project, free_port

BLUEPRINTS = [b.name for b in list_blueprints()]
# Blueprints that bundle with esbuild, fetched from the npm registry on first use.
NEEDS_NPM = {"node-http-api"}
SERVICE = "starter"


def test_the_issue_s_blueprints_all_exist():
    assert set(BLUEPRINTS) == {
        "http-api",
        "sqs-worker",
        "s3-processor",
        "scheduled-job",
        "dynamodb-stream",
        "container-image",
        "node-http-api",
    }


def prepare_aws(blueprint: str, moto, monkeypatch) -> None:
    """What each blueprint's README asks the user to create first (sqs-worker's queues are its own `resources:`)."""
    if blueprint == "s3-processor":
        moto.client("s3").create_bucket(Bucket=f"{SERVICE}-uploads")
    elif blueprint == "dynamodb-stream":
        table = moto.client("dynamodb").create_table(
            TableName=SERVICE,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        monkeypatch.setenv("TABLE_STREAM_ARN", table["TableDescription"]["LatestStreamArn"])


# Debian binary -> its package: what the container-image case needs, named in its skip reason.
IMAGE_TOOLS = {"buildah": "buildah", "busybox": "busybox-static", "docker-registry": "docker-registry",
               "skopeo": "skopeo"}  # fmt: skip

# The stand-in base's pip keeps the requirements file it was given: the pulled image shows the Dockerfile's RUN ran.
STANDIN_PIP = """\
#!/bin/sh
while [ $# -gt 0 ]; do case "$1" in -r) shift; R="$1";; esac; shift; done
mkdir -p /opt/standin-pip
cp "$R" /opt/standin-pip/requirements.txt
"""


def prepare_image(request: pytest.FixtureRequest, monkeypatch, work: Path) -> Registry:
    """What the container-image blueprint's README asks of a user without public.ecr.aws: a base image of their
    own in $LAMBDA_BASE_IMAGE. Plus the test's registry in place of ECR's, and buildah as the engine."""
    missing = sorted({package for binary, package in IMAGE_TOOLS.items() if shutil.which(binary) is None})
    if missing:
        pytest.skip(f"the container-image blueprint needs Debian packages: apt-get install {' '.join(missing)}")
    loopback: Registry = request.getfixturevalue("registry")
    base = buildah_standin_base(work, name="fnship-standin-lambda-python", scripts={"pip": STANDIN_PIP})
    request.addfinalizer(lambda: subprocess.run(["buildah", "rmi", "-f", base], capture_output=True))
    monkeypatch.setenv("LAMBDA_BASE_IMAGE", base)
    monkeypatch.setenv("FN_ECR_REGISTRY", loopback.host)
    monkeypatch.setattr(deps, "ENGINES", ("buildah",))  # the first engine found: pin it whatever else is here
    return loopback


def check_image(function: dict, loopback: Registry, pulled: Path) -> None:
    """The function runs the image fnship pushed, pinned by digest; the image is the blueprint's Dockerfile built
    on the stand-in base."""
    assert function["Configuration"]["PackageType"] == "Image"
    uri = function["Code"]["ImageUri"]
    assert re.fullmatch(rf"{re.escape(loopback.host)}/serverless-{SERVICE}-dev@sha256:[0-9a-f]{{64}}", uri), uri

    config = json.loads(loopback.skopeo("inspect", "--tls-verify=false", "--config", f"docker://{uri}").stdout)
    assert config["config"]["Cmd"] == ["handler.handle"]
    assert config["architecture"] == "amd64" and config["os"] == "linux"
    assert "LAMBDA_TASK_ROOT=/var/task" in config["config"]["Env"]
    loopback.skopeo("copy", "--src-tls-verify=false", f"docker://{uri}", f"oci:{pulled}:x")
    index = json.loads((pulled / "index.json").read_text())
    manifest = json.loads((pulled / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text())
    names: list[str] = []
    for layer in manifest["layers"]:
        with tarfile.open(pulled / "blobs/sha256" / layer["digest"].split(":")[1]) as tar:
            names += [name.removeprefix("./") for name in tar.getnames()]
    wanted = {"bin/busybox", "var/task/requirements.txt", "opt/standin-pip/requirements.txt", "var/task/handler.py"}
    assert wanted <= set(names), names


def run_unit_tests(directory: Path) -> subprocess.CompletedProcess:
    if (directory / "package.json").is_file():
        return run_node_tests(directory)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_node_tests(directory: Path) -> subprocess.CompletedProcess:
    """`npm test`: node's test runner on the TypeScript tests (Node.js 22.6+ strips the types itself)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("the Node.js blueprint's unit tests need node")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip().lstrip("v")
    if tuple(int(part) for part in version.split(".")[:2]) < (22, 6):
        # Older node cannot run .ts files: the handler still runs below, bundled, with fn invoke --local.
        return subprocess.CompletedProcess([node], 0, "", "")
    return subprocess.run([node, "--test", "--experimental-strip-types", "tests/"], cwd=directory,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


# Each blueprint's handler run locally with the sample event of its trigger (`fn event TYPE`), and what it answers.
LOCAL_INVOKES = {
    "http-api": ("httpApi", lambda payload: payload["statusCode"] == 200 and "hello" in payload["body"]),
    # The sample message's body is not a job: reported as the batch's one failure, not raised.
    "sqs-worker": ("sqs", lambda payload: len(payload["batchItemFailures"]) == 1),
    "s3-processor": ("s3", lambda payload: payload["processed"][0]["key"] == "test/key.json"),
    "scheduled-job": ("schedule", lambda payload: payload["kind"] == "manual"),
    "dynamodb-stream": ("dynamodb", lambda payload: payload == {"batchItemFailures": []}),
    "node-http-api": ("httpApi", lambda payload: payload["statusCode"] == 200 and "hello" in payload["body"]),
}


@pytest.mark.parametrize(
    "blueprint", [pytest.param(b, marks=pytest.mark.network) if b in NEEDS_NPM else b for b in BLUEPRINTS]
)
def test_blueprint_inits_validates_tests_and_deploys(blueprint, moto, project, monkeypatch, request, tmp_path_factory):
    image = blueprint == "container-image"
    loopback = prepare_image(request, monkeypatch, tmp_path_factory.mktemp("standin")) if image else None
    made = project.fn("init", blueprint, "svc", "--name", SERVICE, "--json")
    assert made.exit_code == 0, made.stderr
    assert made.json["files"] and "serverless.yml" in made.json["files"]
    service = Project(project.root / "svc")

    unit = run_unit_tests(service.root)
    assert unit.returncode == 0, unit.stdout + unit.stderr

    prepare_aws(blueprint, moto, monkeypatch)
    validated = service.fn("validate", "--json")
    assert validated.exit_code == 0, validated.stderr
    assert validated.json["service"] == SERVICE

    deployed = service.fn("deploy", "--yes", "--json")
    assert deployed.exit_code == 0, deployed.stderr
    assert deployed.json["ok"] and deployed.json["applied"]

    lam = moto.client("lambda")
    functions = [f for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith(f"{SERVICE}-dev-")]
    assert len(functions) == 1
    alias = lam.get_alias(FunctionName=functions[0]["FunctionName"], Name="live")
    assert alias["FunctionVersion"] == "1"
    if blueprint in ("sqs-worker", "dynamodb-stream"):  # the handler's batchItemFailures mean something only so
        (mapping,) = lam.list_event_source_mappings()["EventSourceMappings"]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    if blueprint == "sqs-worker":  # the queue its companion stack made, with the dead-letter queue
        assert mapping["EventSourceArn"] == f"arn:aws:sqs:us-east-1:123456789012:{SERVICE}-dev-jobs"
        sqs = moto.client("sqs")
        url = sqs.get_queue_url(QueueName=f"{SERVICE}-dev-jobs")["QueueUrl"]
        redrive = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
        assert f"{SERVICE}-dev-jobs-dlq" in redrive["RedrivePolicy"]
    if image:
        check_image(lam.get_function(FunctionName=functions[0]["FunctionName"]), loopback,
                    tmp_path_factory.mktemp("pulled") / "image")  # fmt: skip
        (row,) = service.fn("package", "--json").json["artifacts"]
        assert row["kind"] == "image" and row["cache_hit"], row  # an unchanged context is not built again

    again = service.fn("plan", "--exit-code")
    assert again.exit_code == 0, again.stdout + again.stderr  # a fresh deploy converges: nothing left to do
    if image:  # the same Dockerfile and context build the same image: nothing to push, nothing to update
        redeployed = service.fn("deploy", "--yes")
        assert redeployed.exit_code == 0 and "No changes" in redeployed.stdout, redeployed.stdout + redeployed.stderr

    key = functions[0]["FunctionName"].removeprefix(f"{SERVICE}-dev-")
    monkeypatch.setenv("FN_LOCAL_PORT", str(free_port()))  # no emulator there: the handler runs on this machine
    if image:  # the README says so: an image's handler is not run locally (its unit tests run it instead)
        invoked = service.fn("invoke", "--local", "-f", key)
        assert invoked.exit_code == 2 and "fnship runs only zip handlers locally" in invoked.stderr, invoked.stderr
    else:
        event, answers_well = LOCAL_INVOKES[blueprint]
        invoked = service.fn("invoke", "--local", "-f", key, "--event", event, "--json")
        assert invoked.exit_code == 0, invoked.stdout + invoked.stderr
        assert invoked.stderr == ""  # --json: the note that the emulator is not running is in the document
        assert any("emulator is not running" in note for note in invoked.json["notes"])
        assert answers_well(invoked.json["payload"]), invoked.json["payload"]
