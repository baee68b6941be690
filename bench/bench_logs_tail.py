"""Benchmark: how long until a line written by `fn invoke --local` appears in `fn logs --local --tail`.

Run: .venv/bin/python bench/bench_logs_tail.py [--runs N]
Starts a moto server on a free port (the local emulator), a `fn logs --local --tail` process, then invokes a
handler that prints a unique marker with `fn invoke --local`, and measures from the moment the handler printed
it (the timestamp it carries) to the moment the tail printed it. Target: within 2 s.
"""

from __future__ import annotations

import argparse
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fn_argv, local_env, moto_server, port_of, write_hello_service  # noqa: E402

TARGET_S = 2.0
HANDLER = "import time\ndef hello(event, context):\n    print('marker', event['n'], repr(time.time()))\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, moto_server(record=False) as endpoint:
        directory = Path(tmp)
        write_hello_service(directory, HANDLER)
        env = local_env(directory, port_of(endpoint))
        tail = subprocess.Popen(
            fn_argv("logs", "--local", "--tail", "--since", "1s"),
            cwd=directory,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        arrivals: queue.Queue = queue.Queue()
        threading.Thread(
            target=lambda: [arrivals.put((time.time(), line)) for line in tail.stdout], daemon=True
        ).start()
        tail.stderr.readline()  # the tail is up
        try:
            for n in range(args.runs):
                subprocess.run(
                    fn_argv("invoke", "--local", "--data", f'{{"n": {n}}}'),
                    cwd=directory,
                    env=env,
                    capture_output=True,
                    check=True,
                )
                while True:
                    seen_at, line = arrivals.get(timeout=10)
                    if f"marker {n} " in line:
                        printed_at = float(line.rsplit(" ", 1)[1])
                        latencies.append(seen_at - printed_at)
                        break
                time.sleep(0.3)  # spread the invocations over the poll cycle
        finally:
            tail.send_signal(signal.SIGINT)
            tail.wait(timeout=10)
    median = statistics.median(latencies)
    verdict = "ok" if max(latencies) < TARGET_S else "OVER TARGET"
    print(
        f"fn logs --local --tail latency: median {median:.3f} s, min {min(latencies):.3f} s, "
        f"max {max(latencies):.3f} s over {len(latencies)} invocations (target < {TARGET_S} s: {verdict})"
    )


if __name__ == "__main__":
    main()
