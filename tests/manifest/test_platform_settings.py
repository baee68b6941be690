"""Issue 13's platform settings in the manifest (provisioned pollers and metrics on event source mappings,
EventBridge Scheduler, durable functions, managed instances): each limit and combination AWS documents, reported
with file:line:col before any AWS call."""

from __future__ import annotations

import pytest

from .conftest import Env, with_function

QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"
STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/todos/stream/2024-01-01T00:00:00.000"

MAPPING_CASES = [
    (f"- sqs:\n    arn: {QUEUE}\n    provisionedPollers: {{min: 2, max: 100}}", None),
    (f"- sqs:\n    arn: {QUEUE}\n    provisionedPollers: {{minimum: 5}}", None),
    (f"- sqs:\n    arn: {QUEUE}\n    provisioned: {{mode: PROVISIONED, minimumPollers: 3, maximumPollers: 9}}", None),
    (f"- sqs:\n    arn: {QUEUE}\n    provisioned: {{mode: ON_DEMAND}}", None),
    (
        f"- sqs:\n    arn: {QUEUE}\n    provisionedPollers: {{min: 1}}",
        "10:37 functions.api.events.0.sqs.provisionedPollers.min: 1 is below the AWS minimum of 2",
    ),
    (
        f"- sqs:\n    arn: {QUEUE}\n    provisionedPollers: {{max: 10001}}",
        "10:37 functions.api.events.0.sqs.provisionedPollers.max: 10001 is above the AWS maximum of 10000",
    ),
    (
        f"- sqs:\n    arn: {QUEUE}\n    provisionedPollers: {{min: 50, max: 10}}",
        "10:37 functions.api.events.0.sqs.provisionedPollers.min: a minimum of 50 pollers is above the maximum of 10",
    ),
    (
        f"- sqs:\n    arn: {QUEUE}\n    provisionedPollers: {{min: 2, minimum: 3}}",
        "10:32 functions.api.events.0.sqs.provisionedPollers.min: give either min or minimum, not both",
    ),
    (
        f"- sqs:\n    arn: {QUEUE}\n    provisioned: {{mode: ON_DEMAND, minimumPollers: 3}}",
        "10:42 functions.api.events.0.sqs.provisioned.minimumPollers: is only for mode PROVISIONED",
    ),
    (f"- sqs:\n    arn: {QUEUE}\n    metricsConfig: {{metrics: [EventCount]}}", None),
    (f"- stream:\n    arn: {STREAM}\n    metricsConfig: [EventCount]", None),
    (
        f"- sqs:\n    arn: {QUEUE}\n    metricsConfig: [EventCount, KafkaMetrics]",
        "10:39 functions.api.events.0.sqs.metricsConfig.1: 'KafkaMetrics' is not a metric an SQS event source "
        "mapping can publish; allowed: EventCount",
    ),
    (
        f"- stream:\n    arn: {STREAM}\n    provisionedPollers: {{min: 2}}",
        "10:11 functions.api.events.0.stream.provisionedPollers: a DynamoDB stream has no provisioned mode: Lambda "
        "provisions pollers for SQS and Kafka sources only",
    ),
]


@pytest.mark.parametrize(("events", "expected"), MAPPING_CASES, ids=[c[0][-40:] for c in MAPPING_CASES])
def test_event_source_mapping_settings(env: Env, events: str, expected: str | None):
    text = with_function("events:\n" + "\n".join("  " + line for line in events.split("\n")))
    if expected is None:
        assert env.load(text).functions["api"].events
    else:
        assert env.problem(text) == f"serverless.yml:{expected}"


def test_pollers_left_out_are_aws_defaults_so_the_plan_compares_what_aws_reads_back(env: Env):
    text = with_function(
        "events:\n"
        f"  - sqs:\n      arn: {QUEUE}\n      provisionedPollers: {{max: 50}}\n      metricsConfig: [EventCount]\n"
        f"  - sqs:\n      arn: {QUEUE}-2\n      provisioned: {{mode: ON_DEMAND}}\n"
    )
    first, second = (event.settings for event in env.load(text).functions["api"].events)
    assert (first.provisioned_pollers, first.metrics) == ((2, 50), ("EventCount",))
    assert (second.provisioned_pollers, second.metrics) == (None, ())
