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


DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"
SCHEDULER_CASES = [
    ("method: scheduler\nrate: cron(0 9 ? * MON-FRI *)\ntimezone: Europe/Paris", None),
    ("method: scheduler\nrate: at(2030-01-01T09:00:00)\ntimezone: America/New_York", None),
    (
        "method: scheduler\nrate: rate(1 hour)\nflexibleTimeWindow: 15\nstartDate: 2030-01-01T00:00:00Z\n"
        f"endDate: '2031-01-01T00:00:00+01:00'\nstate: DISABLED\nretryPolicy: {{maximumRetryAttempts: 0, "
        f"maximumEventAge: 60}}\ndeadLetterQueueArn: {DLQ}\ninput: {{a: 1}}",
        None,
    ),
    (
        "method: scheduler\nrate: rate(1 hour)\ntimezone: Mars/Olympus",
        "11:21 functions.api.events.0.schedule.timezone: 'Mars/Olympus' is not an IANA time zone",
    ),
    (
        "method: scheduler\nrate: at(2030-02-30T09:00:00)",
        "10:17 functions.api.events.0.schedule.rate: 'at(2030-02-30T09:00:00)' is not a valid schedule expression: "
        "2030-02-30T09:00:00 is not a date and time",
    ),
    (
        "method: scheduler\nrate: at(tomorrow)",
        "10:17 functions.api.events.0.schedule.rate: 'at(tomorrow)' is not a valid schedule expression: a one-time "
        "schedule is at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-06-01T09:00:00)",
    ),
    (
        "method: scheduler\nrate: rate(1 hour)\nflexibleTimeWindow: 1441",
        "11:31 functions.api.events.0.schedule.flexibleTimeWindow: 1441 is above the AWS maximum of 1440 minutes",
    ),
    (
        "method: scheduler\nrate: rate(1 hour)\nstartDate: 2031-01-01T00:00:00Z\nendDate: 2030-01-01T00:00:00Z",
        "12:20 functions.api.events.0.schedule.endDate: 2030-01-01T00:00:00Z is not after the startDate "
        "2031-01-01T00:00:00Z",
    ),
    (
        "method: scheduler\nrate: at(2030-01-01T00:00:00)\nendDate: 2031-01-01T00:00:00Z",
        "11:11 functions.api.events.0.schedule.endDate: a one-time at() schedule has no start or end date "
        "(Scheduler ignores them)",
    ),
    (
        "method: scheduler\nrate: rate(1 hour)\nretryPolicy: {maximumRetryAttempts: 186}",
        "11:47 functions.api.events.0.schedule.retryPolicy.maximumRetryAttempts: 186 is above the AWS maximum of 185",
    ),
    (
        "method: scheduler\nrate: rate(1 hour)\ndeadLetterQueueArn: arn:aws:sns:us-east-1:123456789012:t",
        "11:31 functions.api.events.0.schedule.deadLetterQueueArn: 'arn:aws:sns:us-east-1:123456789012:t' is not an "
        "SQS queue ARN (arn:aws:sqs:<region>:<account>:...)",
    ),
    (
        "method: scheduler\nrate: rate(1 hour)\nstate: DISABLED\nenabled: false",
        "11:11 functions.api.events.0.schedule.state: give either state or enabled, not both",
    ),
    (
        "method: scheduler\nrate: rate(1 hour)\ninputPath: $.detail",
        "11:11 functions.api.events.0.schedule.inputPath: inputPath is not supported with method: scheduler "
        "(Scheduler sends the input as written)",
    ),
    (
        "rate: rate(1 hour)\ntimezone: Europe/Paris",
        "10:11 functions.api.events.0.schedule.timezone: timezone is for method: scheduler (an EventBridge rule's "
        "schedule runs in UTC, from now on)",
    ),
    (
        "method: cron\nrate: rate(1 hour)",
        "9:19 functions.api.events.0.schedule.method: 'cron' is not a method; allowed: eventBus, scheduler",
    ),
]


