"""Handlers on the paths the moto server does not model (see ../shared/TESTING.md): function settings Lambda
removes when sent empty, async invoke config replaced whole, mapping fields cleared on update, permission
conflicts. Tested with a recording double of fnship's own adapter interface, not of boto3."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from fnship.errors import AwsError
from fnship.kinds.base import Context
from fnship.kinds.event_source_mapping import StreamMapping, event_source_mapping_update, mapping_request
from fnship.kinds.function import Logging, Vpc, lambda_configuration
from fnship.kinds.invoke_config import EventInvokeConfig, event_invoke_config_put
from fnship.kinds.permission import Permission, permission_create
from fnship.kinds.sns import Subscription, sns_subscription_update
from fnship.model.resources import FunctionScope, Resource, State
from fnship.plan.diff import Plan, Step
from tests.specs import FUNCTION


class Recorder:
    """Any method call is recorded as (name, args, kwargs); `fail` maps a method name to errors to raise once."""

    def __init__(self, fail: dict[str, list[Exception]] | None = None) -> None:
        self.calls: list[tuple] = []
        self._fail = fail or {}

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            if self._fail.get(name):
                raise self._fail[name].pop(0)

        return call


def context_for(resource: Resource | None, live: Resource | None = None, **apis) -> Context:
    desired = State("svc", "dev", "us-east-1", (resource,) if resource else ())
    live_state = State("svc", "dev", "us-east-1", (live,) if live else ())
    plan = Plan("svc", "dev", "us-east-1", "r", (), (), desired, live_state)
    return Context(aws=SimpleNamespace(**apis), plan=plan, description="d")


VPC = Vpc(subnet_ids=("subnet-1",), security_group_ids=("sg-1",))
DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"
KMS = "arn:aws:kms:us-east-1:123456789012:key/k"
SCOPE = FunctionScope("api", "svc-dev-api", "live", "arn:aws:lambda:us-east-1:123456789012:function:svc-dev-api:live")


@pytest.mark.parametrize(
    ("settings", "creating", "expected"),
    [
        ({}, True, {"TracingConfig": {"Mode": "PassThrough"}}),
        (
            {"vpc": VPC, "tracing": "Active", "dead_letter_arn": DLQ, "kms_key_arn": KMS},
            True,
            {
                "TracingConfig": {"Mode": "Active"},
                "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
                "DeadLetterConfig": {"TargetArn": DLQ},
                "KMSKeyArn": KMS,
            },
        ),
        # Lambda removes a VPC, a dead-letter target and a customer key when they are sent empty:
        # https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html
        (
            {},
            False,
            {
                "TracingConfig": {"Mode": "PassThrough"},
                "VpcConfig": {"SubnetIds": [], "SecurityGroupIds": []},
                "DeadLetterConfig": {"TargetArn": ""},
                "KMSKeyArn": "",
                # ... and SnapStart and a custom LoggingConfig go back to Lambda's defaults the same way.
                "SnapStart": {"ApplyOn": "None"},
                "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/svc-dev-api"},
            },
        ),
        (
            {
                "snap_start": "PublishedVersions",
                "tenancy": "PER_TENANT",
                "logging": Logging(log_format="JSON", log_group="/shared", application_log_level="WARN"),
            },
            True,
            {
                "TracingConfig": {"Mode": "PassThrough"},
                "SnapStart": {"ApplyOn": "PublishedVersions"},
                # Levels unset in the spec are sent as Lambda's INFO, which it answers when read.
                "LoggingConfig": {
                    "LogFormat": "JSON",
                    "LogGroup": "/shared",
                    "ApplicationLogLevel": "WARN",
                    "SystemLogLevel": "INFO",
                },
                "TenancyConfig": {"TenantIsolationMode": "PER_TENANT"},
            },
        ),
        # TenancyConfig is create-only: an update never sends it (a change is a replacement, see plan/steps.py).
        (
            {"tenancy": "PER_TENANT"},
            False,
            {
                "TracingConfig": {"Mode": "PassThrough"},
                "VpcConfig": {"SubnetIds": [], "SecurityGroupIds": []},
                "DeadLetterConfig": {"TargetArn": ""},
                "KMSKeyArn": "",
                "SnapStart": {"ApplyOn": "None"},
                "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/svc-dev-api"},
            },
        ),
    ],  # fmt: skip
)
def test_function_settings_in_the_lambda_request(settings, creating, expected):
    request = lambda_configuration(replace(FUNCTION, **settings), function_name="svc-dev-api", creating=creating)
    assert {k: request[k] for k in request if k not in {"Runtime", "Handler", "MemorySize", "Timeout",
            "Description", "Environment", "EphemeralStorage", "Layers", "Role"}} == expected  # fmt: skip


def test_async_invoke_config_is_written_whole():
    # PutFunctionEventInvokeConfig replaces the configuration, so every value is sent, unset ones included:
    # https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
    spec = EventInvokeConfig(maximum_retry_attempts=0, maximum_event_age=21600, on_success=None, on_failure=DLQ)
    resource = Resource.of("invoke_config.api", "live", spec, scope=SCOPE)
    lam = Recorder()
    event_invoke_config_put(context_for(resource, lambda_=lam), Step("event_invoke_config.update", resource.address))
    assert lam.calls == [
        (
            "put_event_invoke_config",
            ("svc-dev-api",),
            {
                "qualifier": "live",
                "config": {
                    "MaximumRetryAttempts": 0,
                    "MaximumEventAgeInSeconds": 21600,
                    "DestinationConfig": {"OnFailure": {"Destination": DLQ}},
                },
            },
        )
    ]


STREAM = StreamMapping(
    source_arn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
    function_arn="arn:aws:lambda:us-east-1:123456789012:function:svc-dev-api:live",
    batch_size=100,
    maximum_batching_window=0,
    function_response_types=(),
    enabled=True,
    filter_patterns=(),
    starting_position="LATEST",
    starting_position_timestamp=None,
    bisect_batch_on_function_error=False,
    maximum_retry_attempts=-1,
    maximum_record_age=-1,
    parallelization_factor=1,
    tumbling_window=None,
    on_failure=None,
)


def test_an_update_clears_what_the_manifest_no_longer_sets():
    request = mapping_request(STREAM, creating=False)
    assert request["DestinationConfig"] == {"OnFailure": {}}
    assert request["FilterCriteria"] == {"Filters": []}
    assert "StartingPosition" not in request  # cannot be changed in place
    created = mapping_request(STREAM, creating=True)
    assert "DestinationConfig" not in created and "FilterCriteria" not in created
    assert created["StartingPosition"] == "LATEST"


def test_a_mapping_moves_to_a_renamed_alias_in_place():
    # UpdateEventSourceMapping takes FunctionName, and the mapping keeps its place in the stream (a new mapping
    # would start again from its starting position). moto does not list a moved mapping under its new alias.
    # https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html
    old, new = (f"arn:aws:lambda:us-east-1:123456789012:function:svc-dev-api:{alias}" for alias in ("live", "prod"))
    scope = FunctionScope("api", "svc-dev-api", "prod", new, "stream", "s")
    desired = Resource.of("trigger.api.stream.s", STREAM.source_arn, replace(STREAM, function_arn=new), scope=scope)
    live = Resource.of(desired.address, desired.name, replace(STREAM, function_arn=old, uuid="u-1"),
                       scope=replace(scope, alias="live", alias_arn=old))  # fmt: skip
    lam = Recorder()
    event_source_mapping_update(
        context_for(desired, live, lambda_=lam), Step("event_source_mapping.update", desired.address)
    )
    assert lam.calls == [
        ("update_event_source_mapping", ("u-1", {**mapping_request(STREAM, creating=False), "FunctionName": new}), {})
    ]


def test_a_removed_filter_policy_is_set_empty():
    topic = "arn:aws:sns:us-east-1:123456789012:t"
    spec = Subscription(topic_arn=topic, endpoint=SCOPE.alias_arn, filter_policy=None, filter_policy_scope=None)
    desired = Resource.of("trigger.api.sns.t", topic, spec, scope=SCOPE)
    live = Resource.of(desired.address, topic, replace(spec, filter_policy='{"a":["b"]}', subscription_arn="sub"),
                       scope=SCOPE)  # fmt: skip
    sns = Recorder()
    sns_subscription_update(context_for(desired, live, sns=sns), Step("sns_subscription.update", desired.address))
    assert sns.calls == [("set_subscription_attribute", ("sub", "FilterPolicy", "{}"), {})]


def test_a_leftover_statement_with_our_id_is_replaced():
    spec = Permission(
        action="lambda:InvokeFunction",
        principal="sns.amazonaws.com",
        source_arn="arn:t",
        source_account="123456789012",
        function_url_auth_type=None,
        invoked_via_function_url=False,
    )
    resource = Resource.of("permission.api.sns.t", "fnship-sns-t", spec, scope=SCOPE)
    conflict = AwsError(resource="p", action="AddPermission", code="ResourceConflictException", detail="exists")
    lam = Recorder(fail={"add_permission": [conflict]})
    permission_create(context_for(resource, lambda_=lam), Step("permission.create", resource.address))
    assert [c[0] for c in lam.calls] == ["add_permission", "remove_permission", "add_permission"]
    assert lam.calls[-1][2]["request"] == {
        "Action": "lambda:InvokeFunction",
        "Principal": "sns.amazonaws.com",
        "SourceArn": "arn:t",
        "SourceAccount": "123456789012",
    }
