"""Issue 13's function settings in the manifest: what Lambda documents as valid, refused at file:line with the reason
(snapStart, logs and provider.logs.lambda, recursiveLoop, runtimeManagement, tenancy)."""

from __future__ import annotations

import pytest

from fnship.manifest.lambda_settings import snapstart_runtime
from fnship.manifest.types import LoggingSettings, RuntimeManagement

from .conftest import Env, with_function

ARN = "arn:aws:lambda:us-east-1::runtime:0123456789abcdef"

# Each case: extra lines for function `api` (the first is line 7), and the diagnostics expected (none: valid).
CASES = [
    ("snapStart: true\nruntime: python3.12", []),
    ("snapStart: true\nruntime: java21", []),
    ("snapStart: false\nruntime: nodejs22.x", []),
    (
        "snapStart: true\nruntime: python3.11",
        ["7:16 functions.api.snapStart: SnapStart is not available for runtime python3.11: Lambda offers it for "
         "Python 3.12 and later, .NET 8 and later, Java 11 and later"],
    ),
    (
        "snapStart: true\nruntime: nodejs22.x",
        ["7:16 functions.api.snapStart: SnapStart is not available for runtime nodejs22.x: Lambda offers it for "
         "Python 3.12 and later, .NET 8 and later, Java 11 and later"],
    ),
    (
        "snapStart: true\nruntime: python3.12\nprovisionedConcurrency: 2",
        ["7:16 functions.api.snapStart: SnapStart cannot be used with provisioned concurrency: Lambda refuses the "
         "pair (both keep initialized environments; SnapStart restores them from a snapshot instead)"],
    ),
    (
        "snapStart: true\nruntime: python3.12\nephemeralStorageSize: 1024",
        ["7:16 functions.api.snapStart: SnapStart cannot be used with ephemeral storage above 512 MB "
         "(ephemeralStorageSize is 1024): Lambda snapshots at most 512 MB of /tmp"],
    ),
    ("snapStart: true\nruntime: python3.12\nephemeralStorageSize: 512", []),
    ("snapStart: yes", ["7:16 functions.api.snapStart: must be true or false, got 'yes'"]),
    ("logs:\n  logFormat: JSON\n  applicationLogLevel: debug\n  systemLogLevel: WARN", []),
    ("logs:\n  logGroup: /shared/app\n  logGroupClass: infrequent_access", []),
    (
        "logs:\n  applicationLogLevel: DEBUG",
        ["8:28 functions.api.logs.applicationLogLevel: applicationLogLevel needs logFormat: JSON (Lambda filters "
         "levels of JSON logs only)"],
    ),
    (
        "logs:\n  logFormat: json\n  systemLogLevel: ERROR",
        ["9:23 functions.api.logs.systemLogLevel: 'ERROR' is not a system log level; allowed: DEBUG, INFO, WARN"],
    ),
    (
        "logs:\n  logFormat: XML",
        ["8:18 functions.api.logs.logFormat: 'XML' is not a Lambda log format; allowed: JSON, Text"],
    ),
    (
        "logs:\n  logGroup: 'bad name'",
        ["8:17 functions.api.logs.logGroup: 'bad name' is not a CloudWatch Logs group name: 1-512 letters, digits "
         "and . - _ / #"],
    ),
    (
        "logs:\n  logGroup: aws/mine",
        ["8:17 functions.api.logs.logGroup: 'aws/mine' begins with aws/, which Lambda cannot write to"],
    ),
    (
        "logs:\n  logGroupClass: DELIVERY",
        ["8:22 functions.api.logs.logGroupClass: 'DELIVERY' is not a log group class; allowed: STANDARD, "
         "INFREQUENT_ACCESS"],
    ),
    ("logs:\n  level: 1", ["8:7 functions.api.logs.level: unknown key 'level' in functions.api.logs"]),
    ("recursiveLoop: allow", []),
    ("recursiveLoop: Terminate", []),
    (
        "recursiveLoop: sometimes",
        ["7:20 functions.api.recursiveLoop: 'sometimes' is not a recursive loop setting; allowed: Allow, Terminate"],
    ),
    ("runtimeManagement: auto", []),
    ("runtimeManagement: onFunctionUpdate", []),
    (f"runtimeManagement:\n  mode: manual\n  arn: {ARN}", []),
    (
        "runtimeManagement:\n  mode: manual",
        ["7:5 functions.api.runtimeManagement: mode: manual needs the runtime version ARN to pin (arn:)"],
    ),
    (
        "runtimeManagement:\n  mode: manual\n  arn: arn:aws:lambda:us-east-1:123456789012:function:x",
        ["9:12 functions.api.runtimeManagement.arn: 'arn:aws:lambda:us-east-1:123456789012:function:x' is not a "
         "Lambda runtime version ARN (arn:aws:lambda:<region>::runtime:<hash>)"],
    ),
    (
        f"runtimeManagement:\n  mode: auto\n  arn: {ARN}",
        ["9:12 functions.api.runtimeManagement.arn: arn is only for mode: manual (mode is auto)"],
    ),
    (
        "runtimeManagement: manual",
        ["7:24 functions.api.runtimeManagement: 'manual' is not a runtime update mode; use auto, onFunctionUpdate, "
         "or {mode: manual, arn: <runtime version ARN>}"],
    ),
    ("tenancy:\n  mode: per_tenant", []),
    (
        "tenancy:\n  mode: per_tenant\nevents:\n  - httpApi: GET /a",
        ["10:9 functions.api.events.0: a tenant-isolated function is invoked with a tenant id, and an HTTP API cannot "
         "pass the tenant id Lambda needs (it cannot set the X-Amz-Tenant-Id header)"],
    ),
    (
        "tenancy:\n  mode: per_tenant\nevents:\n  - http: GET /a",
        ["10:9 functions.api.events.0: a tenant-isolated function is invoked with a tenant id, and fnship does not "
         "yet map a request header onto the X-Amz-Tenant-Id header API Gateway must send"],
    ),
    ("events:\n  - http:\n      method: get\n      path: /a\n      response:\n        transferMode: stream", []),
    (
        "events:\n  - http:\n      method: get\n      path: /a\n      response:\n        transferMode: CHUNKED",
        ["12:27 functions.api.events.0.http.response.transferMode: 'CHUNKED' is not a response transfer mode; allowed: "
         "BUFFERED, STREAM"],
    ),
    (
        "tenancy:\n  mode: shared",
        ["8:13 functions.api.tenancy.mode: 'shared' is not a tenant isolation mode; allowed: per_tenant"],
    ),
    (
        "tenancy:\n  mode: per_tenant\nsnapStart: true",
        ["7:5 functions.api.tenancy: tenancy cannot be used with SnapStart: Lambda refuses it on a tenant-isolated "
         "function (each tenant has its own execution environments)"],
    ),
    (
        "tenancy:\n  mode: per_tenant\nurl: true",
        ["7:5 functions.api.tenancy: tenancy cannot be used with a function URL: Lambda refuses it on a "
         "tenant-isolated function (each tenant has its own execution environments)"],
    ),
    (
        "tenancy:\n  mode: per_tenant\nprovisionedConcurrency: 1",
        ["7:5 functions.api.tenancy: tenancy cannot be used with provisioned concurrency: Lambda refuses it on a "
         "tenant-isolated function (each tenant has its own execution environments)"],
    ),
    (
        "tenancy:\n  mode: per_tenant\nevents:\n  - sqs: arn:aws:sqs:us-east-1:123456789012:q",
        ["10:9 functions.api.events.0: a tenant-isolated function is invoked with a tenant id, and sqs events "
         "cannot say which tenant they are for"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("body", "expected"), CASES)
def test_function_settings_validate(env: Env, body, expected):
    text = with_function(body)
    if expected:
        assert env.problems(text) == [f"serverless.yml:{line}" for line in expected]
    else:
        env.load(text)


def test_provider_logs_lambda_applies_to_every_function_and_the_function_wins(env: Env):
    text = with_function(
        "logs:\n  applicationLogLevel: ERROR",
        provider="logs:\n  lambda:\n    logFormat: JSON\n    logGroup: /shared/svc",
    )
    text += "  other:\n    handler: app.handler\n"
    manifest = env.load(text)
    assert manifest.functions["api"].lambda_settings.logging == LoggingSettings(
        log_format="JSON", application_log_level="ERROR", log_group="/shared/svc"
    )
    assert manifest.functions["other"].lambda_settings.logging == LoggingSettings(
        log_format="JSON", log_group="/shared/svc"
    )


def test_settings_are_parsed_in_aws_spelling(env: Env):
    manifest = env.load(with_function(f"recursiveLoop: allow\nruntimeManagement:\n  mode: manual\n  arn: {ARN}"))
    settings = manifest.functions["api"].lambda_settings
    assert settings.recursive_loop == "Allow"
    assert settings.runtime_management == RuntimeManagement(mode="Manual", runtime_version_arn=ARN)
    assert env.load(with_function("runtimeManagement: onFunctionUpdate")).functions[
        "api"
    ].lambda_settings.runtime_management == RuntimeManagement(mode="FunctionUpdate")


def test_provider_logs_other_sections_are_named(env: Env):
    problems = env.problems(with_function("", provider="logs:\n  restApi: true"))
    assert problems == ["serverless.yml:5:5 provider.logs.restApi: unknown key 'restApi' in provider.logs"]  # fmt: skip


def test_snapstart_needs_published_versions(env: Env):
    problems = env.problems(with_function("snapStart: true", provider="versionFunctions: false"))
    assert problems == ["serverless.yml:8:16 functions.api.snapStart: SnapStart snapshots published versions, and "
                        "provider.versionFunctions is false (the alias serves $LATEST, which SnapStart never applies "
                        "to)"]  # fmt: skip


@pytest.mark.parametrize(
    ("runtime", "offered"),
    [("python3.12", True), ("python3.14", True), ("python3.9", False), ("java11", True), ("java8.al2", False),
     ("java25", True), ("dotnet8", True), ("dotnet6", False), ("nodejs22.x", False), ("provided.al2023", False),
     (None, False)],
)  # fmt: skip
def test_snapstart_runtimes(runtime, offered):
    assert snapstart_runtime(runtime) is offered
