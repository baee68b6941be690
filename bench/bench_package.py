"""Benchmark `fn package` against `sam build` and `chalice package` on the same sample.

Run: .venv/bin/python bench/bench_package.py [--runs N] [--cache-dir DIR]
The sample: a handler plus requests, pyyaml and pydantic, Python 3.11, x86_64. Each peer tool is installed from
PyPI into its own virtual environment under the cache directory (default ~/.cache/fnship-bench) by this script.

Measured, each as the median of N runs after one warm-up run (so download caches are warm for every tool):
- cold: no build output and no build cache of the tool (fn: an empty FN_CACHE_DIR and no .fn/; sam: no .aws-sam/;
  chalice: no deployment cache nor output);
- unchanged: the same command again with the tool's own cache (`sam build --cached`);
- reproducibility: two clean `fn package` runs give byte-identical zips;
- zipping: fnship's zipper against Info-ZIP `zip -r -X -6` on the installed dependency tree.
Prints a table and the ratios against the targets (cold <= 0.3x chalice, unchanged <= 0.3x chalice). Exits 0 even
when a peer cannot be installed (it is then reported as skipped).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import tool_venv  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = "requests\npyyaml\npydantic\n"
HANDLER = """\
import json

import pydantic
import requests
import yaml


class Greeting(pydantic.BaseModel):
    name: str


def main(event, context):
    greeting = Greeting(name=(event or {}).get("name", "world"))
    return {"statusCode": 200, "body": json.dumps({"hello": greeting.name, "yaml": yaml.safe_dump({"a": 1}),
                                                   "requests": requests.__version__})}
"""
SERVERLESS_YML = """\
service: bench
provider:
  name: aws
  runtime: python3.11
  architecture: x86_64
package:
  patterns:
    - "!template.yaml"
    - "!.aws-sam/**"
functions:
  api:
    handler: app.main
"""
SAM_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.main
      Runtime: python3.11
      Architectures: [x86_64]
"""
CHALICE_APP = """\
from chalice import Chalice

app = Chalice(app_name="bench")


@app.lambda_function()
def api(event, context):
    import pydantic, requests, yaml  # noqa: E401,F401
    return {"ok": True}
"""


def python_bin() -> str:
    return sys.executable


def run(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
    # Every tool runs with its bytecode cached, as a pip install leaves it (sam's and chalice's venvs have .pyc
    # files; an editable fnship writes them on the warm-up run unless this variable forbids it).
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(argv, cwd=cwd, env={**base, **(env or {})}, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )


def timed(action: Callable[[], None], prepare: Callable[[], None], runs: int) -> float:
    times = []
    for attempt in range(runs + 1):
        prepare()
        start = time.perf_counter()
        action()
        if attempt:  # the first run warms download caches and the page cache
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def fnship_venv(cache: Path) -> Path:
    """fnship installed from this checkout into its own venv, as a user installs it (like sam's and chalice's)."""
    venv = cache / "venv-fnship"
    if not (venv / "bin" / "python").exists():
        subprocess.run([python_bin(), "-m", "venv", str(venv)], check=True)
    uv = shutil.which("uv") or str(Path(python_bin()).parent / "uv")
    installer = [uv, "pip", "install", "--python", str(venv / "bin" / "python")] if Path(uv).exists() else [
        str(venv / "bin" / "pip"), "install"]  # fmt: skip
    subprocess.run([*installer, "-q", "--reinstall-package", "fnship", str(REPO)] if Path(uv).exists()
                   else [*installer, "-q", "--force-reinstall", str(REPO)], check=True)  # fmt: skip
    return venv / "bin"


def write_fn_project(project: Path) -> None:
    """The sample as a serverless.yml service."""
    project.mkdir(parents=True)
    (project / "app.py").write_text(HANDLER)
    (project / "requirements.txt").write_text(REQUIREMENTS)
    (project / "serverless.yml").write_text(SERVERLESS_YML)


def write_chalice_project(project: Path) -> None:
    """The sample as a chalice app."""
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text(CHALICE_APP)
    (project / "requirements.txt").write_text(REQUIREMENTS)
    (project / ".chalice" / "config.json").write_text(json.dumps({"version": "2.0", "app_name": "bench",
                                                                  "stages": {"dev": {}}}))  # fmt: skip


# `chalice package` makes no AWS call but insists on a region.
CHALICE_ENV = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}


