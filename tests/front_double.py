"""An HTTP double in front of the moto server, for the APIs (or answers) moto does not have: reached like moto
through AWS_ENDPOINT_URL, it answers what a subclass's `answer` takes and forwards every other request to moto
unchanged. Subclasses follow the AWS API reference of what they answer (named in their docstrings)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}

Answer = tuple[int, list[tuple[str, str]], bytes]


class FrontDouble:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # -- for subclasses ---------------------------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer | None:  # fmt: skip
        """This double's own answer to a request, or None to forward it to moto."""
        return None

    def forwarded(self, method: str, parts: list[str], body: bytes, status: int, answer: bytes) -> None:
        """Told of every request forwarded to moto, with moto's answer."""

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        request = urllib.request.Request(self.upstream + path, data=body or None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, list(answer.headers.items()), answer.read()
        except urllib.error.HTTPError as failed:
            return failed.code, list(failed.headers.items()), failed.read()

    @staticmethod
    def json_answer(status: int, document: object, *, error_type: str | None = None) -> Answer:
        headers = [("Content-Type", "application/json")]
        if error_type:
            headers.append(("X-Amzn-ErrorType", error_type))
        return status, headers, json.dumps(document).encode() if document is not None else b""

    # -- the server ---------------------------------------------------------------------------------------------------
    def _handler(self):
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                parsed = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
                own = double.answer(self.command, parsed.path, query, headers, body)
                if own is not None:
                    status, out, payload = own
                else:
                    status, out, payload = double.forward(self.command, self.path, headers, body)
                    double.forwarded(self.command, parsed.path.split("/"), body, status, payload)
                self.send_response(status)
                for key, value in out:
                    if key.lower() not in HOP_HEADERS:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

        return Handler
