"""An HTTP proxy in front of the moto server that cuts a command off at its Nth mutating AWS call.

Every request is forwarded as is, until the Nth mutating one (see tests/moto_calls.is_mutating); from then on
every mutating request fails, as it does on AWS when:
- `expired`: credentials expire mid-deploy (ExpiredToken), refused before anything is done;
- `denied`: a role loses a permission (AccessDenied), refused before anything is done;
- `drop`: the network goes. The Nth request still reaches AWS and is applied, but its answer is lost (the
  connection closes without one), so the command does not know it was done; every later mutating request's
  connection closes before it reaches AWS (botocore's retries of the Nth included).
Reads still pass: the command sees its own half-done work, as after a real cut.

`serialize=True` forwards one request at a time: moto's PutParameter checks for the name and then stores it
without a lock, so two racing creates can both succeed there; AWS's is atomic (the lock relies on it).
"""

from __future__ import annotations

import http.client
import http.server
import json
import re
import threading
import urllib.parse
from typing import ClassVar

from tests.moto_calls import action_of, is_mutating

FAULTS = ("expired", "denied", "drop")
_SERVICE = re.compile(r"Credential=[^/]*/[^/]*/[^/]*/([^/]*)/")


class FaultyProxy:
    def __init__(self, upstream: str, *, serialize: bool = False) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.serial: threading.Lock | None = threading.Lock() if serialize else None
        self.fail_from: int | None = None  # 1-based index of the first mutating request refused; None: never
        self.fault = "expired"
        self.mutating: list[str] = []  # every mutating action seen (refused ones included), in order
        self.refused: list[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(_Handler):
            owner: ClassVar[FaultyProxy] = proxy

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def arm(self, fail_from: int | None, fault: str = "expired") -> None:
        with self._lock:
            self.fail_from, self.fault = fail_from, fault
            self.mutating, self.refused = [], []

    def __enter__(self) -> FaultyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def verdict(self, action: str) -> str | None:
        """The fault for this request (`drop-answer` for the Nth under `drop`), or None to forward it."""
        if not is_mutating(action):
            return None
        with self._lock:
            self.mutating.append(action)
            if self.fail_from is None or len(self.mutating) < self.fail_from:
                return None
            self.refused.append(action)
            if self.fault == "drop" and len(self.mutating) == self.fail_from:
                return "drop-answer"
            return self.fault


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: ClassVar[FaultyProxy]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = {"method": self.command, "url": self.path, "headers": dict(self.headers.items()),
                  "body": body.decode("utf-8", "replace")}  # fmt: skip
        action = action_of(record) if "/moto-api/" not in self.path else "GET /moto-api"
        fault = self.owner.verdict(action)
        if fault in ("expired", "denied"):
            self._refuse(fault)
            return
        if fault != "drop":  # None: forwarded and answered; drop-answer: forwarded, the answer lost
            if self.owner.serial is None:
                answer = self._forward(body)
            else:
                with self.owner.serial:
                    answer = self._forward(body)
            if fault is None:
                self._answer(*answer)
                return
        self.close_connection = True
        self.connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

    def _forward(self, body: bytes) -> tuple[http.client.HTTPResponse, bytes]:
        """The upstream's answer to this request: its response and body."""
        upstream = self.owner.upstream
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response, response.read()
        finally:
            connection.close()

    def _answer(self, response: http.client.HTTPResponse, payload: bytes) -> None:
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _refuse(self, fault: str) -> None:
        """The error as the request's protocol spells it, so botocore parses AWS's own code."""
        code, status, message = {
            "expired": ("ExpiredToken", 400, "The security token included in the request is expired"),
            "denied": ("AccessDenied", 403, "User is not authorized to perform this action"),
        }[fault]
        content_type = self.headers.get("Content-Type", "")
        service = (_SERVICE.search(self.headers.get("Authorization", "")) or [None, ""])[1]
        if "x-amz-json" in content_type:  # JSON protocol (SSM, Logs, ...): the code in __type
            code = "ExpiredTokenException" if fault == "expired" else "AccessDeniedException"
            payload, kind = json.dumps({"__type": code, "message": message}).encode(), "application/x-amz-json-1.1"
        elif "x-www-form-urlencoded" in content_type:  # query protocol (IAM, STS, SNS, SQS)
            payload = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                       "</Error><RequestId>fault</RequestId></ErrorResponse>").encode()  # fmt: skip
            kind = "text/xml"
        elif service == "s3":  # REST-XML
            payload = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
            kind = "application/xml"
        else:  # REST-JSON (Lambda, API Gateway, Scheduler): the code in a header
            code = "ExpiredTokenException" if fault == "expired" else "AccessDeniedException"
            payload, kind = json.dumps({"message": message, "Message": message}).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("x-amzn-ErrorType", code)
        self.send_header("x-amzn-RequestId", "fault")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
