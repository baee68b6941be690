"""Deploys as a region sees them: every AWS call answered 50 ms late (bench/latency_proxy.py in front of moto).

Run: .venv/bin/python bench/bench_roundtrips.py [--delay 0.05] [--functions 50] [--skip-chalice] [--only one|many]

Measured in one run, against one moto server behind one proxy:
- one function (a handler with requests, pyyaml and pydantic): `fn deploy` from nothing and unchanged, beside
  `chalice deploy` of the same function, from nothing and unchanged (medians of --runs; each deploy from nothing
  follows a remove of the one before) (chalice installed into its own venv under
  the bench cache; it reaches the proxy through AWS_ENDPOINT_URL, which its boto3 honours). Targets: first
  deploy <= 1.0x chalice, unchanged <= 0.5x chalice, unchanged = 0 mutating calls;
- N functions (default 50) with one SQS trigger each: first deploy (target <= 30 s, the client-side limiter on),
  unchanged redeploy (<= 3 s) and `fn plan` (<= 3 s), with the calls per function of each.
Prints a table and exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_package import HANDLER, REQUIREMENTS  # noqa: E402
from common import CACHE, aws_env, fn_argv, moto_server, tool_venv  # noqa: E402
from latency_proxy import LatencyProxy  # noqa: E402

ONE_FUNCTION = """\
service: rt-one
provider:
  name: aws
  runtime: python3.12
functions:
  api:
    handler: app.main
"""
CHALICE_APP = """\
from chalice import Chalice

app = Chalice(app_name="rt-chalice")


@app.lambda_function()
def api(event, context):
    import pydantic, requests, yaml  # noqa: E401,F401
    return {"ok": True}
"""


class Result:
    def __init__(self, label: str, seconds: float, counts, per: int = 1):
        self.label, self.seconds, self.per = label, seconds, per
        self.calls, self.reads, self.mutating = counts.total, counts.reads, counts.mutating
        self.detail = counts.summary(top=20)

    def row(self) -> str:
        per = f"{self.calls / self.per:>8.1f}" if self.per > 1 else f"{'':>8}"
        return f"{self.label:<44}{self.seconds:>8.2f}{self.calls:>7}{self.reads:>7}{len(self.mutating):>7}{per}"


def measured(label: str, argv: list[str], *, proxy: LatencyProxy, env: dict, cwd: Path, per: int = 1) -> Result:
    proxy.counts.reset()
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{label}: {' '.join(argv)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                           f"{done.stderr[-3000:]}")  # fmt: skip
    return Result(label, seconds, proxy.counts, per)


def median_of(results: list[Result]) -> Result:
    ordered = sorted(results, key=lambda r: r.seconds)
    return ordered[len(ordered) // 2]


def first_deploys(
    label: str, deploy: list[str], remove: list[str], *, proxy: LatencyProxy, env: dict, cwd: Path, runs: int
) -> Result:
    """The median of `runs` deploys from nothing, each after `remove` (not timed); the last one stays deployed."""
    results = []
    for run in range(runs):
        if run:
            subprocess.run(remove, env=env, cwd=cwd, check=True, capture_output=True)
        results.append(measured(label, deploy, proxy=proxy, env=env, cwd=cwd))
    return median_of(results)


def warm_emulator(direct: str) -> None:
    """moto builds a service's backend on its first call: SSM's first answer takes about 0.7 s (it loads AWS's
    public parameters) and Lambda's about 0.2 s. AWS has no such cost, and it would land on whichever tool calls
    that service first, so every service the tools use is asked once, straight to moto (not timed, not counted)."""
    import boto3

    keys = {"endpoint_url": direct, "region_name": "us-east-1", "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing"}  # fmt: skip
    boto3.client("ssm", **keys).get_parameters(Names=["/fnship/warm-up"])
    boto3.client("lambda", **keys).list_functions()
    boto3.client("iam", **keys).list_roles(PathPrefix="/warm-up/")
    boto3.client("logs", **keys).describe_log_groups(logGroupNamePrefix="/warm-up")
    boto3.client("sts", **keys).get_caller_identity()
    boto3.client("resourcegroupstaggingapi", **keys).get_resources(TagFilters=[{"Key": "warm-up", "Values": ["x"]}])
    boto3.client("sqs", **keys).list_queues(QueueNamePrefix="warm-up")


def warm_operations(work: Path, endpoint: str, chalice_bin: Path | None, *, fn_cache: str) -> None:
    """moto also pays on the first call of each operation (its request routing and response templates), which AWS
    does not; it would land on whichever tool is timed first. So each tool first deploys and removes a throwaway
    function of its own (not timed): every operation either tool
    calls then answers at its steady speed. fn's goes through the proxy with the timed deploys' cache directory,
    as on a machine that has run fn before (its botocore models parsed, the credentials' account known for this
    endpoint); the timed function itself was never deployed. The proxy's counts are reset before each timed run."""
    env = {**aws_env(endpoint), "FN_CACHE_DIR": fn_cache}
    project = work / "warm-fn"
    project.mkdir()
    (project / "app.py").write_text("def main(event, context):\n    return event\n")
    (project / "serverless.yml").write_text(ONE_FUNCTION.replace("rt-one", "rt-warm"))
    for command in (("deploy", "--yes"), ("deploy", "--yes"), ("remove", "--yes")):
        subprocess.run(fn_argv(*command), env=env, cwd=project, check=True, capture_output=True)
    if chalice_bin is None:
        return
    app = work / "warm-chalice"
    (app / ".chalice").mkdir(parents=True)
    (app / "app.py").write_text(CHALICE_APP.replace("rt-chalice", "rt-chalice-warm"))
    (app / ".chalice" / "config.json").write_text(
        json.dumps({"version": "2.0", "app_name": "rt-chalice-warm", "stages": {"dev": {"api_gateway_stage": "api"}}})
    )
    for command in (["deploy"], ["deploy"], ["delete"]):
        subprocess.run([str(chalice_bin / "chalice"), *command], env=env, cwd=app, check=True, capture_output=True)