@pytest.mark.parametrize(("body", "expected"), SCHEDULER_CASES, ids=[c[0][18:60] for c in SCHEDULER_CASES])
def test_scheduler_schedules(env: Env, body: str, expected: str | None):
    lines = "\n".join("      " + line for line in body.split("\n"))
    text = with_function(f"events:\n  - schedule:\n{lines}")
    if expected is None:
        (event,) = env.load(text).functions["api"].events
        assert event.type == "scheduler"
    else:
        assert env.problem(text) == f"serverless.yml:{expected}"


def test_scheduler_settings_are_normalized_with_schedulers_defaults(env: Env):
    text = with_function(
        "events:\n  - schedule:\n      method: scheduler\n      rate: [rate(1 hour), cron(0 9 * * ? *)]\n"
        "      startDate: '2030-01-01T09:00:00+02:00'\n  - schedule: rate(5 minutes)\n"
    )
    first, second, rule = env.load(text).functions["api"].events
    assert (first.type, second.type, rule.type) == ("scheduler", "scheduler", "schedule")
    s = first.settings
    assert (s.base_name, s.timezone, s.state, s.flexible_window) == ("api-schedule", "UTC", "ENABLED", None)
    assert (s.maximum_retry_attempts, s.maximum_event_age, s.start_date) == (185, 86400, "2030-01-01T07:00:00Z")
    assert second.settings.expression == "cron(0 9 * * ? *)"


DURABLE_CASES = [
    ("runtime: python3.13\ndurableConfig: {executionTimeout: 3600}", None),
    ("runtime: nodejs24.x\ndurableConfig: {executionTimeout: 31622400, retentionPeriodInDays: 90}", None),
    (
        "runtime: python3.12\ndurableConfig: {executionTimeout: 60}",
        "7:14 functions.api.runtime: runtime python3.12 does not support durable execution; it runs on nodejs22.x, "
        "nodejs24.x, python3.13, python3.14, java17, java21, java25, dotnet8, dotnet10 (or a container image)",
    ),
    (
        "runtime: python3.13\ndurableConfig: {retentionPeriodInDays: 7}",
        "8:5 functions.api.durableConfig: executionTimeout is required (seconds a durable execution may run)",
    ),
    (
        "runtime: python3.13\ndurableConfig: {executionTimeout: 31622401}",
        "8:39 functions.api.durableConfig.executionTimeout: 31622401 is above the AWS maximum of 31622400 seconds",
    ),
    (
        "runtime: python3.13\ndurableConfig: {executionTimeout: 60, retentionPeriodInDays: 91}",
        "8:66 functions.api.durableConfig.retentionPeriodInDays: 91 is above the AWS maximum of 90 days",
    ),
    (
        "runtime: python3.13\ndurableConfig: {executionTimeout: 60, kmsKeyArn: my-key}",
        "8:54 functions.api.durableConfig.kmsKeyArn: 'my-key' is not a KMS key ARN "
        "(arn:aws:kms:<region>:<account>:key/...)",
    ),
]


@pytest.mark.parametrize(("body", "expected"), DURABLE_CASES, ids=[c[0][:60] for c in DURABLE_CASES])
def test_durable_functions(env: Env, body: str, expected: str | None):
    text = with_function(body)
    if expected is None:
        assert env.load(text).functions["api"].durable is not None
    else:
        assert env.problem(text) == f"serverless.yml:{expected}"


def test_a_durable_function_needs_published_versions(env: Env):
    text = with_function(
        "runtime: python3.13\ndurableConfig: {executionTimeout: 60}", provider="versionFunctions: false"
    )
    assert env.problem(text).startswith(
        "serverless.yml:9:5 functions.api.durableConfig: a durable function needs published versions"
    )


