"""Benchmark fnship's deterministic zipper against Info-ZIP `zip -r -X -6 -q`.

Run: .venv/bin/python bench/bench_zip.py [--runs N]
Builds a sample tree (~2000 files, ~30 MB: source-like text plus random bytes, a few files over 1 MiB) in a
temporary directory, zips it with each tool several times and prints the median times and the ratio ours/zip
(target <= 1.0). Exits 0 either way; skips the comparison when `zip` is not installed.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fnship.packaging.patterns import walk  # noqa: E402
from fnship.packaging.zipper import write_zip  # noqa: E402

WORDS = [
    "def",
    "return",
    "import",
    "class",
    "self",
    "lambda",
    "event",
    "context",
    "handler",
    "response",
    "status",
    "body",
    "json",
    "boto3",
    "for",
    "in",
    "if",
    "else",
    "try",
    "except",
    "raise",
    "with",
    "as",
    "yield",
    "async",
    "await",
    "None",
    "True",
    "False",
    "logger",
    "info",
    "error",
]


def make_tree(root: Path, *, seed: int = 42) -> tuple[int, int]:
    """~1600 text files (~14 MB), ~400 random-byte files (~12 MB), 4 big files (~5 MB). Returns (files, bytes)."""
    rng = random.Random(seed)
    files = 0
    total = 0

    def put(rel: str, data: bytes) -> None:
        nonlocal files, total
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files += 1
        total += len(data)

    for i in range(1600):
        lines = []
        size = rng.randint(1_000, 16_000)
        n = 0
        while n < size:
            line = "    " * rng.randint(0, 3) + " ".join(rng.choices(WORDS, k=rng.randint(3, 12))) + "\n"
            lines.append(line)
            n += len(line)
        put(f"pkg{i % 20}/mod{i // 20}/file{i}.py", "".join(lines).encode())
    for i in range(400):
        put(f"assets/a{i % 10}/blob{i}.bin", rng.randbytes(rng.randint(5_000, 55_000)))
    put("big/vendor.js", ("var x = function(a, b) { return a + b; };\n" * 30_000).encode())
    put("big/model.bin", rng.randbytes(2_000_000))
    put("big/data.csv", "".join(f"{i},{rng.random():.6f},{rng.choice(WORDS)}\n" for i in range(40_000)).encode())
    put("big/dict.txt", " ".join(rng.choices(WORDS, k=150_000)).encode())
    return files, total


def time_it(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fnship-bench-") as tmp:
        src = Path(tmp) / "src"
        out = Path(tmp) / "out"
        out.mkdir()
        files, total = make_tree(src)
        print(f"sample tree: {files} files, {total / 1e6:.1f} MB")

        def ours() -> None:
            write_zip(walk(src), out / "ours.zip", level=6)

        ours()  # warm the page cache and the thread pool path
        t_ours = time_it(ours, args.runs)
        size_ours = (out / "ours.zip").stat().st_size
        print(f"fnship zipper : {t_ours * 1000:8.1f} ms  ({size_ours / 1e6:.2f} MB, median of {args.runs})")

        zip_exe = shutil.which("zip")
        if zip_exe is None:
            print("Info-ZIP `zip` not found; install it (Debian/Ubuntu: apt-get install zip) to compare. Skipped.")
            return 0

        def info_zip() -> None:
            target = out / "infozip.zip"
            target.unlink(missing_ok=True)
            subprocess.run([zip_exe, "-r", "-X", "-6", "-q", str(target), "."], cwd=src, check=True)

        info_zip()
        t_zip = time_it(info_zip, args.runs)
        size_zip = (out / "infozip.zip").stat().st_size
        print(f"zip -r -X -6  : {t_zip * 1000:8.1f} ms  ({size_zip / 1e6:.2f} MB, median of {args.runs})")
        ratio = t_ours / t_zip
        verdict = "ok" if ratio <= 1.0 else "slower than target"
        print(f"ratio ours/zip: {ratio:.2f} (target <= 1.0: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
