"""Benchmark `fn dev`: the median latency of a warm request, against serverless-offline (npm) serving the same
Python handler in the same run, and the time from saving the handler to the first response on the new code.

Run: .venv/bin/python bench/bench_dev.py [--requests N] [--saves N]
`sam local start-api` needs Docker, which this machine has not: serverless-offline (the most installed Serverless
plugin) is the baseline. It is installed with npm into a cache directory on the first run (serverless v3 and
serverless-offline); without npm or the registry the baseline is skipped and said so.
Targets: a warm request through `fn dev` at most as slow as through serverless-offline (ratio <= 1.0), and a save
answered on the new code within 1.5 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, ROOT, free_port  # noqa: E402

LATENCY_RATIO_TARGET = 1.0
SAVE_TARGET_S = 1.5
OFFLINE_PACKAGES = ["serverless@3", "serverless-offline@13"]

HANDLER = """\
import json

def hello(event, context):
    return {"statusCode": 200, "body": json.dumps({"message": "MARKER"})}
"""

MANIFEST = """\
service: benchdev
frameworkVersion: '3'
provider:
  name: aws
  runtime: python{python}
{plugins}functions:
  hello:
    handler: handler.hello
    events:
      - httpApi: GET /hello
"""


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def wait_until_up(url: str, process: subprocess.Popen, *, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def latencies(url: str, count: int) -> list[float]:
    for _ in range(5):  # warm-up: the first request is a cold start
        get(url)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        get(url)
        times.append(time.perf_counter() - started)
    return times


def stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def write_service(directory: Path, *, plugins: str = "") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "handler.py").write_text(HANDLER)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    (directory / "serverless.yml").write_text(MANIFEST.format(python=python, plugins=plugins))


def save_to_first_response(directory: Path, url: str, saves: int) -> list[float]:
    times = []
    for number in range(saves):
        marker = f"SAVED-{number}-{time.time_ns()}"
        started = time.perf_counter()
        (directory / "handler.py").write_text(HANDLER.replace("MARKER", marker))
        while marker.encode() not in get(url):
            pass
        times.append(time.perf_counter() - started)
    return times


def bench_fn_dev(work: Path, requests: int, saves: int) -> tuple[float, float]:
    service = work / "fn-dev"
    write_service(service)
    port = free_port()
    env = {**os.environ, "FN_LOCAL_PORT": str(free_port()), "FN_STATE_DIR": str(work / "state"), "NO_COLOR": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "fnship", "dev", "--no-events", "--port", str(port)],
        cwd=service,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/hello"
    try:
        wait_until_up(url, process)
        median = statistics.median(latencies(url, requests))
        save = statistics.median(save_to_first_response(service, url, saves))
    finally:
        stop(process)
    return median, save


def offline_tools() -> Path | None:
    """serverless v3 and serverless-offline, installed once with npm into the bench cache."""
    npm = shutil.which("npm")
    if npm is None:
        return None
    tools = CACHE / "serverless-offline"
    marker = tools / ".installed"
    wanted = " ".join(OFFLINE_PACKAGES)
    if marker.is_file() and marker.read_text() == wanted:
        return tools
    tools.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(tools), *OFFLINE_PACKAGES],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        return None
    marker.write_text(wanted)
    return tools


def bench_offline(work: Path, tools: Path, requests: int) -> float:
    service = work / "offline"
    write_service(service, plugins="plugins:\n  - serverless-offline\n")
    (service / "node_modules").symlink_to(tools / "node_modules")
    port = free_port()
    env = {**os.environ, "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off", "SLS_DEPRECATION_DISABLE": "*"}
    env.setdefault("AWS_ACCESS_KEY_ID", "testing")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    process = subprocess.Popen(
        [str(tools / "node_modules" / ".bin" / "serverless"), "offline", "start", "--httpPort", str(port),
         "--lambdaPort", str(free_port()), "--noTimeout"],
        cwd=service,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/hello"
    try:
        wait_until_up(url, process)
        return statistics.median(latencies(url, requests))
    finally:
        stop(process)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--saves", type=int, default=5)
    args = parser.parse_args()
    os.chdir(ROOT)
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dev_median, save = bench_fn_dev(work, args.requests, args.saves)
        print(f"fn dev: warm request median {dev_median * 1000:.2f} ms over {args.requests} requests")
        print(f"fn dev: save to first response on the new code, median {save:.3f} s (target {SAVE_TARGET_S} s)")
        failed |= save > SAVE_TARGET_S
        tools = offline_tools()
        if tools is None:
            print("serverless-offline: skipped (npm or the npm registry is not available)")
        else:
            offline_median = bench_offline(work, tools, args.requests)
            ratio = dev_median / offline_median
            print(f"serverless-offline: warm request median {offline_median * 1000:.2f} ms (same handler)")
            print(f"ratio fn dev / serverless-offline: {ratio:.2f} (target <= {LATENCY_RATIO_TARGET})")
            failed |= ratio > LATENCY_RATIO_TARGET
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
