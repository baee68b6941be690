"""The child side of `fn invoke --local`: a tiny Lambda-like runtime for one invocation.

Run as a script by fnship.local.runner (never imported by fnship): it must start fast and import nothing of
fnship, so the handler sees only its own code, its layers and the interpreter's libraries. The protocol:
the event arrives on stdin; stdout/stderr are the function's log; one JSON message per phase goes to the
control file descriptor (`init` after the module imported, `done` with the response or the error).
Warm mode (`FN_RUNNER_WARM=1`, fnship/local/warm.py): the module is imported once and `init` sent; then each line
on stdin is one invocation, `{"event": ..., "request_id": "...", "deadline_ms": N, "arn": "..."}`, answered by one
`done` (carrying its request_id) after its log lines are flushed, until stdin ends: a warm Lambda environment.
Mirrors the AWS Python runtime (awslambdaric): the context object, the root logging handler's format, and the
error payloads `Runtime.ImportModuleError` / `Runtime.HandlerNotFound` / `Runtime.MarshalError`.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable


class LambdaContext:
    """What the Python runtime passes as `context`.
    https://docs.aws.amazon.com/lambda/latest/dg/python-context.html"""

    def __init__(self, *, request_id: str, arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        # A string, as in the AWS runtime (it reads the environment variable).
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(int(self._deadline_ms - time.time() * 1000), 0)

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn}])"
        )


class _LambdaLogHandler(logging.StreamHandler):
    """One log record is one CloudWatch event: newlines become carriage returns, which the parent turns back."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record).replace("\n", "\r")
            self.stream.write(text + "\n")
            self.flush()
        except Exception:
            self.handleError(record)


def _install_logging(request_id: Callable[[], str]) -> None:
    handler = _LambdaLogHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)

    class _RequestId(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.aws_request_id = request_id()
            return True

    handler.addFilter(_RequestId())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)  # the runtime's default; handlers call setLevel(INFO) as on AWS


def _error(error_type: str, message: str, *, request_id: str, trace: list[str] | None = None) -> dict:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": trace or []}


def _log_error(payload: dict) -> None:
    lines = [f"[ERROR] {payload['errorType']}: {payload['errorMessage']}"]
    if payload["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(item.rstrip("\n") for item in payload["stackTrace"])
    # One event, as on Lambda: every newline (a frame spans two lines, a message may have its own) becomes \r.
    sys.stdout.write("\n".join(lines).replace("\n", "\r") + "\n")
    sys.stdout.flush()


def _max_rss_mb() -> int:
    # Linux: this process's own peak (getrusage's survives exec, so it counts the parent forked before it).
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024)  # bytes on macOS, KiB on Linux


class _Handler:
    """The handler module imported once (the init phase), and what each invocation does with it."""

    def __init__(self, handler_spec: str, request_id: str) -> None:
        started = time.monotonic()
        module_name, _, function_name = handler_spec.rpartition(".")
        self.failure: dict | None = None
        self.init_traceback = ""  # the import's own traceback, when it failed
        self.function: Callable[..., object] | None = None
        try:
            module = importlib.import_module(module_name.replace("/", "."))
            self.function = getattr(module, function_name, None)
            if self.function is None:
                self.failure = _error(
                    "Runtime.HandlerNotFound",
                    f"Handler '{function_name}' missing on module '{module_name}'",
                    request_id=request_id,
                )
        except Exception as exc:  # the runtime reports any import failure the same way
            self.failure = _error(
                "Runtime.ImportModuleError",
                f"Unable to import module '{module_name}': {exc}",
                request_id=request_id,
            )
            self.init_traceback = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.init_ms = (time.monotonic() - started) * 1000

    def invoke(self, event, *, request_id: str, arn: str, deadline_ms: int, log_init_failure: bool = True) -> dict:
        """The `done` message of one invocation. A warm process logged its failed init once already."""
        begun = time.monotonic()
        body = None
        failure = dict(self.failure, requestId=request_id) if self.failure else None
        if failure is None and self.function is not None:  # no failure: the handler was found
            context = LambdaContext(request_id=request_id, arn=arn, deadline_ms=deadline_ms)
            try:
                result = self.function(event, context)
                try:
                    body = json.dumps(result)
                except (TypeError, ValueError) as exc:
                    failure = _error(
                        "Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id=request_id
                    )
            except Exception as exc:
                failure = _error(
                    type(exc).__name__,
                    str(exc),
                    request_id=request_id,
                    trace=traceback.format_tb(exc.__traceback__)[1:],
                )
        duration_ms = (time.monotonic() - begun) * 1000
        if failure is not None and (log_init_failure or self.failure is None):
            _log_error(failure)
        sys.stdout.flush()
        sys.stderr.flush()
        return {
            "phase": "done",
            "request_id": request_id,
            "duration_ms": duration_ms,
            "max_memory_mb": _max_rss_mb(),
            "payload": body if failure is None else json.dumps(failure),
            "error": failure["errorType"] if failure else None,
        }


def main() -> None:
    env = os.environ
    handler_spec = env.pop("_FN_HANDLER")
    paths = [p for p in env.pop("_FN_PATHS").split(os.pathsep) if p]
    control = os.fdopen(int(env.pop("_FN_CONTROL_FD")), "w")
    timeout_ms = int(env.pop("_FN_TIMEOUT_MS"))
    warm = env.pop("FN_RUNNER_WARM", "") == "1"
    # sys.path[0] is this script's directory: replace it with the function's code and layers, like /var/task.
    sys.path[:1] = paths

    def send(message: dict) -> None:
        control.write(json.dumps(message) + "\n")
        control.flush()

    if warm:
        _serve_warm(handler_spec, send)
        return
    request_id = env.pop("_FN_REQUEST_ID")
    arn = env.pop("_FN_FUNCTION_ARN")
    raw = sys.stdin.buffer.read()
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    event = json.loads(raw) if raw.strip() else {}
    _install_logging(lambda: request_id)
    handler = _Handler(handler_spec, request_id)
    deadline_ms = int(time.time() * 1000) + timeout_ms
    send({"phase": "init", "init_ms": handler.init_ms, "deadline_ms": deadline_ms})
    send(handler.invoke(event, request_id=request_id, arn=arn, deadline_ms=deadline_ms))


def _serve_warm(handler_spec: str, send) -> None:
    """Import once, then one invocation per stdin line until stdin ends."""
    requests = sys.stdin.buffer
    sys.stdin = open(os.devnull)  # noqa: SIM115 - the handler must not read our invocations
    current = {"request_id": ""}
    _install_logging(lambda: current["request_id"])
    handler = _Handler(handler_spec, "")
    if handler.failure is not None:
        _log_error(handler.failure)  # once, at init, with the import's traceback: the line that broke
        sys.stdout.write(handler.init_traceback.rstrip("\n").replace("\n", "\r") + "\n")
        sys.stdout.flush()
    send(
        {
            "phase": "init",
            "init_ms": handler.init_ms,
            "error": handler.failure["errorType"] if handler.failure else None,
        }
    )
    for line in iter(requests.readline, b""):
        if not line.strip():
            continue
        request = json.loads(line)
        current["request_id"] = request["request_id"]
        send(
            handler.invoke(
                request.get("event"),
                request_id=request["request_id"],
                arn=request["arn"],
                deadline_ms=int(request["deadline_ms"]),
                log_init_failure=False,
            )
        )


if __name__ == "__main__":
    main()
