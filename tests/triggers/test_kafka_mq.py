"""`kafka`, `msk`, `activemq`, `rabbitmq`: required keys, secrets and ids checked before any call, one mapping per
topic or queue and function, and what the role is granted. Pure."""

from __future__ import annotations

import pytest

from fnship.local.events import sample_event
from fnship.model.iam import trigger_statements
from tests.manifest.conftest import Env, with_function

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:login-AbCdEf"
CLUSTER = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/a1b2c3d4-5678-90ab-cdef-11111example-1"
BROKER = "arn:aws:mq:us-east-1:123456789012:broker:orders:b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9"
KAFKA = (
    "  - kafka:\n      bootstrapServers: [a.example.com:9092]\n"
    f"      accessConfigurations: {{saslScram512Auth: {SECRET}}}\n"
)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (KAFKA, "8:9 functions.api.events.0.kafka: topic is required: the Kafka topic the function reads"),
        (
            KAFKA + "      topic: orders\n      startingPosition: AT_TIMESTAMP",
            "8:9 functions.api.events.0.kafka: startingPositionTimestamp is required with startingPosition "
            "AT_TIMESTAMP",
        ),
        (
            "  - kafka:\n      bootstrapServers: [a:9092]\n      topic: t\n"
            "      accessConfigurations: {vpcSubnet: [subnet-1]}",
            "11:11 functions.api.events.0.kafka.accessConfigurations: a cluster in a VPC needs both vpcSubnet and "
            "vpcSecurityGroup: vpcSecurityGroup is missing",
        ),
        (
            "  - kafka:\n      bootstrapServers: [a:9092]\n      topic: t\n"
            "      accessConfigurations: {saslScram512Auth: x}",
            "11:52 functions.api.events.0.kafka.accessConfigurations.saslScram512Auth: 'x' is not an AWS Secrets "
            "Manager secret ARN",
        ),
        (
            "  - kafka:\n      bootstrapServers: [a]\n      topic: t\n"
            "      accessConfigurations: {vpcSubnet: [subnet-1], vpcSecurityGroup: [sg-1]}",
            "9:30 functions.api.events.0.kafka.bootstrapServers.0: 'a' is not a bootstrap server: write host:port",
        ),
        (f"  - msk:\n      arn: {CLUSTER}", "8:9 functions.api.events.0.msk: topic is required"),
        (
            "  - msk:\n      arn: arn:aws:kafka:us-east-1:123456789012:topic/x\n      topic: t",
            "9:16 functions.api.events.0.msk.arn: 'arn:aws:kafka:us-east-1:123456789012:topic/x' is not an MSK cluster",
        ),
        (
            f"  - activemq:\n      arn: {BROKER}\n      queue: q",
            "8:9 functions.api.events.0.activemq: basicAuthArn (a secret) is required",
        ),
        (
            f"  - activemq:\n      arn: {BROKER}\n      queue: q\n      basicAuthArn: {SECRET}\n      virtualHost: v",
            "12:11 functions.api.events.0.activemq.virtualHost: unknown key 'virtualHost'",
        ),
        (
            f"  - rabbitmq:\n      arn: {BROKER}\n      queue: q\n      basicAuthArn: {SECRET}\n      batchSize: 0",
            "12:22 functions.api.events.0.rabbitmq.batchSize: 0 is out of range for Amazon MQ",
        ),
        (
            KAFKA + "      topic: orders\n" + KAFKA + "      topic: orders",
            "12:9 functions.api.events.1.kafka: topic orders of this cluster is already mapped to this function by "
            "event 0",
        ),
    ],
)
def test_bad_input_is_named_where_it_is_written(env: Env, lines: str, expected: str):
    assert env.problem(with_function("events:\n" + lines)).startswith(f"serverless.yml:{expected}")


def test_the_role_may_read_only_the_secrets_cluster_and_broker_it_is_given(env: Env):
    manifest = env.load(
        with_function(
            f"events:\n{KAFKA}      topic: orders\n  - msk:\n      arn: {CLUSTER}\n      topic: t\n"
            f"  - rabbitmq:\n      arn: {BROKER}\n      queue: q\n      basicAuthArn: {SECRET}\n"
        )
    )
    function = manifest.functions["api"]
    statements = {tuple(s["Action"]) if isinstance(s["Action"], list) else (s["Action"],): s["Resource"]
                  for s in trigger_statements(function.events, function.settings)}  # fmt: skip
    assert statements[("secretsmanager:GetSecretValue",)] == SECRET
    assert statements[("kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers")] == CLUSTER
    assert statements[("mq:DescribeBroker",)] == BROKER
    network = [actions for actions, resource in statements.items() if resource == "*"]
    assert network == [tuple(sorted(network[0]))] and all(a.startswith("ec2:") for a in network[0])


def test_a_public_kafka_cluster_needs_no_network_interfaces(env: Env):
    manifest = env.load(with_function(f"events:\n{KAFKA}      topic: orders"))
    function = manifest.functions["api"]
    assert all(s["Resource"] != "*" for s in trigger_statements(function.events, function.settings))


@pytest.mark.parametrize("kind", ["kafka", "msk", "activemq", "rabbitmq"])
def test_each_sample_has_its_records(kind):
    event = sample_event(kind)
    assert event.get("records") or event.get("messages") or event.get("rmqMessagesByQueue")
