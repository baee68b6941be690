"""IAM derivation: the execution role's trust policy and least-privilege inline policy.

Pure: no AWS, no filesystem. No `*` action or resource appears unless the manifest wrote it, except the
resources of VPC network-interface actions and X-Ray writes, which AWS cannot scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from fnship.jsonvalue import JsonMapping, JsonValue

if TYPE_CHECKING:
    from fnship.manifest.types import EventSpec, FunctionSettings

POLICY_VERSION = "2012-10-17"
INLINE_POLICY_NAME = "fnship"

# A policy document or one of its statements: IAM's JSON, read-only (built once, then only compared and sent).
Policy = dict[str, JsonValue]

LAMBDA_TRUST_STATEMENT: Policy = {
    "Effect": "Allow",
    "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole",
}
LAMBDA_TRUST_POLICY: Policy = {"Version": POLICY_VERSION, "Statement": [LAMBDA_TRUST_STATEMENT]}


def logs_statement(*log_group_arns: str) -> Policy:
    """Write to the function's own log group(s) only. We create the groups, so no logs:CreateLogGroup."""
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": sorted(f"{arn}:*" for arn in log_group_arns),
    }


def normalize_statement(statement: JsonMapping) -> Policy:
    """One spelling per statement (lists for Action/Resource), so desired and live compare equal."""
    normalized: Policy = {}
    for key in sorted(statement):
        value = statement[key]
        if key in ("Action", "NotAction", "Resource", "NotResource") and isinstance(value, (str, Sequence)):
            values = [value] if isinstance(value, str) else list(value)
            normalized[key] = values[0] if len(values) == 1 else values
        else:
            normalized[key] = value
    return normalized


def policy_document(statements: Iterable[JsonMapping]) -> Policy:
    return {"Version": POLICY_VERSION, "Statement": [normalize_statement(s) for s in statements]}


def normalize_document(document: JsonMapping) -> Policy:
    statements = document.get("Statement", [])
    listed = [statements] if isinstance(statements, Mapping) else statements if isinstance(statements, Sequence) else []
    return {
        "Version": document.get("Version", POLICY_VERSION),
        "Statement": [normalize_statement(s) for s in listed if isinstance(s, Mapping)],
    }


# -- what triggers and function settings need from the execution role ---------------------------------------------
# Lambda's pollers read queues and streams with the function's own role; push sources (API Gateway, SNS, S3,
# EventBridge, function URLs) need nothing here: they get a resource-based permission on the alias instead.
# https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions
SQS_POLL_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
# https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#events-dynamodb-permissions
# Not ListStreams (listed there): it takes no resource, so granted on the stream's ARN it grants nothing, and the
# poller is given the stream's ARN. (parliament's RESOURCE_MISMATCH; the Service Authorization Reference.)
DYNAMODB_STREAM_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
)
# https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#events-kinesis-permissions
KINESIS_STREAM_ACTIONS = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
)  # not ListStreams either: see above
# Network interfaces are created before their ids exist, so AWS cannot scope these actions to a resource:
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions
VPC_ACTIONS = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
)
# X-Ray write actions take no resource: https://docs.aws.amazon.com/xray/latest/devguide/security_iam_id-based-policy-examples.html
XRAY_ACTIONS = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")
ANY_RESOURCE = "*"

# Sending to a destination (async onSuccess/onFailure, a stream's onFailure, a dead-letter queue), by ARN service.
# https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#destinations-permissions
SEND_ACTIONS = {
    "sqs": ("sqs:SendMessage",),
    "sns": ("sns:Publish",),
    "lambda": ("lambda:InvokeFunction",),
    "events": ("events:PutEvents",),
}

Grant = tuple[tuple[str, ...], str]  # (actions, resource ARN)

# A durable function checkpoints its steps and reads its state back through these. Lambda authorizes them against
# the durable execution's ARN, under a version (`function:NAME:VERSION/durable-execution/...`): `:*` matches every
# version, and nothing else. https://docs.aws.amazon.com/lambda/latest/dg/durable-security.html
DURABLE_ACTIONS = ("lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState")


