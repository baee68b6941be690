"""Benchmark: a service with 10 functions and 20 triggers, deployed from nothing against the moto server.

Run: python bench/bench_triggers.py [--runs N]
Starts a moto server on 127.0.0.1 (in this process), creates the queues and the DynamoDB stream the service
consumes, writes the service to a temporary directory and runs the real CLI (`python -m fnship deploy --yes`)
in a subprocess, as a user would. Then it deploys the same service again and checks, from moto's request
recording, that the unchanged redeploy made no mutating call. Prints the times and exits 1 when a target is
missed: deploy from nothing under 15 s, no mutating call on the redeploy.

The triggers: 5 HTTP API routes, 2 REST API methods, 3 SQS queues, 2 SNS topics (owned), 2 S3 buckets
(owned), 2 schedules, 2 EventBridge patterns, 1 DynamoDB stream and 1 function URL (IAM auth: a public URL's
statement conditions are not kept by moto, so it would always plan an update there).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.moto_calls import mutating_actions  # noqa: E402

TARGET_DEPLOY_S = 15.0
REGION = "us-east-1"

HANDLER = "def main(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def manifest(queues: list[str], stream: str) -> str:
    functions = {
        "f1": ["httpApi: GET /a", "httpApi: POST /a"],
        "f2": ["httpApi: GET /b", "http: GET r1"],
        "f3": ["http: POST r2", f"sqs: {queues[2]}"],
        "f4": [f"sqs: {queues[0]}", f"sqs: {queues[1]}"],
        "f5": ["sns: topic-one", "sns: topic-two"],
        "f6": ["s3: bench-bucket-one", "s3: bench-bucket-two"],
        "f7": ["schedule: rate(5 minutes)", "schedule: cron(0 12 * * ? *)"],
        "f8": ["eventBridge:\n          pattern:\n            source: [bench.one]",
               "eventBridge:\n          pattern:\n            source: [bench.two]"],
        "f9": [f"stream:\n          arn: {stream}\n          startingPosition: LATEST", "httpApi: GET /c"],
        "f10": ["httpApi: '*'"],
    }  # fmt: skip
    lines = ["service: bench", "provider:", "  name: aws", "functions:"]
    for key, events in functions.items():
        lines += [f"  {key}:", "    handler: handler.main"]
        if key == "f10":
            lines += ["    url:", "      authorizer: aws_iam"]
        lines.append("    events:")
        lines += [f"      - {event}" for event in events]
    return "\n".join(lines) + "\n"


def count_triggers(text: str) -> int:
    return text.count("      - ") + text.count("    url:")


def call(endpoint: str, path: str, body: bytes = b"") -> bytes:
    request = urllib.request.Request(f"{endpoint}{path}", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def recording(endpoint: str) -> list[dict]:
    call(endpoint, "/moto-api/recorder/stop-recording")
    with urllib.request.urlopen(f"{endpoint}/moto-api/recorder/download-recording", timeout=30) as response:
        text = response.read().decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def prepare_sources(endpoint: str) -> tuple[list[str], str]:
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    sqs = session.client("sqs", endpoint_url=endpoint)
    queues = []
    for name in ("bench-q1", "bench-q2", "bench-q3"):
        url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
        queues.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
    table = session.client("dynamodb", endpoint_url=endpoint).create_table(
        TableName="bench-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return queues, table["TableDescription"]["LatestStreamArn"]


def fn(directory: Path, env: dict[str, str], *args: str) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "fnship", *args], cwd=directory, env=env, capture_output=True, text=True, timeout=300
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"fn {' '.join(args)} failed ({done.returncode}):\n{done.stderr}\n{done.stdout}")
    return elapsed, done


def one_run(endpoint: str, workdir: Path) -> tuple[float, float, list[str]]:
    call(endpoint, "/moto-api/reset")
    queues, stream = prepare_sources(endpoint)
    service = workdir / f"service-{time.monotonic_ns()}"
    service.mkdir()
    (service / "handler.py").write_text(HANDLER)
    text = manifest(queues, stream)
    (service / "serverless.yml").write_text(text)
    assert count_triggers(text) == 20, count_triggers(text)
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("AWS_PROFILE", None)
    first, _ = fn(service, env, "deploy", "--yes")
    for action in ("reset-recording", "start-recording"):
        call(endpoint, f"/moto-api/recorder/{action}")
    second, done = fn(service, env, "deploy", "--yes")
    if "No changes" not in done.stdout:
        print(textwrap.indent(done.stdout, "    "))
    return first, second, mutating_actions(recording(endpoint))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MOTO_ENABLE_RECORDING"] = "true"
        os.environ["MOTO_RECORDER_FILEPATH"] = str(Path(tmp) / "recording")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        try:
            results = [one_run(endpoint, Path(tmp)) for _ in range(args.runs)]
        finally:
            server.stop()
    firsts = [r[0] for r in results]
    seconds = [r[1] for r in results]
    mutations = [m for r in results for m in r[2]]
    deploy_ok = statistics.median(firsts) < TARGET_DEPLOY_S
    print("10 functions, 20 triggers, moto server on 127.0.0.1")
    print(f"  deploy from nothing: median {statistics.median(firsts):.2f} s over {args.runs} run(s) "
          f"(min {min(firsts):.2f}, max {max(firsts):.2f}); target < {TARGET_DEPLOY_S:.0f} s: "
          f"{'met' if deploy_ok else 'MISSED'}")  # fmt: skip
    print(f"  unchanged redeploy:  median {statistics.median(seconds):.2f} s; mutating calls: {len(mutations)} "
          f"(target 0: {'met' if not mutations else 'MISSED'})")  # fmt: skip
    for mutation in mutations[:20]:
        print(f"    {mutation}")
    return 0 if deploy_ok and not mutations else 1


if __name__ == "__main__":
    sys.exit(main())
