"""An unchanged redeploy of a 10-function service against a moto server: time and mutating calls.

Target (issue 2): under 2 s, and no mutating call. The baseline measured in the same run is the first deploy
of the same service from nothing (the ratio says how much of a deploy an unchanged one costs).
Run: .venv/bin/python bench/bench_redeploy.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import aws_env, fn_argv, moto_server, recorded_actions  # noqa: E402

from tests.moto_calls import is_mutating  # noqa: E402

FUNCTIONS = 10


def write_service(root: Path) -> None:
    functions = "\n".join(
        f"  fn{i}:\n    handler: handler.main\n    memorySize: {128 + i * 64}\n    environment:\n      INDEX: '{i}'"
        for i in range(FUNCTIONS)
    )
    (root / "serverless.yml").write_text(
        "service: bench\nprovider:\n  name: aws\n  runtime: python3.12\n  logRetentionInDays: 7\n"
        f"functions:\n{functions}\n"
    )
    (root / "handler.py").write_text("def main(event, context):\n    return event\n")


def timed(argv: list[str], env: dict, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, moto_server() as endpoint:
        root = Path(tmp)
        write_service(root)
        env = aws_env(endpoint)
        first = timed(fn_argv("deploy", "--yes"), env, root)
        runs = [timed(fn_argv("deploy", "--yes"), env, root) for _ in range(5)]
        actions = recorded_actions(endpoint, lambda: timed(fn_argv("deploy", "--yes"), env, root))
    unchanged = statistics.median(runs)
    mutating = [a for a in actions if is_mutating(a)]
    print(f"first deploy of {FUNCTIONS} functions: {first:.2f} s")
    print(f"unchanged redeploy median: {unchanged:.2f} s (target < 2 s): {'ok' if unchanged < 2 else 'MISSED'}")
    print(f"ratio unchanged/first: {unchanged / first:.2f}")
    print(f"AWS calls in an unchanged redeploy: {len(actions)}, mutating: {len(mutating)} {mutating or ''}")
    return 0 if not mutating else 1


if __name__ == "__main__":
    raise SystemExit(main())
