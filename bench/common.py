"""Helpers the benchmarks share: timing commands, a moto server subprocess, a throwaway venv per peer tool, a
one-function service run on the local emulator."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CACHE = Path(os.environ.get("FN_BENCH_CACHE", Path.home() / ".cache" / "fnship-bench"))
ROOT = Path(__file__).resolve().parents[1]


def median_seconds(argv: list[str], *, runs: int = 7, env: dict | None = None, cwd: Path | None = None) -> float:
    """Median wall time of `argv`, after one warm-up run (so disk caches are equal for everyone)."""
    times = []
    for attempt in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if attempt:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def tool_venv(name: str, requirement: str, *, cache: Path = CACHE) -> Path | None:
    """A venv with `requirement` installed (cached across runs); its bin directory, or None when it cannot be
    installed (no PyPI)."""
    venv = cache / f"venv-{name}"
    marker = venv / ".installed"
    if marker.is_file() and marker.read_text() == requirement:
        return venv / "bin"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if Path(uv).exists():
        done = subprocess.run([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), requirement])
    else:
        done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", requirement])
    if done.returncode != 0:
        return None
    marker.write_text(requirement)
    return venv / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def moto_server(*, record: bool = True) -> Iterator[str]:
    """A moto server subprocess on a free loopback port; yields its endpoint. `record` turns on moto's request
    recorder (for recorded_actions); the latency benchmarks leave it off, as it writes every request to disk."""
    port = free_port()
    env = dict(os.environ)
    if record:
        env.update(MOTO_ENABLE_RECORDING="true", MOTO_RECORDER_FILEPATH=str(CACHE / f"rec-{port}"))
        CACHE.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint + "/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def aws_env(endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "CI": "true",
    }


def recorded_actions(endpoint: str, action) -> list[str]:
    """Run `action()` with moto's recorder on; the AWS actions it sent."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.moto_calls import action_of

    def post(path: str) -> None:
        urllib.request.urlopen(urllib.request.Request(endpoint + path, method="POST"), timeout=10).read()

    post("/moto-api/recorder/reset-recording")
    post("/moto-api/recorder/start-recording")
    action()
    post("/moto-api/recorder/stop-recording")
    import json

    with urllib.request.urlopen(endpoint + "/moto-api/recorder/download-recording", timeout=10) as response:
        lines = response.read().decode().splitlines()
    return [action_of(json.loads(line)) for line in lines if line.strip()]


def fn_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "fnship", *args]


HELLO_SERVICE = """\
service: bench
provider:
  name: aws
functions:
  hello:
    handler: handler.hello
"""


def write_hello_service(directory: Path, handler: str) -> None:
    """A one-function service (`hello`, in handler.py) in `directory`."""
    (directory / "serverless.yml").write_text(HELLO_SERVICE)
    (directory / "handler.py").write_text(handler)


def local_env(directory: Path, port: int) -> dict[str, str]:
    """`fn` run from this checkout against the local emulator on `port`, its state kept in `directory`."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "FN_LOCAL_PORT": str(port), "FN_STATE_DIR": str(directory)}


def port_of(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])
