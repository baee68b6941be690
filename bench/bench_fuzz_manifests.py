"""The longer fuzz run: many more mutated manifests than the suite's 500 (tests/manifest/test_fuzz.py), each given
to `fn validate`, which must exit 0 or 2, print no traceback and write nothing outside `.fn/` (and how many took
over a second).

Run: .venv/bin/python bench/bench_fuzz_manifests.py [--examples N] [--seed S]
Prints how many were valid (exit 0) and refused (exit 2), the median and slowest time per manifest, and exits 1 on
the first misbehaving manifest (Hypothesis shrinks it and prints it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from tests.manifest.mutations import mutants, validate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()
    exits: Counter[int] = Counter()
    times: list[float] = []

    @seed(args.seed)
    @settings(max_examples=args.examples, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(manifest=mutants())
    def check(manifest: bytes) -> None:
        start = time.perf_counter()
        code, problem = validate(manifest)
        times.append(time.perf_counter() - start)
        exits[code] += 1
        assert problem is None, problem

    started = time.perf_counter()
    try:
        check()
    except AssertionError as failure:
        print(f"FAILED after {sum(exits.values())} manifests: {failure}")
        return 1
    total = sum(exits.values())
    print(
        f"fuzz: {total} mutated manifests in {time.perf_counter() - started:.0f} s: {exits[0]} valid (exit 0), "
        f"{exits[2]} refused (exit 2), other exits {total - exits[0] - exits[2]}; "
        f"median {statistics.median(times) * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms per manifest, "
        f"{sum(t > 1.0 for t in times)} over a second"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
