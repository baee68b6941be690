"""Run one handler invocation on this machine, in a subprocess, the way Lambda would.

The built artifact (and any layers) extracted on `sys.path`, the function's environment, a Lambda-like context
object (see fnship/local/bootstrap.py), the timeout enforced by killing the process, stdout/stderr captured as
the function's log lines (START ... END, REPORT) with their timestamps. No AWS calls. Time is injected.
"""

from __future__ import annotations

import json
import math
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fnship.local import shims

BOOTSTRAP = shims.PYTHON_SHIM
# Lambda gives the init phase (importing the handler module) 10 seconds of its own.
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib
INIT_LIMIT_S = 10.0


@dataclass(frozen=True)
class RunSpec:
    """Everything the runner needs to know about the function."""

    handler: str  # module.function, as in serverless.yml
    code_paths: tuple[Path, ...]  # extracted artifact first, then layer paths, in sys.path order
    function_name: str
    invoked_arn: str
    memory_mb: int
    timeout_s: int
    region: str
    runtime: str
    log_group: str
    environment: Mapping[str, str] = field(default_factory=dict)  # already revealed: goes only to the child
    function_version: str = "$LATEST"
    extra_env: Mapping[str, str] = field(default_factory=dict)  # AWS settings for the handler (the emulator's)


@dataclass
class RunResult:
    request_id: str
    log_stream: str
    payload: bytes  # the response, or the error document
    error_type: str | None  # None on success
    timed_out: bool
    duration_ms: float
    billed_ms: int
    init_ms: float | None
    max_memory_mb: int | None
    memory_mb: int
    logs: list[tuple[int, str]]  # (epoch ms, message): what CloudWatch would hold for this invocation

    @property
    def ok(self) -> bool:
        return self.error_type is None


def python_version_warning(runtime: str, *, python: str | None = None) -> str | None:
    """A warning when the function's runtime (python3.12) is not the Python that will run it here."""
    if not runtime.startswith("python"):
        return f"runtime {runtime} is not Python"
    return shims.python_version_warning(runtime, python=python)


def extract(artifact: Path, cache_root: Path, *, digest: str) -> Path:
    """The artifact's zip extracted once per content digest under `cache_root` (reused while the code is
    unchanged, so a repeated invoke costs no unzip)."""
    cache_root = cache_root.resolve()  # the handler runs with its code directory as cwd: no relative paths
    target = cache_root / digest[:16]
    if (target / ".fn-complete").exists():
        return target
    staging = cache_root / f".{digest[:16]}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    with zipfile.ZipFile(artifact) as zf:
        zf.extractall(staging)
    (staging / ".fn-complete").write_text(digest)
    try:
        staging.rename(target)
    except OSError:  # another invoke extracted the same code first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def layer_paths(layer_root: Path, *, python: str) -> list[Path]:
    """Where Lambda finds Python code in a layer extracted at /opt: python/lib/pythonX.Y/site-packages and python.
    https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths"""
    return [layer_root / "python" / "lib" / f"python{python}" / "site-packages", layer_root / "python"]


