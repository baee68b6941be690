"""Warm execution environments: a handler process kept between invocations, as Lambda keeps one warm.

A worker runs the runtime shim (fnship/local/bootstrap.py) with `FN_RUNNER_WARM=1`: the handler module is imported
once, then each invocation is one JSON line on its stdin and one `done` message on the control pipe. A pool per
function holds up to its reserved concurrency of workers; a worker past the function's timeout or memory size is
killed (the next invocation is a cold start, as on Lambda), and `replace()` retires every worker when the code
changes. No AWS calls. Time is injected.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import selectors
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from fnship.local.runner import (
    INIT_LIMIT_S,
    RunResult,
    RunSpec,
    _kill,
    conclude,
    log_stream_name,
    start_shim,
)

# Workers a function may keep when it sets no reserved concurrency (Lambda would scale further; a laptop won't).
DEFAULT_MAX_WORKERS = 4
MEMORY_POLL_S = 0.1
UNHEARD_LINES = 1000  # lines kept while no invocation listens

LogSink = Callable[[int, str], None]


class WorkerGone(Exception):
    """The worker's process ended (or was killed) before answering."""


class Worker:
    """One warm handler process. `invoke` is called by one thread at a time (the pool sees to it)."""

    def __init__(self, spec: RunSpec, *, python: str = sys.executable, clock: Callable[[], float] = time.time) -> None:
        self.spec = spec
        self.clock = clock
        self.log_stream = log_stream_name(str(uuid.uuid4()), version=spec.function_version, now=clock())
        self.invocations = 0
        self.alive = True
        self._sink: LogSink | None = None
        # What the process prints while no invocation listens (its init, before the first invocation is under
        # way; a background thread between invocations) goes to the next invocation, as Lambda logs it there.
        self._unheard: list[tuple[int, str]] = []
        self._sink_lock = threading.Lock()
        self._messages: queue.Queue = queue.Queue()
        self.started = clock()
        # The warm mode of the runtime shim: see fnship/local/bootstrap.py.
        self.process, control_read = start_shim(
            spec, python=python, log_stream=self.log_stream, extra={"FN_RUNNER_WARM": "1"}
        )
        self.init: dict | None = None
        self._pump = threading.Thread(target=self._read, args=(control_read,), daemon=True)
        self._pump.start()

    # -- output -------------------------------------------------------------------------------------------------
    def _emit(self, raw: bytes) -> None:
        message = raw.decode("utf-8", "replace").rstrip("\n").replace("\r", "\n")
        with self._sink_lock:  # one order for every line: the pump's and those handed over by `_listen`
            if self._sink is not None:
                self._sink(int(self.clock() * 1000), message)
            else:
                self._unheard = [*self._unheard[-(UNHEARD_LINES - 1) :], (int(self.clock() * 1000), message)]

    def _listen(self, sink: LogSink | None) -> None:
        """Lines go to `sink` from now on (None: kept for the next invocation); kept ones go to it first."""
        with self._sink_lock:
            self._sink = sink
            if sink is not None:
                unheard, self._unheard = self._unheard, []
                for stamp, message in unheard:
                    sink(stamp, message)

    def _read(self, control_fd: int) -> None:
        """stdout and the control pipe in one thread: when a control message arrives, everything the handler
        printed before it is already in the stdout pipe, so draining stdout first keeps each line with its
        invocation."""
        out_fd = self.process.stdout.fileno()
        os.set_blocking(out_fd, False)
        selector = selectors.DefaultSelector()
        selector.register(out_fd, selectors.EVENT_READ, "out")
        selector.register(control_fd, selectors.EVENT_READ, "control")
        out_buffer = bytearray()
        control_buffer = bytearray()
        open_fds = 2

        def drain_out(final: bool = False) -> bool:
            while True:
                try:
                    chunk = os.read(out_fd, 65536)
                except BlockingIOError:
                    chunk = None
                if chunk:
                    out_buffer.extend(chunk)
                while (end := out_buffer.find(b"\n")) >= 0:
                    self._emit(bytes(out_buffer[: end + 1]))
                    del out_buffer[: end + 1]
                if final and out_buffer:
                    self._emit(bytes(out_buffer))
                    out_buffer.clear()
                if chunk is None:
                    return True
                if not chunk:
                    return False  # end of file

        try:
            while open_fds:
                for key, _ in selector.select():
                    if key.data == "out":
                        if not drain_out():
                            drain_out(final=True)
                            selector.unregister(out_fd)
                            open_fds -= 1
                        continue
                    chunk = os.read(control_fd, 65536)
                    if not chunk:
                        selector.unregister(control_fd)
                        os.close(control_fd)
                        open_fds -= 1
                        continue
                    control_buffer.extend(chunk)
                    while (end := control_buffer.find(b"\n")) >= 0:
                        line = bytes(control_buffer[:end])
                        del control_buffer[: end + 1]
                        with contextlib.suppress(OSError):
                            drain_out(final=True)
                        try:
                            self._messages.put(json.loads(line))
                        except ValueError:
                            continue
        finally:
            self._messages.put(None)

    # -- lifecycle ------------------------------------------------------------------------------------------------
    def _next_message(self, deadline: float) -> dict | None:
        """The next control message, or None when the deadline passed or the process ended without one."""
        while True:
            remaining = deadline - self.clock()
            if remaining <= 0:
                return None
            try:
                message = self._messages.get(timeout=min(remaining, MEMORY_POLL_S))
            except queue.Empty:
                if self._over_memory():
                    self.out_of_memory = True
                    return None
                continue
            if message is None:
                self.alive = False
                raise WorkerGone
            return message

    out_of_memory = False

    def _over_memory(self) -> bool:
        """Lambda stops a function that goes past its memory size; here the worker's resident set is checked
        (Linux's /proc) while it runs."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return False
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) > self.spec.memory_mb * 1024
        return False

    def invoke(
        self,
        event: bytes,
        *,
        request_id: str | None = None,
        on_log: LogSink | None = None,
        on_start: Callable[[str], None] | None = None,
    ) -> RunResult:
        """One invocation; `on_start(log_stream)` is told this worker's stream before the first line."""
        spec = self.spec
        if on_start is not None:
            on_start(self.log_stream)
        request_id = request_id or str(uuid.uuid4())
        logs: list[tuple[int, str]] = []

        def sink(stamp: int, message: str) -> None:
            logs.append((stamp, message))
            if on_log is not None:
                on_log(stamp, message)

        def log(message: str, at: float | None = None) -> None:
            sink(int((self.clock() if at is None else at) * 1000), message)

        self._listen(sink)
        cold = self.init is None
        log(f"START RequestId: {request_id} Version: {spec.function_version}")
        timed_out = False
        done: dict | None = None
        started = self.clock()
        try:
            if cold:
                self.init = self._next_message(self.started + INIT_LIMIT_S)
                if self.init is None:
                    timed_out = True
            if not timed_out:
                deadline_ms = int(self.clock() * 1000) + spec.timeout_s * 1000
                text = event.decode("utf-8") if event else ""
                request = {
                    "event": json.loads(text) if text.strip() else {},
                    "request_id": request_id,
                    "deadline_ms": deadline_ms,
                    "arn": spec.invoked_arn,
                }
                try:
                    self.process.stdin.write(json.dumps(request).encode() + b"\n")
                    self.process.stdin.flush()
                except (BrokenPipeError, ValueError) as exc:
                    raise WorkerGone from exc
                done = self._next_message(deadline_ms / 1000)
                while done is not None and done.get("request_id") not in (None, request_id):
                    done = self._next_message(deadline_ms / 1000)  # a late answer to a killed invocation
                timed_out = done is None and not self.out_of_memory
        except WorkerGone:
            done = None
        except BaseException:
            self.stop(kill=True)  # Ctrl-C: never leave the handler running alone
            raise
        ended = self.clock()
        self.invocations += 1
        if done is None:
            self.stop(kill=True)
        self._listen(None)
        reason = "signal: killed" if self.out_of_memory else f"exit status {self.process.returncode}"
        return conclude(
            spec,
            request_id=request_id,
            log_stream=self.log_stream,
            done=done,
            timed_out=timed_out,
            exit_error=("Runtime.OutOfMemory" if self.out_of_memory else "Runtime.ExitError", reason),
            duration_ms=(ended - started) * 1000,
            ended=ended,
            init_ms=self.init.get("init_ms") if (cold and self.init) else None,
            memory_used=None,
            log=log,
            logs=logs,
        )

    def stop(self, *, kill: bool = False) -> None:
        """End the process: stdin closed (the shim returns at end of input), killed if it lingers or `kill`."""
        self.alive = False
        if self.process.poll() is None and not kill:
            with contextlib.suppress(OSError, ValueError):
                self.process.stdin.close()
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                kill = True
        if self.process.poll() is None or kill:
            _kill(self.process)
        self.process.wait()
        with contextlib.suppress(OSError, ValueError):
            self.process.stdin.close()
        self._pump.join(timeout=2)
        self.process.stdout.close()


