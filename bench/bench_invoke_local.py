"""Benchmark `fn invoke --local` of a trivial handler, end to end (a new `fn` process each time).

Run: .venv/bin/python bench/bench_invoke_local.py [--runs N]
Target: under 0.5 s. Measures two cases: the handler run alone (no emulator listening: logs are not stored),
and with the local emulator (a moto server on a free port), where the log lines are also written to its
CloudWatch Logs. The first run of each case packages and extracts the code; the median is over the rest.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fn_argv, free_port, local_env, moto_server, port_of, write_hello_service  # noqa: E402

TARGET_S = 0.5


def time_invokes(directory: Path, port: int, runs: int) -> list[float]:
    env = local_env(directory, port)
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        done = subprocess.run(
            fn_argv("invoke", "--local", "--data", '{"n": 1}'),
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
        write_hello_service(directory, "def hello(event, context):\n    return {'n': event['n']}\n")
        alone = time_invokes(directory, free_port(), args.runs)
        with moto_server(record=False) as endpoint:
            emulated = time_invokes(directory, port_of(endpoint), args.runs)
    for label, times in (("handler only", alone), ("with emulator logs", emulated)):
        median = statistics.median(times)
        verdict = "ok" if median < TARGET_S else "OVER TARGET"
        print(
            f"fn invoke --local ({label}): median {median:.3f} s, min {min(times):.3f} s, max {max(times):.3f} s "
            f"over {len(times)} runs (target < {TARGET_S} s: {verdict})"
        )


if __name__ == "__main__":
    main()
