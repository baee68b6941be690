"""The benchmarks' latency proxy (bench/latency_proxy.py) forwards a real boto3 call to the moto server, holds
each answer back by its delay (through an injected sleep, so no test waits), and counts calls per service and
operation, reads apart from mutating calls."""

from __future__ import annotations

import boto3
from botocore.config import Config

from bench.latency_proxy import LatencyProxy
from tests.conftest import REGION


def client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


def test_forwards_delays_and_counts(moto):
    held: list[float] = []
    with LatencyProxy(moto.endpoint, delay=0.05, sleep=held.append) as proxy:
        sqs = client("sqs", proxy.endpoint)
        url = sqs.create_queue(QueueName="through-the-proxy")["QueueUrl"]
        assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        iam = client("iam", proxy.endpoint)
        assert iam.list_roles()["Roles"] == []
        lam = client("lambda", proxy.endpoint)
        assert lam.list_functions()["Functions"] == []
    # What the proxy forwarded reached moto: the queue is there.
    assert moto.client("sqs").get_queue_url(QueueName="through-the-proxy")["QueueUrl"]
    assert held == [0.05] * 4
    counts = proxy.counts
    assert counts.by_operation() == {
        "sqs:CreateQueue": 1,
        "sqs:GetQueueAttributes": 1,
        "iam:ListRoles": 1,
        "lambda:ListFunctions": 1,
    }
    assert (counts.total, counts.reads, counts.mutating) == (4, 3, ["sqs:CreateQueue"])
