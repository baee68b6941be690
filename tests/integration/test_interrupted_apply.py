"""Ctrl-C during an apply, against the moto server: the command says what completed, what was cut short and what
did not run (in text and in --json), exits 130, and a re-run converges.

The interrupt is delivered deterministically: a small proxy in front of the moto server raises it in the main
thread (`_thread.interrupt_main`, as a Ctrl-C would) while one chosen request is in flight, then answers it."""

from __future__ import annotations

import _thread
import http.client
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import HELLO_HANDLER

# One function: its steps form one chain, so what runs when the interrupt comes is certain (independent steps of
# several functions would run at the same time).
SERVICE = """\
service: demo
provider:
  name: aws
functions:
  hello:
    handler: handler.hello
"""


class _InterruptingProxy(BaseHTTPRequestHandler):
    upstream: str = ""
    trigger: bytes = b""
    fired: threading.Event

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.trigger and self.trigger in body and not self.fired.is_set():
            self.fired.set()
            _thread.interrupt_main()  # Ctrl-C, while the CLI waits for this answer
        target = urllib.parse.urlparse(self.upstream)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        connection.request(self.command, self.path, body=body, headers=headers)
        answer = connection.getresponse()
        payload = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def interrupting(moto, monkeypatch) -> Iterator[type[_InterruptingProxy]]:
    """Point the CLI at a proxy that interrupts it while the request whose body holds `trigger` is in flight."""
    handler = type("Handler", (_InterruptingProxy,), {"upstream": moto.endpoint, "fired": threading.Event()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    yield handler
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize("json_mode", [False, True])
def test_ctrl_c_during_an_apply_says_what_completed_failed_and_did_not_run(moto, project, interrupting, json_mode):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", SERVICE)
    interrupting.trigger = b'"CodeSha256"'  # PublishVersion, after the function is created
    result = project.fn("deploy", "--yes", *(["--json"] if json_mode else []))

    assert interrupting.fired.is_set()
    assert result.exit_code == 130
    if json_mode:
        document = result.json
        assert document["ok"] is False and document["applied"] is True
        assert document["failed"]["address"] == "alias.hello.live" and document["failed"]["step"] == "version.publish"
        assert "function.hello function.create" in document["completed"]
        assert "alias.hello.live alias.set" in document["not_run"]
        assert document["error"]["exit_code"] == 130
    else:
        assert "Interrupted." not in result.stderr
        assert "✓ function.create function.hello" in result.stderr
        assert "interrupted (Ctrl-C or SIGTERM) during version.publish alias.hello.live" in result.stderr
        assert "step version.publish alias.hello.live was interrupted after" in result.stderr
        assert "not run: " in result.stderr and "alias.set alias.hello.live" in result.stderr

    interrupting.trigger = b""
    again = project.fn("deploy", "--yes")
    assert again.exit_code == 0, again.stdout + again.stderr
    aliases = moto.client("lambda").list_aliases(FunctionName="demo-dev-hello")["Aliases"]
    assert [a["Name"] for a in aliases] == ["live"]
