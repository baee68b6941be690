"""The emulator's Lambda service side: it runs the invoked version's code with the local runner.

Lives in the emulator's process (fnship/local/emulator_app.py). An invoked version's zip and its layers (the bytes
moto holds) are extracted once per content hash, and run in a warm pool per function version (warm.FunctionPool:
the same workers `fn dev` uses). Logs go to the emulator's CloudWatch Logs. A function that an `fn dev` has
registered is run by that `fn dev` instead (its code on disk, its terminal), so events reach the code being edited.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fnship.local import runner, warm

if TYPE_CHECKING:
    from moto.awslambda.models import LambdaFunction

LOG_TAIL_BYTES = 4096  # what Invoke's LogType=Tail returns: the last 4 KB
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass
class Outcome:
    """What an Invoke answers: the payload, the error type (None: success), the log lines."""

    payload: bytes
    error_type: str | None
    logs: list[str]

    def tail(self) -> str:
        text = "".join(line + "\n" for line in self.logs).encode()
        return base64.b64encode(text[-LOG_TAIL_BYTES:]).decode()


class FunctionHost:
    def __init__(self, *, endpoint: str, work_dir: Path) -> None:
        self.endpoint = endpoint
        self.work_dir = work_dir
        self._lock = threading.Lock()
        self._pools: dict[str, warm.FunctionPool] = {}
        self._dev: dict[str, str] = {}  # function name -> the `fn dev` URL that runs it

    # -- fn dev sessions ------------------------------------------------------------------------------------------
    def register(self, url: str, functions: list[str]) -> None:
        with self._lock:
            for name in functions:
                self._dev[name] = url

    def unregister(self, url: str) -> None:
        with self._lock:
            self._dev = {name: target for name, target in self._dev.items() if target != url}

    def _dev_url(self, name: str) -> str | None:
        with self._lock:
            return self._dev.get(name)

    # -- running ----------------------------------------------------------------------------------------------------
    def invoke(self, function: LambdaFunction, event: bytes, *, invoked_arn: str | None = None) -> Outcome:
        """Run `function` (a moto LambdaFunction: $LATEST or a published version) on `event`."""
        url = self._dev_url(function.function_name)
        if url is not None:
            outcome = self._via_dev(url, function.function_name, event)
            if outcome is not None:
                return outcome
        try:
            spec = self._spec(function, invoked_arn=invoked_arn)
        except (OSError, ValueError, KeyError) as exc:  # no code to run: say so as Lambda says a bad package
            message = f"fnship's emulator cannot run {function.function_name}: {exc}"
            error = {"errorType": "Runtime.InvalidEntrypoint", "errorMessage": message}
            return Outcome(json.dumps(error).encode(), "Runtime.InvalidEntrypoint", [message])
        pool = self._pool(function, spec)
        result = pool.invoke(event if event.strip() else b"{}")
        self._store_logs(function, result)
        return Outcome(result.payload, result.error_type, [message for _, message in result.logs])

    def _via_dev(self, url: str, name: str, event: bytes) -> Outcome | None:
        """The function runs in the `fn dev` that registered it; None when that `fn dev` is gone."""
        request = urllib.request.Request(f"{url}/{name}", data=event or b"{}", method="POST")
        try:
            # The URL an `fn dev` registered: its own http://127.0.0.1 server (no user-given scheme).
            with urllib.request.urlopen(request, timeout=960) as response:  # nosec B310
                return Outcome(response.read(), response.headers.get("X-Fn-Error-Type") or None, [])
        except (urllib.error.URLError, OSError):
            self.unregister(url)
            return None

    def _spec(self, function: LambdaFunction, *, invoked_arn: str | None) -> runner.RunSpec:
        if getattr(function, "package_type", "Zip") != "Zip" or not function.handler:
            raise ValueError("only zip functions with a handler run here (container images do not)")
        local_python = f"{sys.version_info.major}.{sys.version_info.minor}"
        code_dir = self._extract(function.code_bytes, "function")
        layer_dirs = []
        for layer in function.layers or []:
            from moto.awslambda.utils import get_backend

            layer_version = get_backend(function.account_id, function.region).layers_versions_by_arn(layer["Arn"])
            if layer_version is not None and getattr(layer_version, "code_bytes", None):
                layer_dirs.append(self._extract(layer_version.code_bytes, "layer"))
        version = str(function.version)
        return runner.RunSpec(
            handler=function.handler,
            code_paths=runner.code_paths(code_dir, layer_dirs, python=local_python, runtime=function.run_time or None),
            function_name=function.function_name,
            invoked_arn=invoked_arn or function.function_arn,
            memory_mb=int(function.memory_size),
            timeout_s=int(function.timeout),
            region=function.region,
            runtime=function.run_time or "",
            log_group=f"/aws/lambda/{function.function_name}",
            environment={str(k): str(v) for k, v in (function.environment_vars or {}).items()},
            function_version=version,
            # The handler's own AWS calls come back here, as on Lambda they go to the region's endpoints.
            extra_env={"AWS_ENDPOINT_URL": self.endpoint, **LOCAL_CREDENTIALS},
        )

    def _extract(self, zipped: bytes, kind: str) -> Path:
        """The zip's files under the work directory, once per content hash (runner.extract reads a file)."""
        digest = hashlib.sha256(zipped).hexdigest()
        target = self.work_dir / kind
        if (target / digest[:16] / ".fn-complete").exists():
            return target / digest[:16]
        target.mkdir(parents=True, exist_ok=True)
        staging = target / f".{digest[:16]}-{threading.get_ident()}.zip"
        staging.write_bytes(zipped)
        try:
            return runner.extract(staging, target, digest=digest)
        finally:
            with contextlib.suppress(OSError):
                staging.unlink()

    def _pool(self, function: LambdaFunction, spec: runner.RunSpec) -> warm.FunctionPool:
        key = f"{function.function_name}:{function.version}"
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                reserved = function.reserved_concurrency
                pool = warm.FunctionPool(spec, max_workers=int(reserved) if reserved else warm.DEFAULT_MAX_WORKERS)
                self._pools[key] = pool
            elif pool.spec != spec:
                pool.replace(spec)  # $LATEST's code or configuration changed: the next run starts cold
            return pool

    def _store_logs(self, function: LambdaFunction, result: runner.RunResult) -> None:
        """The invocation's lines in the emulator's CloudWatch Logs (moto's backend, in this process): in the
        function's log group, as its LoggingConfig says (fnship/local/lambda_logs.py)."""
        from moto.logs.models import logs_backends

        from fnship.local.lambda_logs import platform_json, stream_in_group

        logs = logs_backends[function.account_id][function.region]
        config = function.get_configuration().get("LoggingConfig") or {}
        group = config.get("LogGroup") or f"/aws/lambda/{function.function_name}"
        stream = stream_in_group(group, function.function_name, result.log_stream)
        with contextlib.suppress(Exception):
            logs.ensure_log_group(group)
        with contextlib.suppress(Exception):
            logs.create_log_stream(group, stream)
        json_format = config.get("LogFormat") == "JSON"
        events = [
            {"timestamp": stamp, "message": platform_json(message, stamp) if json_format else message}
            for stamp, message in result.logs
        ]
        with contextlib.suppress(Exception):
            logs.put_log_events(group, stream, events)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