def bench_fn(work: Path, runs: int, tools: Path) -> dict:
    project = work / "fn"
    write_fn_project(project)
    cache = work / "fn-cache"
    env = {"FN_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    fn = [str(fnship_venv(tools) / "fn"), "package"]

    def clean() -> None:
        shutil.rmtree(project / ".fn", ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)

    cold = timed(lambda: run(fn, cwd=project, env=env), clean, runs)
    unchanged = timed(lambda: run(fn, cwd=project, env=env), lambda: None, runs)

    digests = []
    for _ in range(2):
        clean()
        run(fn, cwd=project, env=env)
        digests.append(hashlib.sha256((project / ".fn/build/dev/bench.zip").read_bytes()).hexdigest())
    tree = next((cache / "deps").iterdir())
    return {"cold": cold, "unchanged": unchanged, "identical": digests[0] == digests[1], "digest": digests[0],
            "deps_tree": tree, "zip": project / ".fn/build/dev/bench.zip"}  # fmt: skip


def bench_sam(work: Path, runs: int, cache: Path) -> dict | None:
    bin_dir = tool_venv("sam", "aws-sam-cli", cache=cache)
    if bin_dir is None:
        return None
    project = work / "sam"
    (project / "src").mkdir(parents=True)
    (project / "src" / "app.py").write_text(HANDLER)
    (project / "src" / "requirements.txt").write_text(REQUIREMENTS)
    (project / "template.yaml").write_text(SAM_TEMPLATE)
    env = {"SAM_CLI_TELEMETRY": "0", "PATH": f"{Path(python_bin()).parent}:{os.environ['PATH']}"}
    sam = str(bin_dir / "sam")

    def clean() -> None:
        shutil.rmtree(project / ".aws-sam", ignore_errors=True)

    cold = timed(lambda: run([sam, "build"], cwd=project, env=env), clean, runs)
    run([sam, "build", "--cached"], cwd=project, env=env)
    unchanged = timed(lambda: run([sam, "build", "--cached"], cwd=project, env=env), lambda: None, runs)
    return {"cold": cold, "unchanged": unchanged}


def bench_chalice(work: Path, runs: int, cache: Path) -> dict | None:
    bin_dir = tool_venv("chalice", "chalice", cache=cache)
    if bin_dir is None:
        return None
    project = work / "chalice"
    write_chalice_project(project)
    chalice = [str(bin_dir / "chalice"), "package", "out"]
    env = CHALICE_ENV

    def clean() -> None:
        shutil.rmtree(project / "out", ignore_errors=True)
        shutil.rmtree(project / ".chalice" / "deployments", ignore_errors=True)

    cold = timed(lambda: run(chalice, cwd=project, env=env), clean, runs)
    unchanged = timed(lambda: run(chalice, cwd=project, env=env),
                      lambda: shutil.rmtree(project / "out", ignore_errors=True), runs)  # fmt: skip
    return {"cold": cold, "unchanged": unchanged}


def bench_zipper(tree: Path, work: Path, runs: int) -> dict | None:
    if shutil.which("zip") is None:
        return None
    sys.path.insert(0, str(REPO))
    from fnship.packaging.patterns import walk
    from fnship.packaging.zipper import write_zip

    entries = [(rel, path) for rel, path in walk(tree) if rel != ".complete"]
    ours = timed(lambda: write_zip(entries, work / "ours.zip", level=6), lambda: None, runs)
    theirs = timed(lambda: run(["zip", "-r", "-X", "-6", "-q", str(work / "theirs.zip"), "."], cwd=tree),
                   lambda: (work / "theirs.zip").unlink(missing_ok=True), runs)  # fmt: skip
    return {"fnship": ours, "zip": theirs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(os.environ.get("FN_BENCH_CACHE", Path.home() / ".cache/fnship-bench"))
    )
    parser.add_argument("--skip-peers", action="store_true", help="measure fnship only")
    args = parser.parse_args()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fnship-bench-") as scratch:
        work = Path(scratch)
        fn = bench_fn(work, args.runs, args.cache_dir)
        sam = chalice = None
        if not args.skip_peers:
            try:
                sam = bench_sam(work, args.runs, args.cache_dir)
            except RuntimeError as exc:
                print(f"sam skipped: {exc}", file=sys.stderr)
            try:
                chalice = bench_chalice(work, args.runs, args.cache_dir)
            except RuntimeError as exc:
                print(f"chalice skipped: {exc}", file=sys.stderr)
        zipping = bench_zipper(fn["deps_tree"], work, args.runs)

    print(f"{'tool':<10}{'cold (s)':>10}{'unchanged (s)':>15}")
    for name, result in (("fn", fn), ("sam", sam), ("chalice", chalice)):
        if result is None:
            print(f"{name:<10}{'skipped':>10}")
        else:
            print(f"{name:<10}{result['cold']:>10.2f}{result['unchanged']:>15.2f}")
    print(f"byte-identical across two clean fn builds: {'yes' if fn['identical'] else 'NO'} ({fn['digest'][:16]})")
    if chalice:
        print(f"fn/chalice cold: {fn['cold'] / chalice['cold']:.2f} (target <= 0.30); "
              f"unchanged: {fn['unchanged'] / chalice['unchanged']:.2f} (target <= 0.30)")  # fmt: skip
    if sam:
        print(f"fn/sam cold: {fn['cold'] / sam['cold']:.2f}; unchanged: {fn['unchanged'] / sam['unchanged']:.2f}")
    if zipping:
        print(f"zipping the dependency tree: fnship {zipping['fnship']:.3f} s, zip -r -X -6 {zipping['zip']:.3f} s "
              f"(ratio {zipping['fnship'] / zipping['zip']:.2f}, target <= 1.0)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