def log_stream_name(request_id: str, *, version: str, now: float) -> str:
    """Lambda's stream naming: `YYYY/MM/DD/[$LATEST]<32 hex>`."""
    day = time.strftime("%Y/%m/%d", time.gmtime(now))
    return f"{day}/[{version}]{uuid.UUID(request_id).hex if _is_uuid(request_id) else uuid.uuid4().hex}"


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def lambda_environment(spec: RunSpec, *, log_stream: str) -> dict[str, str]:
    """The reserved variables Lambda sets, then the function's own, then AWS access for the handler.
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime"""
    # The shell's environment comes through, as with Serverless v3's `invoke local`; the function's own variables
    # (and Lambda's reserved ones) win over it.
    env = shims.passed_environment(os.environ)
    env.update(
        {
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.function_version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "LAMBDA_TASK_ROOT": str(spec.code_paths[0]) if spec.code_paths else "",
            "_HANDLER": spec.handler,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(spec.extra_env)
    env.update(spec.environment)
    return env


def run(
    spec: RunSpec,
    event: bytes,
    *,
    on_log: Callable[[int, str], None] | None = None,
    clock: Callable[[], float] = time.time,
    python: str = sys.executable,
    request_id: str | None = None,
    log_stream: str | None = None,
) -> RunResult:
    """Invoke once. `on_log(timestamp_ms, message)` sees every log line as it happens; `log_stream` names the
    stream (made up when not given)."""
    request_id = request_id or str(uuid.uuid4())
    stream = log_stream or log_stream_name(str(uuid.uuid4()), version=spec.function_version, now=clock())
    logs: list[tuple[int, str]] = []

    def log(message: str, at: float | None = None) -> None:
        stamp = int((clock() if at is None else at) * 1000)
        logs.append((stamp, message))
        if on_log:
            on_log(stamp, message)

    log(f"START RequestId: {request_id} Version: {spec.function_version}")
    started = clock()
    process, control_read = start_shim(
        spec,
        python=python,
        log_stream=stream,
        extra={"_FN_REQUEST_ID": request_id, "_FN_FUNCTION_ARN": spec.invoked_arn},
    )
    messages: queue.Queue = queue.Queue()
    output = threading.Thread(target=_pump_output, args=(process.stdout, log), daemon=True)
    output.start()
    control = threading.Thread(target=_pump_control, args=(control_read, messages), daemon=True)
    control.start()
    try:
        process.stdin.write(event)
        process.stdin.close()
    except BrokenPipeError:
        pass

    init: dict | None = None
    done: dict | None = None
    timed_out = False
    deadline = started + INIT_LIMIT_S + spec.timeout_s
    try:
        while done is None:
            remaining = deadline - clock()
            if remaining <= 0:
                # Past the deadline: a timeout if the handler still runs; if it exited without a word and something
                # it started still holds the control pipe open, the exit is what happened.
                timed_out = process.poll() is None
                break
            try:
                message = messages.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                # Exited without answering (sys.exit, os._exit, a crash)? Its last message may still be in the
                # pipe: the control thread reads to the end of it (however long a loaded machine takes) and then
                # queues None, which ends this loop. No fixed grace period: that was a race under load.
                continue
            if message is None:
                break
            if message["phase"] == "init":
                init = message
                deadline = clock() + spec.timeout_s  # the timeout counts from the handler's start
            else:
                done = message
    except BaseException:
        # Ctrl-C reaches only us (the handler runs in a session of its own): never leave it running alone.
        _kill(process)
        process.wait()
        raise
    ended = clock()
    if timed_out:
        _kill(process)
    process.wait()
    output.join(timeout=2)

    duration_ms = (ended - started) * 1000 - (init["init_ms"] if init else 0)
    return conclude(
        spec,
        request_id=request_id,
        log_stream=stream,
        done=done,
        timed_out=timed_out,
        exit_error=("Runtime.ExitError", f"exit status {process.returncode}"),
        duration_ms=duration_ms,
        ended=ended,
        init_ms=init["init_ms"] if init else None,  # every local run is a cold start
        memory_used=None if done else _children_max_rss_mb(),
        log=log,
        logs=logs,
    )


def shim_command(spec: RunSpec, *, python: str) -> list[str]:
    """The runtime shim that runs this function's handler (cold, or warm: fnship/local/warm.py), by the
    runtime's family: Python's bootstrap.py, or node_shim.cjs with the machine's node (shims.SHIMS)."""
    return shims.command(spec, python=python)


class ShimProcess(subprocess.Popen[bytes]):
    """The shim's process: started with stdin and stdout piped, so both pipes are there."""

    stdin: IO[bytes]
    stdout: IO[bytes]


def start_shim(spec: RunSpec, *, python: str, log_stream: str, extra: Mapping[str, str]) -> tuple[ShimProcess, int]:
    """The shim's process (stdin, and stdout with stderr, piped) and the read end of its control pipe."""
    control_read, control_write = os.pipe()
    env = shim_environment(spec, log_stream=log_stream, control_fd=control_write)
    env.update(extra)
    process = ShimProcess(
        shim_command(spec, python=python),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(spec.code_paths[0]) if spec.code_paths else None,
        pass_fds=(control_write,),
        start_new_session=True,  # its own process group: a kill takes whatever it started too
    )
    os.close(control_write)
    return process, control_read


def shim_environment(spec: RunSpec, *, log_stream: str, control_fd: int) -> dict[str, str]:
    """The shim's environment: Lambda's, and what the shim needs to know (popped before the handler runs)."""
    env = lambda_environment(spec, log_stream=log_stream)
    env.update(shims.environment(spec))
    env.update(
        {
            "_FN_HANDLER": spec.handler,
            "_FN_PATHS": os.pathsep.join(str(p) for p in spec.code_paths),
            "_FN_CONTROL_FD": str(control_fd),
            "_FN_TIMEOUT_MS": str(spec.timeout_s * 1000),
        }
    )
    return env


def conclude(
    spec: RunSpec,
    *,
    request_id: str,
    log_stream: str,
    done: dict | None,
    timed_out: bool,
    exit_error: tuple[str, str],
    duration_ms: float,
    ended: float,
    init_ms: float | None,
    memory_used: int | None,
    log: Callable[..., None],
    logs: list[tuple[int, str]],
) -> RunResult:
    """An invocation's outcome as Lambda reports it: the timeout or exit error (when the shim gave no `done`),
    END and REPORT lines (`Init Duration` for a cold start: `init_ms`), and the result."""
    if done is not None:
        duration_ms = float(done["duration_ms"])
        memory_used = done.get("max_memory_mb")
    error_type: str | None
    if timed_out:
        duration_ms = spec.timeout_s * 1000.0
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ended)) + f".{int(ended * 1000) % 1000:03d}Z"
        log(f"{stamp} {request_id} Task timed out after {spec.timeout_s:.2f} seconds", ended)
        error_type = "Sandbox.Timedout"
        payload = json.dumps(
            {
                "errorType": error_type,
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after {spec.timeout_s:.2f} seconds",
            }
        ).encode()
    elif done is None:
        error_type, reason = exit_error
        message = f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
        log(message)
        payload = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
    else:
        error_type = done["error"]
        payload = str(done["payload"]).encode()
    billed = max(1, math.ceil(duration_ms))
    log(f"END RequestId: {request_id}")
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed} ms",
        f"Memory Size: {spec.memory_mb} MB",
        f"Max Memory Used: {memory_used if memory_used is not None else '-'} MB",
    ]
    if init_ms is not None:
        fields.append(f"Init Duration: {init_ms:.2f} ms")
    if timed_out:
        fields.append("Status: timeout")
    log("\t".join(fields) + "\t")
    return RunResult(
        request_id=request_id,
        log_stream=log_stream,
        payload=payload,
        error_type=error_type,
        timed_out=timed_out,
        duration_ms=duration_ms,
        billed_ms=billed,
        init_ms=init_ms,
        max_memory_mb=memory_used,
        memory_mb=spec.memory_mb,
        logs=logs,
    )