def one_function(work: Path, proxy: LatencyProxy, env: dict, *, runs: int, chalice: bool) -> dict[str, Result]:
    project = work / "one"
    project.mkdir()
    (project / "app.py").write_text(HANDLER)
    (project / "requirements.txt").write_text(REQUIREMENTS)
    (project / "serverless.yml").write_text(ONE_FUNCTION)
    fn_env = {**env, "FN_CACHE_DIR": str(work / "fn-cache")}
    # Dependencies are built once before timing (both tools then reuse their build caches): this measures AWS
    # round trips, and bench_package.py measures building.
    subprocess.run(fn_argv("package"), env=fn_env, cwd=project, check=True, capture_output=True)
    bin_dir = tool_venv("chalice", "chalice") if chalice else None
    if chalice and bin_dir is None:
        print("chalice: could not be installed (no PyPI?): no baseline this run", file=sys.stderr)
    warm_operations(work, proxy.endpoint, bin_dir, fn_cache=fn_env["FN_CACHE_DIR"])
    out = {"fn first": first_deploys("one function: fn deploy, first", fn_argv("deploy", "--yes"),
                                     fn_argv("remove", "--yes"), proxy=proxy, env=fn_env, cwd=project,
                                     runs=runs)}  # fmt: skip
    out["fn unchanged"] = median_of([measured("one function: fn deploy, unchanged", fn_argv("deploy", "--yes"),
                                              proxy=proxy, env=fn_env, cwd=project) for _ in range(runs)])  # fmt: skip
    if bin_dir is None:
        return out
    app = work / "chalice"
    (app / ".chalice").mkdir(parents=True)
    (app / "app.py").write_text(CHALICE_APP)
    (app / "requirements.txt").write_text(REQUIREMENTS)
    (app / ".chalice" / "config.json").write_text(
        json.dumps({"version": "2.0", "app_name": "rt-chalice", "stages": {"dev": {"api_gateway_stage": "api"}}})
    )
    chalice = [str(bin_dir / "chalice"), "deploy"]
    # chalice builds its dependencies on the first deploy and caches them (.chalice/deployments); warm that cache
    # with `chalice package` first, so both tools are timed on AWS calls, not on building.
    subprocess.run([str(bin_dir / "chalice"), "package", str(work / "chalice-out")], env=env, cwd=app, check=True,
                   capture_output=True)  # fmt: skip
    out["chalice first"] = first_deploys("one function: chalice deploy, first", chalice,
                                         [str(bin_dir / "chalice"), "delete"], proxy=proxy, env=env, cwd=app,
                                         runs=runs)  # fmt: skip
    out["chalice unchanged"] = median_of([measured("one function: chalice deploy, unchanged", chalice, proxy=proxy,
                                                   env=env, cwd=app) for _ in range(runs)])  # fmt: skip
    return out


