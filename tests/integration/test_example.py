"""serverless.yml.example deploys on the embedded emulator (`fn deploy --local`), with every trigger type."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from tests.conftest import HELLO_HANDLER

EXAMPLE = Path(__file__).resolve().parents[2] / "serverless.yml.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def emulator(tmp_path_factory, monkeypatch):
    from fnship.local import emulator as local

    monkeypatch.setenv("FN_LOCAL_PORT", str(free_port()))
    monkeypatch.setenv("FN_STATE_DIR", str(tmp_path_factory.mktemp("state")))  # not in the project: it is packaged
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "FN_LOCAL"):
        monkeypatch.delenv(key, raising=False)
    status = local.start()
    yield status.endpoint
    local.stop()


def test_the_example_deploys_on_the_local_emulator(emulator, project):
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    session.client("sqs", endpoint_url=emulator).create_queue(
        QueueName="example-orders", Attributes={"VisibilityTimeout": "60"}
    )
    session.client("kinesis", endpoint_url=emulator).create_stream(StreamName="example-clicks", ShardCount=1)
    shutil.copy(EXAMPLE, project.root / "serverless.yml")
    project.write("handler.py", HELLO_HANDLER)

    deployed = project.fn("deploy", "--local", "--yes")
    assert deployed.exit_code == 0, deployed.stderr + deployed.stdout
    assert "HTTP API: " in deployed.stdout and "REST API: " in deployed.stdout
    info = project.fn("info", "--local", "--json").json
    endpoints = info["endpoints"]
    assert {r["route"] for r in endpoints["http_api"]["routes"]} == {"GET /todos", "GET /me"}
    assert endpoints["rest_api"]["url"].endswith("/dev")
    assert set(endpoints["function_urls"]) == {"api"}
    changes = project.fn("plan", "--local", "--json").json["plan"]["changes"]
    triggers = {c["address"] for c in changes}
    # The public URL's two statements: the emulator drops their conditions, so they always plan an update.
    assert triggers == {"permission.api.url.live", "permission.api.url.live-invoke"}
    assert project.fn("remove", "--local", "--yes").exit_code == 0
