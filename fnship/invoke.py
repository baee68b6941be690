"""`fn invoke`: call a function, on AWS (its alias by default) or on this machine (`--local`).

Remote: one Lambda `Invoke` through fnship.aws. Local: package the function and the layers it uses
(fnship.pipeline.package_artifacts, so its dependencies come in whether they ship in the zip or in the
pythonRequirements layer), extract them, run the handler with fnship.local.runner,
and, against the local emulator, write its log lines to the emulator's CloudWatch Logs like Lambda would
(group /aws/lambda/NAME, one stream per invocation), so `fn logs --local` shows them.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from fnship.errors import FnError, InputError
from fnship.jsonvalue import Json, JsonObject

if TYPE_CHECKING:
    from fnship.aws import Aws
    from fnship.aws.lambda_api import StreamEnd
    from fnship.local.runner import RunSpec
    from fnship.manifest.types import FunctionSpec, Manifest
    from fnship.pipeline import Loaded

LOCAL_ACCOUNT = "123456789012"  # the account id `sam local` and the emulator use
# How often a local run's new log lines are written to the emulator while the handler runs.
SHIP_INTERVAL_S = 0.2


class FunctionError(TypedDict):
    type: str
    message: str
    trace: list[str]


@dataclass
class Invocation:
    """The outcome of one invocation, remote or local."""

    function: str  # manifest key
    function_name: str
    qualifier: str
    local: bool
    payload: bytes
    error_type: str | None = None  # None: the function succeeded
    status_code: int | None = None
    executed_version: str | None = None
    log: str | None = None  # remote --log: the tail AWS returned
    request_id: str | None = None
    log_stream: str | None = None
    report: JsonObject = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_type is None

    def payload_value(self) -> Json:
        """The response as JSON when it is JSON, else the text."""
        text = self.payload.decode("utf-8", "replace")
        try:
            return json.loads(text) if text.strip() else None
        except ValueError:
            return text

    def error(self) -> FunctionError:
        """{type, message, trace} of a function error, from Lambda's error document."""
        value = self.payload_value()
        doc = value if isinstance(value, dict) else {"errorMessage": str(value)}
        trace = doc.get("stackTrace") or doc.get("trace") or []  # Python's runtime says stackTrace, Node.js's trace
        return FunctionError(
            type=str(doc.get("errorType") or self.error_type or "Error"),
            message=str(doc.get("errorMessage", "")),
            trace=[str(line) for line in trace] if isinstance(trace, list) else [str(trace)],
        )


def choose_function(manifest: Manifest, name: str | None) -> str:
    """The function to invoke: `-f NAME` (a key, or the physical name), else the only one."""
    if name:
        if name in manifest.functions:
            return name
        for key, spec in manifest.functions.items():
            if spec.name == name:
                return key
        raise InputError(
            f"function {name} is not in {manifest.path.name}",
            hint=f"choose one of: {', '.join(manifest.functions) or '(none)'}",
        )
    if len(manifest.functions) == 1:
        return next(iter(manifest.functions))
    raise InputError(
        f"{manifest.path.name} has {len(manifest.functions)} functions: say which one to invoke",
        hint=f"pass -f with one of: {', '.join(manifest.functions) or '(none)'}",
    )


def read_payload(
    *,
    data: str | None = None,
    path: str | None = None,
    event: str | None = None,
    stdin: Callable[[], str] = lambda: sys.stdin.read(),
    region: str = "us-east-1",
) -> bytes:
    """The event as JSON bytes from exactly one of --data, --path (`-` is stdin) or --event; `{}` when none."""
    given = [name for name, value in (("--data", data), ("--path", path), ("--event", event)) if value is not None]
    if len(given) > 1:
        raise InputError(f"{' and '.join(given)} both give the event: pass only one")
    if event is not None:
        from fnship.local.events import Where, sample_event

        return json.dumps(sample_event(event, Where(region=region))).encode()
    if path is not None:
        source = "stdin" if path == "-" else f"--path {path}"
        if path == "-":
            try:
                text = stdin()
            except UnicodeDecodeError as exc:
                raise InputError(f"stdin: the event is not UTF-8 text (byte offset {exc.start})") from exc
        else:
            text = _read_event_file(Path(path), source)
    elif data is not None:
        source, text = "--data", data
    else:
        return b"{}"
    payload = text.encode()
    _check_payload_size(len(payload), source)
    try:
        json.loads(text)
    except RecursionError as exc:
        raise InputError(f"{source}: the event is nested too deep to be a Lambda event") from exc
    except ValueError as exc:
        raise InputError(f"{source}: the event is not valid JSON: {exc}", hint="Lambda events are JSON") from exc
    return payload


