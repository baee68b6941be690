"""`fn dev` as a real subprocess, for tests: started on free ports with its own emulator and state directory, read
line by line, stopped with SIGINT, and every process it could leave behind killed at teardown."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import free_port

READY = "Watching for changes."
START_TIMEOUT_S = 90.0


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    set_cookies: list[str] = field(default_factory=list)

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def http(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    """A real HTTP request; 4xx/5xx are answers too."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
                response.headers.get_all("Set-Cookie") or [],
            )
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


class DevProcess:
    def __init__(self, root: Path, *args: str, env: dict[str, str] | None = None, state: Path) -> None:
        self.root = root
        self.port = free_port()
        self.emulator_port = free_port()
        self.state = state
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "FN_LOCAL", "AWS_PROFILE")},
            "FN_LOCAL_PORT": str(self.emulator_port),
            "FN_STATE_DIR": str(state),
            "NO_COLOR": "1",
            **(env or {}),
        }
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fnship", "dev", "--port", str(self.port), *args],
            cwd=root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # its own process group: teardown kills the group
        )
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def emulator(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, *, timeout: float = START_TIMEOUT_S) -> str:
        """Read output until a line containing `text` (every line read is kept in .lines)."""
        for line in self.lines:
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"fn dev exited ({self.process.wait()}) before {text!r}:\n" + self.output())
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} from fn dev within {timeout} s:\n" + self.output())

    def drain(self) -> None:
        """Take whatever output is waiting, without blocking."""
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                return
            if line is None:
                return
            self.lines.append(line)

    def output(self) -> str:
        self.drain()
        return "\n".join(self.lines)

    def ready(self) -> DevProcess:
        self.wait_for(READY)
        return self

    def get(self, path: str, **kw) -> Reply:
        return http("GET", self.base + path, **kw)

    def request(self, method: str, path: str, **kw) -> Reply:
        return http(method, self.base + path, **kw)

    def interrupt(self, *, timeout: float = 30) -> int:
        """Ctrl-C, and the exit code."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=timeout)
        self.drain()
        return code

    def close(self) -> None:
        """Whatever happened in the test: nothing of this fn dev is left running."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        # The emulator runs in a session of its own; fn dev stops the one it started, this makes sure.
        for pid_file in self.state.glob("emulator-*.pid"):
            with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not running.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True