def durable_statement(function_arn: str) -> Policy:
    """What a durable function's execution role needs: its own durable executions, of any version."""
    return normalize_statement({"Effect": "Allow", "Action": list(DURABLE_ACTIONS), "Resource": f"{function_arn}:*"})


def _arn_service(arn: str) -> str:
    from fnship.manifest.intrinsics import StackValue

    if isinstance(arn, StackValue):  # the service of the resource it names (set when checked against resources:)
        return arn.service or "unknown"
    return arn.split(":", 3)[2]


def send_grant(arn: str) -> Grant:
    return SEND_ACTIONS[_arn_service(arn)], arn


def trigger_statements(
    events: Iterable[EventSpec],
    settings: FunctionSettings,
    *,
    destination_arn: Callable[[str], str] = lambda arn: arn,
) -> list[Policy]:
    """The execution role's statements for a function's events and settings: one statement per set of actions,
    scoped to the exact ARNs. `*` only for VPC network interfaces and X-Ray writes, which AWS cannot scope.

    `destination_arn` turns `function:<key>` into an ARN.
    """
    from fnship.triggers import TRIGGERS  # the trigger modules import this module's grant helpers

    grants: list[Grant] = []
    for event in events:
        grants.extend(TRIGGERS[event.type].grants(event))
    if settings.dead_letter_arn:
        grants.append(send_grant(settings.dead_letter_arn))
    for target in (settings.on_success, settings.on_failure):
        if target:
            grants.append(send_grant(destination_arn(target)))
    if settings.vpc:
        grants.append((VPC_ACTIONS, ANY_RESOURCE))
    if settings.tracing == "Active":
        grants.append((XRAY_ACTIONS, ANY_RESOURCE))
    return merge_grants(grants)


def merge_grants(grants: Iterable[Grant]) -> list[Policy]:
    """Grants with the same actions become one statement over the union of their resources, in a stable order."""
    by_actions: dict[tuple[str, ...], set[str]] = {}
    for actions, resource in grants:
        by_actions.setdefault(tuple(sorted(actions)), set()).add(resource)
    return [
        normalize_statement({"Effect": "Allow", "Action": list(actions), "Resource": sorted(resources)})
        for actions, resources in sorted(by_actions.items())
    ]


# The operator role of a capacity provider (Lambda Managed Instances): what the AWSLambdaManagedEC2ResourceOperator
# managed policy (v1) allows, with the subnets and security groups narrowed to the provider's own.
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-operator-role.html
EC2_DESCRIBE_ACTIONS = (
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeCapacityReservations",
    "ec2:DescribeInstanceStatus",
    "ec2:DescribeInstanceTypeOfferings",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeInstances",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
)  # Describe* take no resource: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html


def operator_statements(*, subnet_arns: Iterable[str], security_group_arns: Iterable[str]) -> list[Policy]:
    """Launch and tag the provider's instances (only as Lambda's scaler), in its own subnets and security groups,
    from Amazon's images; describe what it chooses from."""
    ec2 = "arn:aws:ec2:*:*"
    statements: tuple[Policy, ...] = (
        {
            "Effect": "Allow",
            "Action": ["ec2:AttachNetworkInterface", "ec2:CreateTags", "ec2:RunInstances"],
            "Resource": [f"{ec2}:instance/*", f"{ec2}:network-interface/*", f"{ec2}:volume/*"],
            "Condition": {"StringEquals": {"ec2:ManagedResourceOperator": "scaler.lambda.amazonaws.com"}},
        },
        {"Effect": "Allow", "Action": list(EC2_DESCRIBE_ACTIONS), "Resource": ANY_RESOURCE},
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterface", "ec2:RunInstances"],
            "Resource": sorted([*subnet_arns, *security_group_arns]),
        },
        {
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": f"{ec2}:image/*",
            "Condition": {"StringEquals": {"ec2:Owner": "amazon"}},
        },
    )
    return [normalize_statement(s) for s in statements]
