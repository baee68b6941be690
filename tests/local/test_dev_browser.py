"""CORS as a browser enforces it: a page from another origin calls `fn dev`'s API with fetch (a POST with JSON and
a custom header, so the browser sends a preflight first), in headless Chromium (Debian's; .ci/run installs it)."""

from __future__ import annotations

import functools
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading

import pytest

from tests.conftest import free_port
from tests.local.dev_harness import DevProcess
from tests.local.test_dev import HANDLER, RUNTIME

CHROMIUM = next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)

# CI installs Chromium (.ci/run): there a missing browser is a failure, not a skip.
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="no chromium on this machine (apt-get install chromium; CI installs it and runs this test)",
)

PAGE = """\
<!doctype html>
<html><body><pre id="out">pending</pre><script>
fetch("{api}/items/1", {{
  method: "POST",
  headers: {{"Content-Type": "application/json", "X-Custom": "from-the-page"}},
  body: JSON.stringify({{n: 1}}),
}})
  .then(r => r.json().then(j =>
    "OK " + r.status + " " + j.event.headers["x-custom"] + " count=" + r.headers.get("x-count")))
  .catch(e => "FAILED " + e)
  .then(t => {{ document.getElementById("out").textContent = t; }});
</script></body></html>
"""


class PageServer:
    """A page on an origin of its own (another port), as a web app would be."""

    def __init__(self, directory) -> None:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's signature
        pass


def page_result(url: str, profile) -> str:
    """What the page's script wrote, after Chromium ran it (virtual time lets the fetch finish first)."""
    assert CHROMIUM is not None, "chromium is not installed (.ci/run installs it with apt)"
    completed = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=180,
    )  # fmt: skip
    found = re.search(r'<pre id="out">(.*?)</pre>', completed.stdout, re.S)
    assert found, completed.stdout + completed.stderr
    return html.unescape(found.group(1))


def test_a_page_on_an_allowed_origin_reads_the_answer_and_another_origin_is_refused(tmp_path, tmp_path_factory):
    allowed_dir, other_dir = tmp_path / "allowed", tmp_path / "other"
    allowed_dir.mkdir()
    other_dir.mkdir()
    allowed, other = PageServer(allowed_dir), PageServer(other_dir)
    service = tmp_path / "service"
    service.mkdir()
    (service / "handler.py").write_text(HANDLER)
    (service / "serverless.yml").write_text(
        f"service: browser\nprovider:\n  name: aws\n  runtime: {RUNTIME}\n  httpApi:\n    cors:\n"
        f"      allowedOrigins: [{allowed.origin}]\n      allowedHeaders: [Content-Type, X-Custom]\n"
        "      allowedMethods: [GET, POST]\n      exposedResponseHeaders: [X-Count]\n"
        "functions:\n  echo:\n    handler: handler.echo\n    events:\n      - httpApi: ANY /items/{id}\n"
    )
    dev = DevProcess(service, "--no-events", state=tmp_path_factory.mktemp("state"))
    try:
        dev.ready()
        for directory in (allowed_dir, other_dir):
            (directory / "page.html").write_text(PAGE.format(api=dev.base))
        ok = page_result(f"{allowed.origin}/page.html", tmp_path / "profile-a")
        assert ok == "OK 200 from-the-page count=1", ok
        refused = page_result(f"{other.origin}/page.html", tmp_path / "profile-b")
        assert refused.startswith("FAILED TypeError"), refused
        # The allowed page's preflight was answered by fn dev itself (no function ran for it).
        dev.wait_for("OPTIONS /items/1 -> - 204")
    finally:
        dev.close()
        allowed.close()
        other.close()


if __name__ == "__main__":  # pragma: no cover - a manual run
    sys.exit(pytest.main([__file__, "-q"]))
