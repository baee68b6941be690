"""Every blueprint as a new user meets it: fn init, its own unit tests, fn validate, fn deploy to the moto server,
and fn invoke --local once that command exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fnship.init import list_blueprints
from tests.conftest import Project

BLUEPRINTS = [b.name for b in list_blueprints()]
SERVICE = "starter"


def test_the_issue_s_blueprints_all_exist():
    assert set(BLUEPRINTS) == {
        "http-api",
        "sqs-worker",
        "s3-processor",
        "scheduled-job",
        "dynamodb-stream",
        "container-image",
    }


def prepare_aws(blueprint: str, moto, monkeypatch) -> None:
    """What each blueprint's README asks the user to create first (fnship does not create queues, buckets, tables)."""
    if blueprint == "sqs-worker":
        moto.client("sqs").create_queue(QueueName=f"{SERVICE}-jobs")
    elif blueprint == "s3-processor":
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


def run_unit_tests(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )


def has_command(name: str) -> bool:
    from fnship.cli.app import build_app

    return any((c.name or c.callback.__name__) == name for c in build_app().registered_commands)


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_blueprint_inits_validates_tests_and_deploys(blueprint, moto, project, monkeypatch):
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
    if blueprint == "container-image" and deployed.exit_code != 0:
        pytest.skip(
            "image: functions cannot deploy yet: building and pushing the image lands with issue 7 "
            f"(deploy said: {deployed.json['error']['message'].splitlines()[0]})"
        )
    assert deployed.exit_code == 0, deployed.stderr
    assert deployed.json["ok"] and deployed.json["applied"]

    lam = moto.client("lambda")
    functions = [f for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith(f"{SERVICE}-dev-")]
    assert len(functions) == 1
    alias = lam.get_alias(FunctionName=functions[0]["FunctionName"], Name="live")
    assert alias["FunctionVersion"] == "1"

    again = service.fn("plan", "--exit-code")
    assert again.exit_code == 0, again.stdout + again.stderr  # a fresh deploy converges: nothing left to do

    if has_command("invoke"):
        key = functions[0]["FunctionName"].removeprefix(f"{SERVICE}-dev-")
        invoked = service.fn("invoke", "--local", "-f", key)
        assert invoked.exit_code == 0, invoked.stderr
