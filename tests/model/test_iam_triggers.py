"""IAM derivation as a table: events and settings in, execution-role statements out. No `*` resource except
the VPC network-interface actions and X-Ray writes, which AWS cannot scope."""

from __future__ import annotations

import pytest

from fnship.manifest.types import EventSpec, FunctionSettings
from fnship.model.iam import trigger_statements
from fnship.triggers.http_api import HttpApiEvent
from fnship.triggers.rest import RestEvent
from fnship.triggers.rules import RuleEvent
from fnship.triggers.s3 import S3Event
from fnship.triggers.sns import SnsEvent
from fnship.triggers.sqs import SqsEvent
from fnship.triggers.stream import StreamEvent
from fnship.triggers.url import UrlEvent

QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"
OTHER_QUEUE = "arn:aws:sqs:us-east-1:123456789012:other"
DDB_STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/todos/stream/2024-01-01T00:00:00.000"
KINESIS = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
TOPIC = "arn:aws:sns:us-east-1:123456789012:failures"
BUS = "arn:aws:events:us-east-1:123456789012:event-bus/default"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:svc-dev-next:live"

SQS_ACTIONS = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
DDB_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
KINESIS_ACTIONS = [
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
]
VPC_ACTIONS = [
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
]


def allow(actions, resource):
    return {"Action": actions[0] if len(actions) == 1 else actions, "Effect": "Allow", "Resource": resource}


def sqs(arn):
    return EventSpec("sqs", 0, SqsEvent(arn, 10, 0, (), None, True, ()))


def stream(arn, source, on_failure=None):
    spec = StreamEvent(arn, source, 100, "LATEST", None, False, -1, -1, 1, 0, None, on_failure, (), True, ())
    return EventSpec("stream", 0, spec)


RULE = RuleEvent("rate(1 hour)", None, None, None, True, "", None, None)
PUSH = [
    EventSpec("httpApi", 0, HttpApiEvent("GET /", "GET", "/", None, (), "2.0")),
    EventSpec("http", 1, RestEvent("GET", "/", None)),
    EventSpec("url", -1, UrlEvent("NONE", None, "BUFFERED")),
    EventSpec("sns", 2, SnsEvent("t", None, "", None, None)),
    EventSpec("s3", 3, S3Event("b", ("s3:ObjectCreated:*",), None, None, False)),
    EventSpec("schedule", 4, RULE),
    EventSpec("eventBridge", 5, RULE),
]

CASES = [
    ("no events", [], FunctionSettings(), []),
    ("push sources need nothing from the role", PUSH, FunctionSettings(), []),
    ("one queue", [sqs(QUEUE)], FunctionSettings(), [allow(SQS_ACTIONS, QUEUE)]),
    (
        "two queues share one statement",
        [sqs(OTHER_QUEUE), sqs(QUEUE)],
        FunctionSettings(),
        [allow(SQS_ACTIONS, [QUEUE, OTHER_QUEUE])],
    ),
    ("a DynamoDB stream", [stream(DDB_STREAM, "dynamodb")], FunctionSettings(), [allow(DDB_ACTIONS, DDB_STREAM)]),
    (
        "a Kinesis stream with an on-failure topic",
        [stream(KINESIS, "kinesis", on_failure=TOPIC)],
        FunctionSettings(),
        [allow(KINESIS_ACTIONS, KINESIS), allow(["sns:Publish"], TOPIC)],
    ),
    ("a dead-letter queue", [], FunctionSettings(dead_letter_arn=QUEUE), [allow(["sqs:SendMessage"], QUEUE)]),
    (
        "destinations: a topic, a function of the service, an event bus",
        [],
        FunctionSettings(on_success="function:next", on_failure=TOPIC),
        [allow(["lambda:InvokeFunction"], FUNCTION), allow(["sns:Publish"], TOPIC)],
    ),
    ("an event bus destination", [], FunctionSettings(on_failure=BUS), [allow(["events:PutEvents"], BUS)]),
    (
        "VPC: network interfaces cannot be scoped",
        [],
        FunctionSettings(subnet_ids=("subnet-1",), security_group_ids=("sg-1",)),
        [allow(VPC_ACTIONS, "*")],
    ),
    (
        "tracing Active: X-Ray writes cannot be scoped",
        [],
        FunctionSettings(tracing="Active"),
        [allow(["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "*")],
    ),
    ("tracing PassThrough needs nothing", [], FunctionSettings(tracing="PassThrough"), []),
]


@pytest.mark.parametrize(("events", "settings", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_statements(events, settings, expected):
    resolve = {"function:next": FUNCTION}.get
    got = trigger_statements(events, settings, destination_arn=lambda t: resolve(t) or t)
    assert got == expected


@pytest.mark.parametrize(("events", "settings", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_no_wildcard_except_where_aws_cannot_scope(events, settings, expected):
    got = trigger_statements(events, settings, destination_arn=lambda t: FUNCTION if t.startswith("function:") else t)
    for statement in got:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions)
        if statement["Resource"] == "*":
            assert all(a.startswith(("ec2:", "xray:")) for a in actions)