VPC = "vpc: {subnetIds: [subnet-1], securityGroupIds: [sg-1]}\ncapacityProviders:\n  fleet: {}"
MANAGED_CASES = [
    ("memorySize: 2048\ncapacityProvider: fleet", VPC, None),
    (
        "memorySize: 8192\ncapacityProvider: {name: fleet, memoryPerVCpu: 8, maxConcurrency: 1600, "
        "scaling: {min: 0, max: 0}}",
        VPC,
        None,
    ),
    ("memorySize: 2048\ncapacityProvider: arn:aws:lambda:us-east-1:123456789012:capacity-provider:x", "", None),
    (
        "memorySize: 2048\ncapacityProvider: pool",
        VPC,
        "11:23 functions.api.capacityProvider: capacity provider 'pool' is not defined in "
        "provider.capacityProviders (defined: fleet); or give an ARN",
    ),
    (
        "capacityProvider: fleet",
        VPC,
        "10:23 functions.api.capacityProvider: a function on managed instances needs at least 2048 MB (memorySize "
        "is 1024)",
    ),
    (
        "memorySize: 2048\ncapacityProvider: {name: fleet, memoryPerVCpu: 4}",
        VPC,
        "11:52 functions.api.capacityProvider.memoryPerVCpu: 4 GiB per vCPU is more than the function's 2048 MB",
    ),
    (
        "memorySize: 4096\ncapacityProvider: {name: fleet, memoryPerVCpu: 3}",
        VPC,
        "11:52 functions.api.capacityProvider.memoryPerVCpu: must be 2, 4 or 8 (GiB per vCPU), got 3",
    ),
    (
        "memorySize: 2048\ncapacityProvider: {name: fleet, maxConcurrency: 1601}",
        VPC,
        "11:53 functions.api.capacityProvider.maxConcurrency: 1601 is above the AWS maximum of 1600",
    ),
    (
        "memorySize: 2048\ncapacityProvider: {name: fleet, scaling: {min: 0, max: 5}}",
        VPC,
        "11:60 functions.api.capacityProvider.scaling.max: with min 0 (the function scaled to zero), max must be 0 too",
    ),
    (
        "memorySize: 2048\ncapacityProvider: fleet",
        "capacityProviders:\n  fleet: {}",
        "5:5 provider.capacityProviders.fleet: a capacity provider needs a VPC: give its vpc (subnetIds, "
        "securityGroupIds) or provider.vpc",
    ),
    (
        "memorySize: 2048\ncapacityProvider: fleet",
        VPC.replace("fleet: {}", "fleet: {scaling: {mode: manual}}"),
        "6:13 provider.capacityProviders.fleet.scaling: mode: manual needs policies (predefinedMetricType, "
        "targetValue)",
    ),
    (
        "memorySize: 2048\ncapacityProvider: fleet",
        VPC.replace("fleet: {}", "fleet: {scaling: {maxVCpuCount: 1}}"),
        "6:37 provider.capacityProviders.fleet.scaling.maxVCpuCount: 1 is below the AWS minimum of 2 vCPUs",
    ),
    (
        "memorySize: 2048\ncapacityProvider: fleet\ndurableConfig: {executionTimeout: 60}\nruntime: python3.13",
        VPC,
        "11:5 functions.api.capacityProvider: a function on managed instances cannot be durable (durableConfig)",
    ),
]


@pytest.mark.parametrize(("body", "provider", "expected"), MANAGED_CASES, ids=[c[0][:60] for c in MANAGED_CASES])
def test_managed_instances(env: Env, body: str, provider: str, expected: str | None):
    text = with_function(body, provider=provider)
    if expected is None:
        assert env.load(text).functions["api"].capacity is not None
    else:
        assert env.problem(text) == f"serverless.yml:{expected}"


def test_managed_instances_defaults_are_lambdas(env: Env):
    manifest = env.load(with_function("memorySize: 2048\nruntime: nodejs22.x\ncapacityProvider: fleet", provider=VPC))
    capacity = manifest.functions["api"].capacity
    assert (capacity.memory_per_vcpu, capacity.max_concurrency) == (2.0, 64)
    fleet = manifest.capacity_providers["fleet"]
    assert (fleet.subnet_ids, fleet.security_group_ids, fleet.scaling_mode, fleet.operator_role_arn) == (
        ("subnet-1",),
        ("sg-1",),
        "Auto",
        None,
    )
