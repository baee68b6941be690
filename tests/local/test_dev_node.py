"""`fn dev` with a Node.js function: the node-http-api blueprint (a TypeScript httpApi handler, bundled with esbuild)
served by a real `fn dev` subprocess, asked with a real HTTP client, and a saved change answered cold."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.local.dev_harness import DevProcess

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None, reason="needs node (apt-get install nodejs)"),
    pytest.mark.network,  # esbuild comes from the npm registry on first use (checksum verified)
]


@pytest.fixture
def node_service(project, tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    created = project.fn("init", "node-http-api", str(root), "--name", "nodedev")
    assert created.exit_code == 0, created.stderr
    assert "  npm test             # the unit tests" in created.stderr  # the blueprint's own test command
    return root


def test_fn_dev_serves_the_typescript_http_api_and_picks_up_a_save(node_service: Path, tmp_path: Path):
    dev = DevProcess(node_service, "--no-events", state=tmp_path / "state")
    try:
        dev.ready()
        assert dev.wait_for("GET  ").endswith("/hello  -> api")  # the route table names the Node function
        hello = dev.get("/hello?name=fnship")
        assert hello.status == 200, (hello.status, hello.body, dev.output())
        assert hello.headers["content-type"] == "application/json" and hello.json == {"message": "hello, fnship"}
        item = dev.get("/items/42")
        assert item.status == 200 and item.json == {"id": "42"}, dev.output()
        assert dev.wait_for("\tINFO\thello { name: 'fnship' }")  # the handler's console.log, as Lambda logs it
        assert dev.get("/nothing-here").status == 404

        source = node_service / "src" / "api.ts"
        source.write_text(source.read_text().replace("hello, ${name}", "saved, ${name}"))
        dev.wait_for("api: code changed")
        again = dev.get("/hello?name=fnship")
        assert again.status == 200 and again.json == {"message": "saved, fnship"}, dev.output()
        assert dev.interrupt() == 130  # Ctrl-C, as every command reports it
    finally:
        dev.close()
