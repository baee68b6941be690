"""A double of the Lambda Invoke API in front of the moto server, for `fn tune` tests.

Reached like moto, through AWS_ENDPOINT_URL: every request is forwarded to the moto server, except Invoke
(`POST /2015-03-31/functions/{name}/invocations`, https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html),
which it answers as Lambda does for `LogType=Tail`: the event echoed as the payload, `X-Amz-Executed-Version`, and
`X-Amz-Log-Result`, the base64 of the log tail ending in the REPORT line
(https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html#python-logging-output). Durations depend on the
invoked version's memory (read from moto) and architecture, so a tuning has a real answer:

    duration = IO_MS + CPU_MS_AT_1GB * 1024 / memory (+ SWAP_MS under 256 MB), x 0.8 on arm64

moto keeps every function on x86_64 whatever UpdateFunctionCode says (moto 5.2), so the double remembers the
`Architectures` of each UpdateFunctionCode and the architecture of each version published after it.

The first invocation of a version is a cold start (`Init Duration`), the third is a slow outlier (x 10), and an
event `{"fail": true}` makes the function fail (`X-Amz-Function-Error: Unhandled`).
"""

from __future__ import annotations

import base64
import json
import math
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IO_MS = 100.0
CPU_MS_AT_1GB = 400.0
SWAP_MS = 2000.0
INIT_MS = 250.0
OUTLIER_INDEX = 2
OUTLIER_FACTOR = 10.0
ARM_FACTOR = 0.8
HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


def duration_ms(memory: int, architecture: str) -> float:
    base = IO_MS + CPU_MS_AT_1GB * 1024.0 / memory + (SWAP_MS if memory < 256 else 0.0)
    return base * (ARM_FACTOR if architecture == "arm64" else 1.0)


class LambdaInvokeDouble:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.invocations: list[tuple[str, str]] = []  # (function, qualifier) in arrival order
        self.code_updates: list[tuple[str, str]] = []  # (function, architecture) of each UpdateFunctionCode
        self._latest_arch: dict[str, str] = {}
        self._version_arch: dict[tuple[str, str], str] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LambdaInvokeDouble:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        request = urllib.request.Request(self.upstream + path, data=body or None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, list(answer.headers.items()), answer.read()
        except urllib.error.HTTPError as failed:
            return failed.code, list(failed.headers.items()), failed.read()

    def _version_config(self, function: str, qualifier: str, headers: dict[str, str]) -> dict:
        path = f"/2015-03-31/functions/{function}/configuration?Qualifier={urllib.parse.quote(qualifier)}"
        auth = {k: v for k, v in headers.items() if k.lower() in ("authorization", "x-amz-date")}
        status, _headers, body = self._forward("GET", path, auth, b"")
        assert status == 200, body
        return json.loads(body)

    def _invoke(self, function: str, qualifier: str, headers: dict[str, str], event: bytes) -> tuple[int, list, bytes]:
        config = self._version_config(function, qualifier, headers)
        with self._lock:
            index = self._counts.get((function, qualifier), 0)
            self._counts[(function, qualifier)] = index + 1
            self.invocations.append((function, qualifier))
        memory = int(config["MemorySize"])
        architecture = self._version_arch.get((function, qualifier)) or (config.get("Architectures") or ["x86_64"])[0]
        duration = duration_ms(memory, architecture)
        if index == OUTLIER_INDEX:
            duration *= OUTLIER_FACTOR
        request_id = str(uuid.uuid4())
        report = (f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: "
                  f"{math.ceil(duration)} ms\tMemory Size: {memory} MB\tMax Memory Used: 60 MB")  # fmt: skip
        if index == 0:
            report += f"\tInit Duration: {INIT_MS:.2f} ms"
        tail = (
            f"START RequestId: {request_id} Version: {config.get('Version')}\nEND RequestId: {request_id}\n{report}\t\n"
        )
        out = [("X-Amz-Executed-Version", str(config.get("Version"))), ("Content-Type", "application/json"),
               ("X-Amz-Log-Result", base64.b64encode(tail.encode()).decode())]  # fmt: skip
        try:
            failing = json.loads(event or b"{}") == {"fail": True}
        except ValueError:
            failing = False
        if failing:
            out.append(("X-Amz-Function-Error", "Unhandled"))
            event = json.dumps({"errorType": "ValueError", "errorMessage": "boom", "stackTrace": []}).encode()
        return 200, out, event

    def _remember(self, method: str, parts: list[str], body: bytes, status: int, answer: bytes) -> None:
        if len(parts) != 5 or parts[1:3] != ["2015-03-31", "functions"] or status >= 300:
            return
        function = urllib.parse.unquote(parts[3])
        with self._lock:
            if method == "PUT" and parts[4] == "code":
                architecture = (json.loads(body or b"{}").get("Architectures") or ["x86_64"])[0]
                self._latest_arch[function] = architecture
                self.code_updates.append((function, architecture))
            elif method == "POST" and parts[4] == "versions" and function in self._latest_arch:
                version = json.loads(answer)["Version"]
                self._version_arch[(function, version)] = self._latest_arch[function]

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
                parts = parsed.path.split("/")
                if (
                    self.command == "POST"
                    and len(parts) == 5
                    and parts[1:3] == ["2015-03-31", "functions"]
                    and (parts[4] == "invocations")
                ):
                    function = urllib.parse.unquote(parts[3])
                    qualifier = urllib.parse.parse_qs(parsed.query).get("Qualifier", ["$LATEST"])[0]
                    status, out, payload = double._invoke(function, qualifier, headers, body)
                else:
                    status, out, payload = double._forward(self.command, self.path, headers, body)
                    double._remember(self.command, parts, body, status, payload)
                self.send_response(status)
                for key, value in out:
                    if key.lower() not in HOP_HEADERS:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

        return Handler