class FunctionPool:
    """The warm workers of one function: reused while idle, at most `max_workers` at once (further invocations
    wait for one), all retired by `replace()` when the function's code changes."""

    def __init__(
        self,
        spec: RunSpec,
        *,
        max_workers: int = DEFAULT_MAX_WORKERS,
        python: str = sys.executable,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec
        self.max_workers = max(1, max_workers)
        self._python = python
        self._clock = clock
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._changed = threading.Condition()
        self._closed = False

    def invoke(
        self,
        event: bytes,
        *,
        request_id: str | None = None,
        on_log: LogSink | None = None,
        on_start: Callable[[str], None] | None = None,
    ) -> RunResult:
        worker = self._acquire()
        try:
            return worker.invoke(event, request_id=request_id, on_log=on_log, on_start=on_start)
        finally:
            self._release(worker)

    def _acquire(self) -> Worker:
        with self._changed:
            while True:
                if self._closed:
                    raise WorkerGone("the pool is closed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive and worker.spec == self.spec:
                        self._busy.add(worker)
                        return worker
                    threading.Thread(target=worker.stop, daemon=True).start()
                if len(self._busy) < self.max_workers:
                    worker = Worker(self.spec, python=self._python, clock=self._clock)
                    self._busy.add(worker)
                    return worker
                self._changed.wait()

    def _release(self, worker: Worker) -> None:
        with self._changed:
            self._busy.discard(worker)
            keep = worker.alive and worker.spec == self.spec and not self._closed
            if keep:
                self._idle.append(worker)
            self._changed.notify()
        if not keep:
            worker.stop(kill=not worker.alive)

    def replace(self, spec: RunSpec) -> None:
        """New code: idle workers stop now, busy ones when they finish; the next invocation starts cold."""
        with self._changed:
            self.spec = spec
            retired, self._idle = self._idle, []
        for worker in retired:
            worker.stop()

    @property
    def size(self) -> int:
        with self._changed:
            return len(self._idle) + len(self._busy)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            workers = [*self._idle, *self._busy]
            self._idle = []
            self._changed.notify_all()
        for worker in workers:
            worker.stop(kill=True)
