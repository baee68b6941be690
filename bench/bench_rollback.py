"""Rollback of a 10-function service against a moto server, and the shifter's overhead per step.

Targets (issue 4): `fn rollback` of 10 functions under 2 s; the shifter adds under 1 s per step beyond the
strategy's own waits. Baselines measured in the same run: `fn info` of the same service (a read-only command
that touches every function, so the ratio says what moving the aliases costs on top of reading them), and the
strategy's own waits for the shifter.
Run: .venv/bin/python bench/bench_rollback.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import aws_env, fn_argv, moto_server  # noqa: E402

FUNCTIONS = 10
RUNS = 5


def write_service(root: Path, *, build: int, strategy: str = "AllAtOnce") -> None:
    functions = "\n".join(f"  fn{i}:\n    handler: handler.main" for i in range(FUNCTIONS))
    (root / "serverless.yml").write_text(
        f"service: bench\nprovider:\n  name: aws\n  environment:\n    BUILD: '{build}'\n"
        f"deployment:\n  strategy: {strategy}\nfunctions:\n{functions}\n"
    )
    (root / "handler.py").write_text("def main(event, context):\n    return event\n")


def run(argv: list[str], env: dict, cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout


def shifter_overhead(root: Path, env: dict, *, functions: int, strategy: str, waits: float, steps: int) -> float:
    """Seconds the release.shift step takes beyond the strategy's waits, per step (all functions in parallel)."""
    from fnship import pipeline

    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
    write_service(root, build=int(time.time() * 1000), strategy=f"'{strategy}'")
    loaded = pipeline.load(pipeline.Options(config=root / "serverless.yml"))
    only = tuple(f"fn{i}" for i in range(functions))
    plan = pipeline.make_plan(loaded, only=only)
    marks: dict[str, float] = {}

    def reporter(event, step):
        if step.type == "release.shift":
            marks[event] = time.perf_counter()

    result = pipeline.apply(loaded, plan, reporter=reporter)
    assert result.ok, result.error
    return (marks["done"] - marks["start"] - waits) / steps


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, moto_server() as endpoint:
        root = Path(tmp)
        env = aws_env(endpoint)
        write_service(root, build=1)
        run(fn_argv("deploy", "--yes"), env, root)
        write_service(root, build=2)
        run(fn_argv("deploy", "--yes"), env, root)
        releases = json.loads(run(fn_argv("releases", "--json"), env, root)[1])
        newest = releases["functions"][0]["releases"][0]["release"]
        info = statistics.median(run(fn_argv("info"), env, root)[0] for _ in range(RUNS))
        back, forward = [], []
        for _ in range(RUNS):
            back.append(run(fn_argv("rollback", "--yes"), env, root)[0])  # every function 2 -> 1
            forward.append(run(fn_argv("rollback", "--yes", "--to", newest), env, root)[0])  # and 1 -> 2
        rollback = statistics.median(back + forward)
        one = shifter_overhead(root, env, functions=1, strategy="linear 25% every 1s", waits=3, steps=4)
        ten = shifter_overhead(root, env, functions=FUNCTIONS, strategy="linear 25% every 1s", waits=3, steps=4)
    print(f"fn info of {FUNCTIONS} functions (baseline): {info:.2f} s")
    print(f"fn rollback of {FUNCTIONS} functions, median of {2 * RUNS}: {rollback:.2f} s (target < 2 s): "
          f"{'ok' if rollback < 2 else 'MISSED'}")  # fmt: skip
    print(f"ratio rollback/info: {rollback / info:.2f}")
    print(f"shifter overhead per step, 1 function: {one * 1000:.0f} ms; {FUNCTIONS} functions in parallel: "
          f"{ten * 1000:.0f} ms (target < 1 s): {'ok' if max(one, ten) < 1 else 'MISSED'}")  # fmt: skip
    return 0 if rollback < 2 and max(one, ten) < 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
