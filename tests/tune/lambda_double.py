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
import urllib.parse
import uuid

from tests.front_double import Answer, FrontDouble

IO_MS = 100.0
CPU_MS_AT_1GB = 400.0
SWAP_MS = 2000.0
INIT_MS = 250.0
OUTLIER_INDEX = 2
OUTLIER_FACTOR = 10.0
ARM_FACTOR = 0.8


def duration_ms(memory: int, architecture: str) -> float:
    base = IO_MS + CPU_MS_AT_1GB * 1024.0 / memory + (SWAP_MS if memory < 256 else 0.0)
    return base * (ARM_FACTOR if architecture == "arm64" else 1.0)


class LambdaInvokeDouble(FrontDouble):
    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.invocations: list[tuple[str, str]] = []  # (function, qualifier) in arrival order
        self.code_updates: list[tuple[str, str]] = []  # (function, architecture) of each UpdateFunctionCode
        self.code_zips: list[tuple[str, str, bytes]] = []  # (function, architecture, the zip) of each of them
        self._latest_arch: dict[str, str] = {}
        self._version_arch: dict[tuple[str, str], str] = {}
        self._counts: dict[tuple[str, str], int] = {}

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer | None:  # fmt: skip
        parts = path.split("/")
        if (
            method == "POST"
            and len(parts) == 5
            and parts[1:3] == ["2015-03-31", "functions"]
            and (parts[4] == "invocations")
        ):
            function = urllib.parse.unquote(parts[3])
            return self._invoke(function, query.get("Qualifier", ["$LATEST"])[0], headers, body)
        return None

    def _version_config(self, function: str, qualifier: str, headers: dict[str, str]) -> dict:
        path = f"/2015-03-31/functions/{function}/configuration?Qualifier={urllib.parse.quote(qualifier)}"
        auth = {k: v for k, v in headers.items() if k.lower() in ("authorization", "x-amz-date")}
        status, _headers, body = self.forward("GET", path, auth, b"")
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

    def forwarded(self, method: str, parts: list[str], body: bytes, status: int, answer: bytes) -> None:
        if len(parts) != 5 or parts[1:3] != ["2015-03-31", "functions"] or status >= 300:
            return
        function = urllib.parse.unquote(parts[3])
        with self._lock:
            if method == "PUT" and parts[4] == "code":
                request = json.loads(body or b"{}")
                architecture = (request.get("Architectures") or ["x86_64"])[0]
                self._latest_arch[function] = architecture
                self.code_updates.append((function, architecture))
                if request.get("ZipFile"):
                    self.code_zips.append((function, architecture, base64.b64decode(request["ZipFile"])))
            elif method == "POST" and parts[4] == "versions" and function in self._latest_arch:
                version = json.loads(answer)["Version"]
                self._version_arch[(function, version)] = self._latest_arch[function]
