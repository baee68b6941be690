"""serverless.yml.example deploys on the embedded emulator (`fn deploy --local`), with every trigger type."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port

EXAMPLE = Path(__file__).resolve().parents[2] / "serverless.yml.example"


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
    shutil.copy(EXAMPLE, project.root / "serverless.yml")
    shutil.copytree(EXAMPLE.parent / "example", project.root / "example")
    sources = subprocess.run(
        [sys.executable, "example/sources.py", "--local"], cwd=project.root, check=False, capture_output=True, text=True
    )
    assert sources.returncode == 0, sources.stderr

    deployed = project.fn("deploy", "--local", "--yes")
    assert deployed.exit_code == 0, deployed.stderr + deployed.stdout
    assert "HTTP API: " in deployed.stdout and "REST API: " in deployed.stdout
    info = project.fn("info", "--local", "--json").json
    endpoints = info["endpoints"]
    assert {r["route"] for r in endpoints["http_api"]["routes"]} == {"GET /hello", "GET /me"}
    assert endpoints["rest_api"]["url"].endswith("/dev")
    assert set(endpoints["function_urls"]) == {"hello"}
    again = project.fn("deploy", "--local", "--yes")
    assert again.exit_code == 0 and "No changes" in again.stdout, again.stdout
    assert project.fn("remove", "--local", "--yes").exit_code == 0
