"""Create what serverless.yml.example reads but does not own: the orders queue and the clicks stream.

python example/sources.py --local        # on the embedded emulator (fn local start)
python example/sources.py                # wherever your AWS credentials point
"""

from __future__ import annotations

import os
import sys

import boto3


def main(argv: list[str]) -> int:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    kwargs: dict = {"region_name": region}
    if "--local" in argv:
        port = os.environ.get("FN_LOCAL_PORT", "4566")
        kwargs |= {
            "endpoint_url": f"http://127.0.0.1:{port}",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
    boto3.client("sqs", **kwargs).create_queue(QueueName="example-orders", Attributes={"VisibilityTimeout": "60"})
    kinesis = boto3.client("kinesis", **kwargs)
    if "example-clicks" not in kinesis.list_streams().get("StreamNames", []):
        kinesis.create_stream(StreamName="example-clicks", ShardCount=1)
    print("example sources ready: queue example-orders, stream example-clicks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