def many_functions(work: Path, proxy: LatencyProxy, env: dict, direct: str, *, count: int, runs: int) -> dict:
    import boto3

    project = work / "many"
    project.mkdir()
    sqs = boto3.client("sqs", endpoint_url=direct, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")  # fmt: skip
    lines = ["service: rt-many", "provider:", "  name: aws", "  runtime: python3.12", "functions:"]
    for i in range(count):
        url = sqs.create_queue(QueueName=f"rt-q{i}", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        lines += [f"  f{i}:", "    handler: handler.main", "    timeout: 10", "    events:", f"      - sqs: {arn}"]
    (project / "serverless.yml").write_text("\n".join(lines) + "\n")
    (project / "handler.py").write_text("def main(event, context):\n    return event\n")
    fn_env = {**env, "FN_CACHE_DIR": str(work / "fn-cache-many")}
    label = f"{count} functions x 1 SQS trigger"
    out = {"first": measured(f"{label}: fn deploy, first", fn_argv("deploy", "--yes"), proxy=proxy, env=fn_env,
                             cwd=project, per=count)}  # fmt: skip
    out["unchanged"] = median_of(
        [
            measured(
                f"{label}: fn deploy, unchanged",
                fn_argv("deploy", "--yes"),
                proxy=proxy,
                env=fn_env,
                cwd=project,
                per=count,
            )
            for _ in range(runs)
        ]
    )
    out["plan"] = median_of([measured(f"{label}: fn plan", fn_argv("plan"), proxy=proxy, env=fn_env, cwd=project,
                                      per=count) for _ in range(runs)])  # fmt: skip
    return out


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--functions", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-chalice", action="store_true")
    parser.add_argument("--only", choices=("one", "many"))
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    missed = []
    with tempfile.TemporaryDirectory(prefix="fnship-rt-") as scratch, moto_server(record=False) as direct:
        work = Path(scratch)
        warm_emulator(direct)
        with LatencyProxy(direct, delay=args.delay) as proxy:
            env = {**aws_env(proxy.endpoint), "NO_COLOR": "1"}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            one = {} if args.only == "many" else one_function(work, proxy, env, runs=args.runs,
                                                              chalice=not args.skip_chalice)  # fmt: skip
            many = {} if args.only == "one" else many_functions(work, proxy, env, direct, count=args.functions,
                                                                runs=args.runs)  # fmt: skip
    print(f"every call answered {args.delay * 1000:.0f} ms late; seconds are wall time of the whole command")
    print(f"{'':<44}{'s':>8}{'calls':>7}{'reads':>7}{'mut.':>7}{'/fn':>8}")
    for result in [*one.values(), *many.values()]:
        print(result.row())
    if "fn unchanged" in one:
        unchanged = one["fn unchanged"]
        print(f"one function, unchanged: mutating calls {unchanged.mutating or 0} (target 0): "
              f"{verdict(not unchanged.mutating)}")  # fmt: skip
        missed += [] if not unchanged.mutating else ["one unchanged mutating"]
    if "chalice first" in one:
        first = one["fn first"].seconds / one["chalice first"].seconds
        again = one["fn unchanged"].seconds / one["chalice unchanged"].seconds
        print(f"fn/chalice first deploy: {first:.2f} (target <= 1.0): {verdict(first <= 1.0)}")
        print(f"fn/chalice unchanged:    {again:.2f} (target <= 0.5): {verdict(again <= 0.5)}")
        missed += [] if first <= 1.0 else ["first/chalice"]
        missed += [] if again <= 0.5 else ["unchanged/chalice"]
    if many:
        for key, target in (("first", 30.0), ("unchanged", 3.0), ("plan", 3.0)):
            ok = many[key].seconds <= target
            print(f"{args.functions} functions, {key}: {many[key].seconds:.2f} s (target <= {target:.0f} s): "
                  f"{verdict(ok)}; {many[key].calls / args.functions:.1f} calls per function")  # fmt: skip
            missed += [] if ok else [f"many {key}"]
        for key in ("unchanged", "plan"):
            if many[key].mutating:
                print(f"{key}: mutating calls {many[key].mutating}")
                missed.append(f"many {key} mutating")
    if os.environ.get("FN_BENCH_DETAIL"):
        for result in [*one.values(), *many.values()]:
            print(f"{result.label}: {result.detail}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
