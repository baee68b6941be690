"""The embedded AWS emulator: a moto server on 127.0.0.1:4566 in the background, for deploys with no account
(fnship's own process, which also runs the functions it holds: fnship/local/emulator_app.py).

Owns a pid file and a log file under the user's state directory; starts, stops and reports the server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from fnship.errors import FnError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
START_TIMEOUT_S = 60.0  # a loaded machine (a CI runner, a laptop building) imports moto slowly


def state_dir() -> Path:
    base = os.environ.get("FN_STATE_DIR") or os.path.join(
        os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"), "fnship"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def port() -> int:
    return int(os.environ.get("FN_LOCAL_PORT", DEFAULT_PORT))


def endpoint() -> str:
    return f"http://{DEFAULT_HOST}:{port()}"


@dataclass(frozen=True)
class Status:
    running: bool
    endpoint: str
    pid: int | None
    log_file: str


def _pid_file() -> Path:
    return state_dir() / f"emulator-{port()}.pid"


def _log_file() -> Path:
    return state_dir() / f"emulator-{port()}.log"


def _answers(url: str) -> bool:
    # The dashboard page, not data.json: that one serializes every service's state and can take longer than
    # the probe's timeout once a few services hold data, which made a running emulator look stopped.
    try:
        # bandit B310 waived: `url` is the emulator's own http://127.0.0.1:PORT, never a user-given scheme.
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as response:  # nosec B310
            return response.status == 200
    except OSError:
        return False


def _pid_in(pid_file: Path) -> int | None:
    """The process id the emulator's pid file holds; None when it is missing or unreadable (cut short,
    overwritten): state fnship reads back is never a crash."""
    try:
        return int(pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def status() -> Status:
    pid = _pid_in(_pid_file())
    return Status(running=_answers(endpoint()), endpoint=endpoint(), pid=pid, log_file=str(_log_file()))


def start() -> Status:
    """Start the emulator unless it already answers. Raises FnError when moto is not installed or it won't start."""
    current = status()
    if current.running:
        return current
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        raise FnError(
            "the local emulator needs moto's server, which is not installed",
            hint="pip install 'fnship[local]'",
        ) from exc
    log = _log_file().open("ab")
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    process = subprocess.Popen(
        # moto's server with fnship's patches: Invoke runs the function's code (fnship/local/emulator_app.py).
        [
            sys.executable,
            "-m",
            "fnship.local.emulator_app",
            "-H",
            DEFAULT_HOST,
            "-p",
            str(port()),
            "--work-dir",
            str(state_dir() / f"emulator-{port()}-code"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,  # survives the fn command that started it, and its Ctrl-C
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break  # it exited: the port is taken, or moto failed (its log says which)
        if _answers(endpoint()):
            _pid_file().write_text(str(process.pid))
            return status()
        time.sleep(0.1)
    raise FnError(
        f"the local emulator did not start on {endpoint()}",
        hint=f"see {_log_file()}; is another program using port {port()}? (set FN_LOCAL_PORT to use another)",
    )


def stop() -> bool:
    """Stop the emulator started by `start`. True when one was running."""
    pid_file = _pid_file()
    if not pid_file.exists():
        if _answers(endpoint()):
            raise FnError(
                f"an emulator answers on {endpoint()} but fnship did not start it",
                hint="stop that program yourself, or set FN_LOCAL_PORT to use another port",
            )
        return False
    pid = _pid_in(pid_file)
    pid_file.unlink()
    if pid is None:
        if _answers(endpoint()):
            raise FnError(
                f"{pid_file} does not hold a process id, and an emulator answers on {endpoint()}: fnship cannot "
                "tell which process to stop",
                hint="stop it yourself, or set FN_LOCAL_PORT to use another port",
            )
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    # It may exit on its own between the last check and this kill: that is a stop too.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return True
