"""Benchmark `fn package` of a Node.js (TypeScript) function against `serverless package` (v3 with
serverless-esbuild) on the same service.

Run: .venv/bin/python bench/bench_node_package.py [--runs N] [--cache-dir DIR]
The sample: a TypeScript handler using a few dependencies (ms, dayjs, uuid, zod), nodejs20.x, x86_64, bundled with
esbuild by both tools (serverless-esbuild's `custom.esbuild`, which fnship reads as well). Serverless v3,
serverless-esbuild and esbuild are installed with npm into the sample project (a temporary directory) by this
script; both tools then use the project's own esbuild.

Measured, each as the median of N runs after one warm-up run:
- cold: no build output and no build cache (fn: an empty FN_CACHE_DIR and no .fn/; serverless: no .serverless/
  nor .esbuild/);
- unchanged: the same command again with the tool's own output in place;
- reproducibility: two clean `fn package` runs give byte-identical zips.
Prints the times and the ratios against the targets (cold <= 0.3x serverless, unchanged <= 0.3x serverless).
Exits 0 even when serverless cannot be installed (it is then reported as skipped).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_package import fnship_venv, run, timed  # noqa: E402

HANDLER = """\
import ms from "ms";
import dayjs from "dayjs";
import { v4 as uuid } from "uuid";
import { z } from "zod";

const Order = z.object({ item: z.string(), quantity: z.number().int().positive() });

export const handler = async (event: { body?: string }) => {
  const order = Order.parse(JSON.parse(event.body ?? '{"item": "tea", "quantity": 1}'));
  return {
    statusCode: 200,
    body: JSON.stringify({ id: uuid(), at: dayjs(0).toISOString(), ttl: ms("2 days"), order }),
  };
};
"""
PACKAGE = {
    "name": "bench-node",
    "version": "1.0.0",
    "private": True,
    "dependencies": {"ms": "2.1.3", "dayjs": "1.11.13", "uuid": "11.0.3", "zod": "3.23.8"},
    "devDependencies": {"serverless": "3.39.0", "serverless-esbuild": "1.57.2", "esbuild": "0.25.12"},
}
SERVERLESS_YML = """\
service: bench-node
frameworkVersion: "3"
provider:
  name: aws
  runtime: nodejs20.x
  architecture: x86_64
  region: us-east-1
plugins:
  - serverless-esbuild
custom:
  esbuild:
    bundle: true
    minify: false
    exclude: ["@aws-sdk/*"]
package:
  individually: true
functions:
  api:
    handler: src/api.handler
"""


def prepare(work: Path) -> Path:
    project = work / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "api.ts").write_text(HANDLER)
    (project / "package.json").write_text(json.dumps(PACKAGE, indent=2))
    (project / "serverless.yml").write_text(SERVERLESS_YML)
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=project,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"npm install failed:\n{done.stderr[-2000:]}")
    return project


def bench_fn(project: Path, work: Path, runs: int, tools: Path) -> dict:
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
        digests.append(hashlib.sha256((project / ".fn/build/dev/api.zip").read_bytes()).hexdigest())
    return {"cold": cold, "unchanged": unchanged, "identical": digests[0] == digests[1], "digest": digests[0]}


def bench_serverless(project: Path, runs: int) -> dict | None:
    binary = project / "node_modules" / ".bin" / "serverless"
    if not binary.exists():
        return None
    env = {"SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off", "SLS_DEPRECATION_DISABLE": "*",
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1"}  # fmt: skip
    command = [str(binary), "package"]

    def clean() -> None:
        for directory in (".serverless", ".esbuild"):
            shutil.rmtree(project / directory, ignore_errors=True)

    try:
        cold = timed(lambda: run(command, cwd=project, env=env), clean, runs)
        unchanged = timed(lambda: run(command, cwd=project, env=env), lambda: None, runs)
    except RuntimeError as exc:
        print(f"serverless package failed, skipped: {exc}", file=sys.stderr)
        return None
    return {"cold": cold, "unchanged": unchanged}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "fnship-bench")
    args = parser.parse_args()
    if shutil.which("npm") is None:
        print("npm is not installed: skipped")
        return 0
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fnship-bench-node-") as scratch:
        work = Path(scratch)
        project = prepare(work)
        fn = bench_fn(project, work, args.runs, args.cache_dir)
        sls = bench_serverless(project, args.runs)
    print(f"fn package (Node.js, TypeScript + 4 dependencies), median of {args.runs} runs")
    print(f"  fn cold          {fn['cold']:7.2f} s")
    print(f"  fn unchanged     {fn['unchanged']:7.2f} s")
    print(f"  two clean builds byte-identical: {fn['identical']} ({fn['digest'][:12]})")
    ok = fn["identical"]
    if sls is None:
        print("  serverless package: skipped (could not be installed or run)")
    else:
        cold_ratio = fn["cold"] / sls["cold"]
        unchanged_ratio = fn["unchanged"] / sls["unchanged"]
        print(f"  serverless cold  {sls['cold']:7.2f} s   fn/serverless {cold_ratio:.2f}x (target <= 0.3x)")
        print(f"  serverless again {sls['unchanged']:7.2f} s   fn/serverless {unchanged_ratio:.2f}x (target <= 0.3x)")
        ok = ok and cold_ratio <= 0.3 and unchanged_ratio <= 0.3
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    raise SystemExit(main())