# https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: "For synchronous invocations, the maximum payload
# size is 6 MB. For asynchronous invocations, the maximum payload size is 1 MB" (256 KB until 2025).
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024


def _check_payload_size(size: int, source: str) -> None:
    if size > SYNC_PAYLOAD_LIMIT:
        raise InputError(
            f"{source}: the event is {size:,} bytes; Lambda takes at most 6 MB ({SYNC_PAYLOAD_LIMIT:,} bytes) in a "
            f"synchronous invoke, which fn invoke makes (1 MB, {ASYNC_PAYLOAD_LIMIT:,} bytes, asynchronous)",
            hint="pass a smaller event: put large data in S3 and pass its bucket and key",
        )


def _read_event_file(path: Path, source: str) -> str:
    from fnship.textfile import read_input

    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # the read below says why it cannot be read
    _check_payload_size(size, source)
    try:
        return read_input(path, display=source, limit=SYNC_PAYLOAD_LIMIT)
    except FileNotFoundError as exc:
        raise InputError(f"{source}: no such file", hint="give the path of a JSON file, or - for stdin") from exc


# https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#lambda-Invoke-request-TenantId
TENANT_ID = re.compile(r"^[a-zA-Z0-9._:/=+\-@ ]{1,256}$")


def streams_response(spec: FunctionSpec) -> bool:
    """Whether the function answers as a stream: its URL's `invokeMode: RESPONSE_STREAM`, or an `http` event's
    `response.transferMode: STREAM`."""
    from fnship.triggers.rest import RestEvent
    from fnship.triggers.url import UrlEvent

    for event in spec.events:
        if event.type == "url" and event.settings_as(UrlEvent).invoke_mode == "RESPONSE_STREAM":
            return True
        if event.type == "http" and event.settings_as(RestEvent).transfer_mode == "STREAM":
            return True
    return False


def check_tenant(spec: FunctionSpec, key: str, tenant: str | None) -> None:
    """A tenant-isolated function is invoked for one tenant (Lambda refuses an invoke without one); any other
    function takes none. https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html"""
    isolated = spec.lambda_settings.tenancy is not None
    if isolated and not tenant:
        raise InputError(
            f"function {key} is tenant-isolated (tenancy: per_tenant): Lambda runs each invocation for one tenant",
            hint="say which with --tenant ID",
        )
    if tenant and not isolated:
        raise InputError(f"--tenant is for tenant-isolated functions; {key} has no `tenancy:`", hint="remove --tenant")
    if tenant and not TENANT_ID.match(tenant):
        raise InputError(
            f"--tenant {tenant!r} is not a Lambda tenant id: 1-256 letters, digits, spaces and . _ : / = + - @"
        )


def invoke_remote(
    loaded: Loaded,
    key: str,
    payload: bytes,
    *,
    qualifier: str | None = None,
    log_tail: bool = False,
    tenant: str | None = None,
    on_chunk: Callable[[bytes], None] | None = None,
) -> Invocation:
    """Invoke the deployed function (its alias unless `qualifier` says otherwise), synchronously. With `on_chunk`,
    through InvokeWithResponseStream: each piece of the response is handed over as it arrives."""
    from fnship.model.build import alias_name

    manifest = loaded.manifest
    spec = manifest.functions[key]
    check_tenant(spec, key, tenant)
    target = qualifier or alias_name(manifest, spec)
    if spec.durable is not None and target == "$LATEST":
        # durable functions take qualified ARNs only: https://docs.aws.amazon.com/lambda/latest/dg/durable-getting-started-iac.html
        raise InputError(
            f"function {key} is durable: Lambda runs durable executions on published versions, and refuses an "
            "unqualified ($LATEST) invoke",
            hint=f"invoke its alias (fn invoke -f {key}) or a version number (-q 3)",
        )
    if on_chunk is not None:
        return _invoke_streaming(loaded, key, spec.name, payload, target, log_tail, tenant, on_chunk)
    response = loaded.aws.lambda_.invoke(
        spec.name, payload=payload, qualifier=target, log_tail=log_tail, tenant_id=tenant
    )
    return Invocation(
        function=key,
        function_name=spec.name,
        qualifier=target,
        local=False,
        payload=response["Payload"],
        error_type=response["FunctionError"] or None,
        status_code=response["StatusCode"],
        executed_version=response["ExecutedVersion"],
        log=response["LogResult"],
    )


