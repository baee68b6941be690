"""Benchmark `fn invoke --local` of a trivial handler, end to end (a new `fn` process each time).

Run: .venv/bin/python bench/bench_invoke_local.py [--runs N]
Target: under 0.5 s. Measures two cases: the handler run alone (no emulator listening: logs are not stored),
and with the local emulator (a moto server on a free port), where the log lines are also written to its
CloudWatch Logs. The first run of each case packages and extracts the code; the median is over the rest.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emulator import moto_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.5

SERVICE = """\
service: bench
provider:
  name: aws
functions:
  hello:
    handler: handler.hello
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_invokes(directory: Path, port: int, runs: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FN_LOCAL_PORT": str(port), "FN_STATE_DIR": str(directory)}
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "fnship", "invoke", "--local", "--data", '{"n": 1}'],
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"fn invoke --local failed:\n{done.stderr}")
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "serverless.yml").write_text(SERVICE)
        (directory / "handler.py").write_text("def hello(event, context):\n    return {'n': event['n']}\n")
        alone = time_invokes(directory, free_port(), args.runs)
        with moto_server() as port:
            emulated = time_invokes(directory, port, args.runs)
    for label, times in (("handler only", alone), ("with emulator logs", emulated)):
        median = statistics.median(times)
        verdict = "ok" if median < TARGET_S else "OVER TARGET"
        print(
            f"fn invoke --local ({label}): median {median:.3f} s, min {min(times):.3f} s, max {max(times):.3f} s "
            f"over {len(times)} runs (target < {TARGET_S} s: {verdict})"
        )


if __name__ == "__main__":
    main()