def _pump_output(pipe, log: Callable[[str], None]) -> None:
    """Each line the handler writes is one log event; a `\\r` inside a line (the logging handler's way of keeping
    a multi-line record together) becomes a newline again."""
    for raw in iter(pipe.readline, b""):
        log(raw.decode("utf-8", "replace").rstrip("\n").replace("\r", "\n"))
    pipe.close()


def _pump_control(fd: int, messages: queue.Queue) -> None:
    with os.fdopen(fd, "rb") as control:
        for raw in control:
            try:
                messages.put(json.loads(raw))
            except ValueError:
                continue
    messages.put(None)


def _children_max_rss_mb() -> int | None:
    """Peak memory of the waited-for children: the killed handler's, when it could not report its own."""
    try:
        import resource
    except ImportError:  # not on this platform
        return None
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return int(rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024)


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


def code_paths(
    code_dir: Path, layers: Sequence[Path] = (), *, python: str, runtime: str | None = None
) -> tuple[Path, ...]:
    """sys.path for the handler: the function's code, then each layer's Python directories. Lambda extracts the
    layers into /opt in their listed order, so a later layer's file replaces an earlier one's: the later layer
    comes first here. With a non-Python `runtime`, its family's layer directories (shims.code_paths)."""
    if runtime is not None and not runtime.startswith("python"):
        return shims.code_paths(runtime, code_dir, layers)
    paths: list[Path] = [code_dir.resolve()]
    for layer in reversed(layers):
        paths.extend(layer_paths(layer.resolve(), python=python))
    return tuple(paths)