def _invoke_streaming(
    loaded: Loaded,
    key: str,
    name: str,
    payload: bytes,
    target: str,
    log_tail: bool,
    tenant: str | None,
    on_chunk: Callable[[bytes], None],
) -> Invocation:
    received = bytearray()
    done: StreamEnd = {"ErrorCode": None, "ErrorDetails": None, "LogResult": None, "ExecutedVersion": None}
    for event in loaded.aws.lambda_.invoke_stream(
        name, payload=payload, qualifier=target, log_tail=log_tail, tenant_id=tenant
    ):
        if "chunk" in event:
            received += event["chunk"]
            on_chunk(event["chunk"])
        else:
            done = event["done"]
    error = done.get("ErrorCode") or None
    if error:  # a function error ends the stream: its details replace what the caller reads as the payload
        received = bytearray(json.dumps({"errorType": error, "errorMessage": done.get("ErrorDetails") or ""}).encode())
    return Invocation(
        function=key,
        function_name=name,
        qualifier=target,
        local=False,
        payload=bytes(received),
        error_type=error,
        status_code=200,
        executed_version=done.get("ExecutedVersion"),
        log=done.get("LogResult"),
    )


def invoke_local(
    loaded: Loaded,
    key: str,
    payload: bytes,
    *,
    on_log: Callable[[int, str], None] | None = None,
) -> Invocation:
    """Run the handler on this machine. When `loaded` targets the local emulator, its log lines are written to
    the emulator's CloudWatch Logs and the handler's own AWS calls go to the emulator too."""
    from fnship.local import runner, shims
    from fnship.local.lambda_logs import stream_in_group
    from fnship.model.names import function_log_group

    manifest = loaded.manifest
    spec = manifest.functions[key]
    shims.shim_for(spec.runtime)  # a runtime with no local runner: say which ones run here, before packaging
    zip_handler(key, spec)
    aws = loaded.aws
    emulated = bool(aws.target.local)
    warnings: list[str] = []
    warnings.extend(w for w in (shims.version_warning(spec.runtime),) if w)
    group = function_log_group(spec)
    stream = stream_in_group(group, spec.name, runner.log_stream_name(str(uuid.uuid4()), version="$LATEST",
                                                                      now=time.time()))  # fmt: skip
    # Started first: its client's boto3 import (a few hundred ms) overlaps the packaging and the run.
    shipper = LogShipper(aws, group, stream, json_format=json_logs(spec)) if emulated else None

    def log(stamp: int, message: str) -> None:
        if shipper is not None:
            shipper.add(stamp, message)
        if on_log is not None:
            on_log(stamp, message)

    try:
        result = runner.run(run_spec(loaded, key, warnings), payload, on_log=log, log_stream=stream)
    finally:
        problem = shipper.close() if shipper is not None else None
    if problem:
        warnings.append(f"could not store the logs in the emulator: {problem}")
    return Invocation(
        function=key,
        function_name=spec.name,
        qualifier="$LATEST",
        local=True,
        payload=result.payload,
        error_type=result.error_type,
        executed_version="$LATEST",
        request_id=result.request_id,
        log_stream=result.log_stream,
        report={
            "duration_ms": round(result.duration_ms, 2),
            "billed_ms": result.billed_ms,
            "init_ms": round(result.init_ms, 2) if result.init_ms is not None else None,
            "memory_mb": result.memory_mb,
            "max_memory_used_mb": result.max_memory_mb,
            "timed_out": result.timed_out,
        },
        warnings=warnings,
    )


def zip_handler(key: str, spec: FunctionSpec) -> str:
    """The function's handler; an InputError when it has none (an image function), which runs only on Lambda."""
    if not spec.handler:
        raise InputError(f"function {key} has no handler (an image function?): fnship runs only zip handlers locally")
    return spec.handler


