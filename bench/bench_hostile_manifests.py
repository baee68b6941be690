"""How long `fn validate` takes to refuse each hostile manifest (target: under a second each, exit 2), as a user
runs it (a new process), next to the time it takes on the smallest valid manifest (the start-up baseline). Wall
time and the process's CPU time (the latter is what a busy machine distorts least); best of three.

Run: .venv/bin/python bench/bench_hostile_manifests.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fnship.manifest import loader  # noqa: E402
from fnship.manifest.variables import core  # noqa: E402
from tests.manifest.test_hostile import HEAD, billion_laughs  # noqa: E402

CASES: dict[str, bytes] = {
    "valid (baseline)": HEAD.encode(),
    "billion laughs": billion_laughs().encode(),
    "10 levels of 10 aliases": billion_laughs(levels=10, width=10).encode(),
    "too many aliases": (HEAD + "custom:\n  x: &x 1\n  many: [" + ", ".join(["*x"] * 5000) + "]\n").encode(),
    "flow nesting 100k deep": (HEAD + "custom: " + "[" * 100_000 + "]" * 100_000 + "\n").encode(),
    "block nesting past the limit": (
        HEAD + "custom:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(loader.MAX_DEPTH + 5)) + "   x: 1\n"
    ).encode(),
    "file just over the size limit": (HEAD + "custom:\n" + "  k: " + "x" * loader.MAX_FILE_BYTES + "\n").encode(),
    "file just under the size limit": (
        HEAD + "custom:\n" + "".join(f"  key{i}: [a, b, {i}]\n" for i in range(loader.MAX_FILE_BYTES // 24))
    ).encode()[: loader.MAX_FILE_BYTES - 100],
    "chain of 5000 variables": (
        HEAD + "custom:\n" + "".join(f"  v{i}: ${{self:custom.v{i + 1}}}\n" for i in range(5000)) + "  v5000: end\n"
    ).encode(),
    "variables multiplying lists": (
        HEAD
        + "custom:\n  l0: [a, b, c, d, e, f, g, h, i, j]\n"
        + "".join(f"  l{n}: [" + ", ".join([f"'${{self:custom.l{n - 1}}}'"] * 10) + "]\n" for n in range(1, 12))
    ).encode(),
    "too many substitutions": (
        HEAD + "custom:\n" + "".join(f"  k{i}: ${{self:service}}\n" for i in range(core.MAX_SUBSTITUTIONS + 10))
    ).encode(),
    "self-including file": (HEAD + "custom:\n  me: ${file(./serverless.yml)}\n").encode(),
    "binary": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100,
    "python tag": (HEAD + "custom:\n  x: !!python/object/apply:os.system ['true']\n").encode(),
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    worst = worst_cpu = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name, content in CASES.items():
            path = Path(tmp) / "serverless.yml"
            path.write_bytes(content)
            times, cpu = [], []
            for _ in range(3):
                start, used = time.perf_counter(), _children_cpu()
                done = subprocess.run(
                    [sys.executable, "-m", "fnship", "validate", "-c", str(path)], capture_output=True, text=True
                )
                times.append(time.perf_counter() - start)
                cpu.append(_children_cpu() - used)
            best = min(times)
            expected = 0 if name.startswith("valid") or "under" in name else 2
            ok = done.returncode == expected and "Traceback" not in done.stderr
            if expected == 2:
                worst, worst_cpu = max(worst, best), max(worst_cpu, min(cpu))
            verdict = "ok" if ok else "WRONG"
            timing = f"{best * 1000:5.0f} ms  cpu {min(cpu) * 1000:5.0f} ms"
            print(f"{name:32} {len(content):>9,} B  exit {done.returncode}  {timing}  {verdict}")
            if not ok:
                print(done.stderr[-500:])
                return 1
    print(f"slowest refusal: {worst * 1000:.0f} ms wall, {worst_cpu * 1000:.0f} ms CPU (target < 1000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
