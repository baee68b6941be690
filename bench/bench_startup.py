"""Start-up: `fn --version`, `fn --help` and an unchanged `fn package`, against `sam --version` and an unchanged
`chalice package` of the same function, measured in the same run.

Targets: `fn --version` no slower than `sam --version` (issue 2: ratio <= 1.0; issue 10: no slower than before,
0.31x in the earlier note); `fn --help` under 0.3 s; an unchanged `fn package` of one function (a handler with
requests, pyyaml and pydantic: bench_package.py's sample) <= 0.3x an unchanged `chalice package` (issue 10). Both
are bound by start-up (imports), not work.

Run: .venv/bin/python bench/bench_startup.py [--runs N] [--cache-dir DIR] [--editable]
fnship runs from its own venv installed from this checkout (bench_package.fnship_venv: compiled bytecode, as a
user installs it; `--editable` uses this checkout's .venv instead), each peer from its own venv under the cache
directory (bench/common.tool_venv). The two commands of a pair run alternately, N times each after one warm-up,
so load on a shared machine falls on both alike; wall time medians are the result, CPU time (user + system of the
process and its children) is printed beside them as a check that is steadier under load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_package import CHALICE_ENV, fnship_venv, write_chalice_project, write_fn_project  # noqa: E402
from common import CACHE, tool_venv  # noqa: E402

# The earlier note's `fn --version` / `sam --version` (51 ms / 167 ms): "no slower than before".
VERSION_RATIO_BEFORE = 0.31


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # Bytecode is written and read as a pip install leaves it (see bench_package.run).
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**base, "NO_COLOR": "1", "SAM_CLI_TELEMETRY": "0", **(extra or {})}


def once(argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one run; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def pair(first: Callable[[], tuple[float, float]], second: Callable[[], tuple[float, float]], runs: int) -> dict:
    """Medians (wall, CPU) of each of two commands, run alternately after one warm-up of each."""
    samples: dict[str, list[tuple[float, float]]] = {"first": [], "second": []}
    for attempt in range(runs + 1):
        for name, action in (("first", first), ("second", second)):
            measured = action()
            if attempt:
                samples[name].append(measured)
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in samples.items()
    }


def show(label: str, wall: float, cpu: float) -> None:
    print(f"{label:<34} median {wall * 1000:7.0f} ms   (CPU {cpu * 1000:5.0f} ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--cache-dir", type=Path, default=CACHE)
    parser.add_argument("--editable", action="store_true", help="run this checkout's .venv fn, not a fresh install")
    args = parser.parse_args()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    fn_bin = Path(sys.executable).parent if args.editable else fnship_venv(args.cache_dir)
    fn = [str(fn_bin / "fn")]
    env = clean_env()

    sam_bin = tool_venv("sam", "aws-sam-cli", cache=args.cache_dir)
    if sam_bin is None:
        print("sam: could not be installed (no PyPI?): `fn --version` alone")
        version = pair(lambda: once([*fn, "--version"], env=env), lambda: (0.0, 0.0), args.runs)["first"]
        show("fn --version", *version)
    else:
        versions = pair(lambda: once([*fn, "--version"], env=env),
                        lambda: once([str(sam_bin / "sam"), "--version"], env=env), args.runs)  # fmt: skip
        show("fn --version", *versions["first"])
        show("sam --version", *versions["second"])
        ratio = versions["first"][0] / versions["second"][0]
        print(f"ratio fn/sam --version             {ratio:.2f} (target <= {VERSION_RATIO_BEFORE}, before; <= 1.0): "
              f"{'ok' if ratio <= VERSION_RATIO_BEFORE else 'MISSED'}")  # fmt: skip

    help_time = pair(lambda: once([*fn, "--help"], env=env), lambda: (0.0, 0.0), args.runs)["first"]
    show("fn --help", *help_time)
    print(f"fn --help                          target < 300 ms: {'ok' if help_time[0] < 0.3 else 'MISSED'}")

    chalice_bin = tool_venv("chalice", "chalice", cache=args.cache_dir)
    if chalice_bin is None:
        print("chalice: could not be installed (no PyPI?): no `fn package` baseline this run")
        return 0
    with tempfile.TemporaryDirectory(prefix="fnship-startup-") as scratch:
        work = Path(scratch)
        write_fn_project(work / "fn")
        write_chalice_project(work / "chalice")
        fn_env = clean_env({"FN_CACHE_DIR": str(work / "fn-cache")})
        chalice_env = clean_env(CHALICE_ENV)
        chalice = [str(chalice_bin / "chalice"), "package", "out"]

        def chalice_unchanged() -> tuple[float, float]:
            shutil.rmtree(work / "chalice" / "out", ignore_errors=True)  # its output, not its deployment cache
            return once(chalice, cwd=work / "chalice", env=chalice_env)

        once([*fn, "package"], cwd=work / "fn", env=fn_env)  # the cold builds: what follows is unchanged
        chalice_unchanged()
        packages = pair(lambda: once([*fn, "package"], cwd=work / "fn", env=fn_env), chalice_unchanged, args.runs)
    show("fn package (unchanged)", *packages["first"])
    show("chalice package (unchanged)", *packages["second"])
    wall_ratio = packages["first"][0] / packages["second"][0]
    cpu_ratio = packages["first"][1] / packages["second"][1]
    print(f"ratio fn/chalice package           {wall_ratio:.2f} (target <= 0.30): "
          f"{'ok' if wall_ratio <= 0.3 else 'MISSED'}; CPU ratio {cpu_ratio:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