def run_spec(loaded: Loaded, key: str, warnings: list[str]) -> RunSpec:
    """The function packaged, extracted with its built layers, and described for the runner."""
    from fnship import pipeline
    from fnship.local import runner
    from fnship.model.names import function_arn, function_log_group
    from fnship.secret import reveal

    manifest = loaded.manifest
    spec = manifest.functions[key]
    handler = zip_handler(key, spec)
    aws = loaded.aws
    emulated = bool(aws.target.local)
    packaged = pipeline.package_artifacts(loaded, only=[key])
    artifact = packaged.functions[key]
    local_python = f"{sys.version_info.major}.{sys.version_info.minor}"
    run_root = manifest.root / pipeline.BUILD_DIR / "run"
    code_dir = runner.extract(artifact.path, run_root, digest=artifact.sha256_hex)
    # The layers this service builds (its own and the pythonRequirements one) go on the path, as /opt does on
    # Lambda; layers given by ARN live only in AWS and are not downloaded.
    refs = manifest.artifacts.function_layers.get(key, ())
    layer_dirs = [
        runner.extract(packaged.layers[ref].path, run_root, digest=packaged.layers[ref].sha256_hex)
        for ref in refs
        if ref in packaged.layers
    ]
    published = [ref for ref in refs if ref not in packaged.layers]
    if published:
        warnings.append(f"layers {', '.join(published)} are not on the local path (fnship does not download layers)")
    extra_env: dict[str, str] = {}
    if emulated and aws.target.endpoint_url:
        # The handler's own AWS calls go to the emulator too.
        extra_env = {
            "AWS_ENDPOINT_URL": aws.target.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
    return runner.RunSpec(
        handler=handler,
        code_paths=runner.code_paths(code_dir, layer_dirs, python=local_python, runtime=spec.runtime),
        function_name=spec.name,
        invoked_arn=function_arn(region=manifest.region, account_id=LOCAL_ACCOUNT, function_name=spec.name),
        memory_mb=spec.memory_size,
        timeout_s=spec.timeout,
        region=manifest.region,
        runtime=spec.runtime,
        log_group=function_log_group(spec),
        environment={name: str(reveal(value)) for name, value in spec.environment.items()},
        extra_env=extra_env,
    )


def json_logs(spec: FunctionSpec) -> bool:
    """Whether the function logs in JSON (`logs.logFormat` or provider.logs.lambda's)."""
    logging = spec.lambda_settings.logging
    return logging is not None and logging.log_format == "JSON"


class LogShipper:
    """Writes a local run's log lines to the emulator's CloudWatch Logs while the handler runs, as Lambda streams
    them, so `fn logs --local --tail` shows a line soon after it is printed, not when the invocation ends."""

    def __init__(
        self, aws: Aws, group: str, stream: str, *, interval_s: float = SHIP_INTERVAL_S, json_format: bool = False
    ) -> None:
        self._aws, self._group, self._stream, self._interval = aws, group, stream, interval_s
        self._json = json_format  # `logs.logFormat: JSON`: START, END and REPORT go as platform records
        self._pending: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.problem: str | None = None
        self._thread = threading.Thread(target=self._ship, daemon=True)
        self._thread.start()

    def add(self, stamp: int, message: str) -> None:
        if self._json:
            from fnship.local.lambda_logs import platform_json

            message = platform_json(message, stamp)
        with self._lock:
            self._pending.append((stamp, message))

    def close(self) -> str | None:
        """Ship what is left; the problem that stopped the shipping, if any."""
        self._closed.set()
        self._thread.join()
        return self.problem

    def _ship(self) -> None:
        created = False
        with contextlib.suppress(Exception):  # only a warm-up: the first write reports any real problem
            self._aws.client("logs")
        while True:
            closing = self._closed.wait(self._interval)
            with self._lock:
                batch, self._pending = self._pending, []
            if batch and self.problem is None:
                try:
                    # The first call also creates the group and the stream.
                    self._aws.logs_write.write_stream(self._group, self._stream, batch, create=not created)
                    created = True
                except FnError as error:
                    self.problem = error.message
            if closing:
                return


def emulator_listening() -> bool:
    """Whether the local emulator accepts connections. (emulator.status() asks moto for its whole state, which
    takes seconds once IAM's managed policies are loaded: too slow for an invoke.)"""
    import socket

    from fnship.local import emulator

    host, port = emulator.DEFAULT_HOST, emulator.port()

    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False
