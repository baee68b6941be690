"""The child side of `fn invoke --local`: a tiny Lambda-like runtime for one invocation.

Run as a script by fnship.local.runner (never imported by fnship): it must start fast and import nothing of
fnship, so the handler sees only its own code, its layers and the interpreter's libraries. The protocol:
the event arrives on stdin; stdout/stderr are the function's log; one JSON message per phase goes to the
control file descriptor (`init` after the module imported, `done` with the response or the error).
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


def _install_logging(request_id: str) -> None:
    handler = _LambdaLogHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)

    class _RequestId(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.aws_request_id = request_id
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
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024)  # bytes on macOS, KiB on Linux


def main() -> None:
    env = os.environ
    handler_spec = env.pop("_FN_HANDLER")
    paths = [p for p in env.pop("_FN_PATHS").split(os.pathsep) if p]
    control = os.fdopen(int(env.pop("_FN_CONTROL_FD")), "w")
    timeout_ms = int(env.pop("_FN_TIMEOUT_MS"))
    request_id = env.pop("_FN_REQUEST_ID")
    arn = env.pop("_FN_FUNCTION_ARN")
    # sys.path[0] is this script's directory: replace it with the function's code and layers, like /var/task.
    sys.path[:1] = paths

    def send(message: dict) -> None:
        control.write(json.dumps(message) + "\n")
        control.flush()

    raw = sys.stdin.buffer.read()
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    event = json.loads(raw) if raw.strip() else {}
    _install_logging(request_id)

    started = time.monotonic()
    module_name, _, function_name = handler_spec.rpartition(".")
    failure = None
    function = None
    try:
        module = importlib.import_module(module_name.replace("/", "."))
        function = getattr(module, function_name, None)
        if function is None:
            failure = _error(
                "Runtime.HandlerNotFound",
                f"Handler '{function_name}' missing on module '{module_name}'",
                request_id=request_id,
            )
    except Exception as exc:  # the runtime reports any import failure the same way
        failure = _error(
            "Runtime.ImportModuleError",
            f"Unable to import module '{module_name}': {exc}",
            request_id=request_id,
        )
    init_ms = (time.monotonic() - started) * 1000
    deadline_ms = int(time.time() * 1000) + timeout_ms
    send({"phase": "init", "init_ms": init_ms, "deadline_ms": deadline_ms})

    begun = time.monotonic()
    body = None
    if failure is None:
        context = LambdaContext(request_id=request_id, arn=arn, deadline_ms=deadline_ms)
        try:
            result = function(event, context)
            try:
                body = json.dumps(result)
            except (TypeError, ValueError) as exc:
                failure = _error("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id=request_id)
        except Exception as exc:
            failure = _error(
                type(exc).__name__,
                str(exc),
                request_id=request_id,
                trace=traceback.format_tb(exc.__traceback__)[1:],
            )
    duration_ms = (time.monotonic() - begun) * 1000
    if failure is not None:
        _log_error(failure)
    sys.stdout.flush()
    sys.stderr.flush()
    send(
        {
            "phase": "done",
            "duration_ms": duration_ms,
            "max_memory_mb": _max_rss_mb(),
            "payload": body if failure is None else json.dumps(failure),
            "error": failure["errorType"] if failure else None,
        }
    )


if __name__ == "__main__":
    main()
