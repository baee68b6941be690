"""A function's newer Lambda settings (issue 13): SnapStart, logging controls, recursive loop detection, runtime
management and tenant isolation, parsed and checked against what Lambda documents. Pure: no AWS, no filesystem.

Key names are the Serverless Framework v4 ones where v4 has them (`snapStart`, `logs`, `provider.logs.lambda`,
`runtimeManagement`); `recursiveLoop` and `tenancy` follow their style. See the README's settings table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fnship import runtimes
from fnship.manifest.checks import Checker, show
from fnship.manifest.types import (
    DEFAULT_EPHEMERAL_MB,
    KeyPath,
    LambdaSettings,
    LoggingSettings,
    RuntimeManagement,
    Value,
)

LOGS_KEYS = frozenset({"logFormat", "applicationLogLevel", "systemLogLevel", "logGroup", "logGroupClass"})
PROVIDER_LOGS_KEYS = frozenset({"lambda"})
# https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html
LOG_FORMATS = ("JSON", "Text")
APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
LOG_GROUP_NAME = re.compile(r"^[\.\-_/#A-Za-z0-9]{1,512}$")
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html (the classes a
# function's log group can have: DELIVERY groups take no Lambda logs).
LOG_GROUP_CLASSES = ("STANDARD", "INFREQUENT_ACCESS")
# https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionRecursionConfig.html
RECURSIVE_LOOP = ("Allow", "Terminate")
# https://docs.aws.amazon.com/lambda/latest/api/API_PutRuntimeManagementConfig.html
RUNTIME_MODES = {"auto": "Auto", "onFunctionUpdate": "FunctionUpdate", "manual": "Manual"}
RUNTIME_MANAGEMENT_KEYS = frozenset({"mode", "arn"})
RUNTIME_VERSION_ARN = re.compile(
    r"^arn:(aws[a-zA-Z0-9-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}::runtime:.+$"
)
TENANCY_KEYS = frozenset({"mode"})
TENANCY_MODES = {"per_tenant": "PER_TENANT"}
# SnapStart runtimes: https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html#snapstart-runtimes
SNAPSTART_MINIMUM = {"python": (3, 12), "dotnet": (8,), "java": (11,)}
SNAPSTART_RUNTIMES = "Python 3.12 and later, .NET 8 and later, Java 11 and later"
# Tenant isolation: not with SnapStart, provisioned concurrency or function URLs
# (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html); every invocation names its tenant
# (X-Amz-Tenant-Id), which event sources cannot, nor HTTP APIs (they cannot set that header); a REST API can map a
# request header onto it (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-invoke.html), which fnship
# does not configure yet.
TENANCY_EVENT_REASONS = {
    "httpApi": "an HTTP API cannot pass the tenant id Lambda needs (it cannot set the X-Amz-Tenant-Id header)",
    "http": "fnship does not yet map a request header onto the X-Amz-Tenant-Id header API Gateway must send",
}


def snapstart_runtime(runtime: str | None) -> bool:
    """Whether Lambda offers SnapStart for `runtime` (python3.12, dotnet8, java21: yes; nodejs22.x, java8: no)."""
    if not runtime:
        return False
    family = runtimes.family(runtime)
    minimum = SNAPSTART_MINIMUM.get(family)
    digits = re.findall(r"\d+", runtime)
    if minimum is None or not digits:
        return False
    version = tuple(int(d) for d in digits[: len(minimum)])
    return version >= minimum


def parse_lambda_settings(
    raw: Mapping[str, Value],
    provider_raw: Mapping[str, Value],
    path: KeyPath,
    check: Checker,
    *,
    runtime: str | None,
    ephemeral_storage: int,
    image: bool,
    version_functions: bool,
    event_types: tuple[tuple[int, str], ...],
) -> LambdaSettings:
    """The function's settings, with every refusal Lambda would make said up front (file:line, and why)."""
    snap_start = False
    if raw.get("snapStart") is not None:
        snap_start = bool(check.want_bool(raw["snapStart"], (*path, "snapStart")))
    if snap_start:
        _check_snapstart(raw, path, check, runtime=runtime, ephemeral_storage=ephemeral_storage, image=image,
                         version_functions=version_functions)  # fmt: skip
    logging = _logging(raw.get("logs"), provider_raw.get("logs"), path, check)
    recursive_loop = None
    if raw.get("recursiveLoop") is not None:
        recursive_loop = _case_choice(raw["recursiveLoop"], (*path, "recursiveLoop"), check, RECURSIVE_LOOP,
                                      what="a recursive loop setting")  # fmt: skip
    management = None
    if raw.get("runtimeManagement") is not None:
        management = _runtime_management(raw["runtimeManagement"], (*path, "runtimeManagement"), check)
        if management is not None and image:
            check.error((*path, "runtimeManagement"), "a container image function has no managed runtime to update",
                        "remove runtimeManagement: the image decides its runtime")  # fmt: skip
    tenancy = None
    if raw.get("tenancy") is not None:
        tenancy = _tenancy(raw["tenancy"], (*path, "tenancy"), check)
        if tenancy is not None:
            _check_tenancy(raw, path, check, snap_start=snap_start, event_types=event_types)
    return LambdaSettings(
        snap_start=snap_start,
        logging=logging,
        recursive_loop=recursive_loop,
        runtime_management=management,
        tenancy=tenancy,
    )


def _check_snapstart(
    raw: Mapping[str, Value],
    path: KeyPath,
    check: Checker,
    *,
    runtime: str | None,
    ephemeral_storage: int,
    image: bool,
    version_functions: bool,
) -> None:
    where = (*path, "snapStart")
    if image or not snapstart_runtime(runtime):
        what = "a container image function" if image else f"runtime {runtime}"
        check.error(where, f"SnapStart is not available for {what}: Lambda offers it for {SNAPSTART_RUNTIMES}",
                    "use one of those runtimes, or remove snapStart")  # fmt: skip
    # https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html#snapstart-compatibility
    if raw.get("provisionedConcurrency"):
        check.error(where, "SnapStart cannot be used with provisioned concurrency: Lambda refuses the pair "
                    "(both keep initialized environments; SnapStart restores them from a snapshot instead)",
                    "remove provisionedConcurrency or snapStart")  # fmt: skip
    if ephemeral_storage > DEFAULT_EPHEMERAL_MB:
        check.error(where, f"SnapStart cannot be used with ephemeral storage above {DEFAULT_EPHEMERAL_MB} MB "
                    f"(ephemeralStorageSize is {ephemeral_storage}): Lambda snapshots at most 512 MB of /tmp",
                    "lower ephemeralStorageSize to 512 or remove snapStart")  # fmt: skip
    if raw.get("fileSystemConfig") is not None:
        check.error(where, "SnapStart cannot be used with an EFS file system: Lambda refuses the pair",
                    "remove fileSystemConfig or snapStart")  # fmt: skip
    if not version_functions:
        check.error(where, "SnapStart snapshots published versions, and provider.versionFunctions is false (the "
                    "alias serves $LATEST, which SnapStart never applies to)",
                    "remove versionFunctions: false, or remove snapStart")  # fmt: skip


def _check_tenancy(
    raw: Mapping[str, Value],
    path: KeyPath,
    check: Checker,
    *,
    snap_start: bool,
    event_types: tuple[tuple[int, str], ...],
) -> None:
    where = (*path, "tenancy")
    why = "Lambda refuses it on a tenant-isolated function (each tenant has its own execution environments)"
    if snap_start:
        check.error(where, f"tenancy cannot be used with SnapStart: {why}", "remove snapStart or tenancy")
    if raw.get("provisionedConcurrency"):
        check.error(where, f"tenancy cannot be used with provisioned concurrency: {why}",
                    "remove provisionedConcurrency or tenancy")  # fmt: skip
    if raw.get("url") is not None:
        check.error(where, f"tenancy cannot be used with a function URL: {why}", "remove url or tenancy")
    for index, event_type in event_types:
        reason = TENANCY_EVENT_REASONS.get(event_type, f"{event_type} events cannot say which tenant they are for")
        check.error((*path, "events", index),
                    f"a tenant-isolated function is invoked with a tenant id, and {reason}",
                    "invoke it with the SDK's TenantId (`fn invoke --tenant ID`), or remove tenancy")  # fmt: skip


def _case_choice(value: Value, path: KeyPath, check: Checker, choices: tuple[str, ...], *, what: str) -> str | None:
    """One of `choices`, written in any case (`terminate`, `Terminate`): the spelling AWS wants."""
    text = check.want_str(value, path)
    if text is None:
        return None
    for choice in choices:
        if text.lower() == choice.lower():
            return choice
    check.error(path, f"{show(text)} is not {what}; allowed: {', '.join(choices)}")
    return None


def _logging(value: Value, provider_value: Value, path: KeyPath, check: Checker) -> LoggingSettings | None:
    """`provider.logs.lambda` merged under the function's `logs:` (the function's keys win), or None if neither."""
    provider_logs: Mapping[str, Value] = {}
    if provider_value is not None:
        where: KeyPath = ("provider", "logs")
        mapping = check.want_mapping(provider_value, where)
        if mapping is not None:
            check.keys(mapping, where, PROVIDER_LOGS_KEYS)
            if mapping.get("lambda") is not None:
                provider_logs = check.want_mapping(mapping["lambda"], (*where, "lambda")) or {}
                check.keys(provider_logs, (*where, "lambda"), LOGS_KEYS)
    function_logs: Mapping[str, Value] = {}
    if value is not None:
        function_logs = check.want_mapping(value, (*path, "logs")) or {}
        check.keys(function_logs, (*path, "logs"), LOGS_KEYS)
    if not provider_logs and not function_logs:
        return None

    def read(key: str) -> tuple[Value, KeyPath]:
        if function_logs.get(key) is not None:
            return function_logs[key], (*path, "logs", key)
        return provider_logs.get(key), ("provider", "logs", "lambda", key)

    settings: dict[str, str | None] = {}
    for key, choices, what in (
        ("logFormat", LOG_FORMATS, "a Lambda log format"),
        ("applicationLogLevel", APPLICATION_LOG_LEVELS, "an application log level"),
        ("systemLogLevel", SYSTEM_LOG_LEVELS, "a system log level"),
        ("logGroupClass", LOG_GROUP_CLASSES, "a log group class"),
    ):
        raw, where = read(key)
        settings[key] = _case_choice(raw, where, check, choices, what=what) if raw is not None else None
    group, group_path = read("logGroup")
    log_group = None
    if group is not None:
        log_group = check.want_str(group, group_path)
        if log_group is not None and not LOG_GROUP_NAME.match(log_group):
            check.error(group_path, f"{show(log_group)} is not a CloudWatch Logs group name: 1-512 letters, digits "
                        "and . - _ / #")  # fmt: skip
            log_group = None
        elif log_group is not None and log_group.startswith("aws/"):
            # https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html
            check.error(group_path, f"{show(log_group)} begins with aws/, which Lambda cannot write to",
                        "use another name, e.g. /aws/lambda/... or /my-app/...")  # fmt: skip
            log_group = None
    # Levels filter JSON records only; Lambda refuses them on Text logs:
    # https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html
    if settings["logFormat"] != "JSON":
        for key in ("applicationLogLevel", "systemLogLevel"):
            if settings[key] is not None:
                check.error(read(key)[1], f"{key} needs logFormat: JSON (Lambda filters levels of JSON logs only)",
                            "add logFormat: JSON")  # fmt: skip
    return LoggingSettings(
        log_format=settings["logFormat"] or "Text",
        application_log_level=settings["applicationLogLevel"],
        system_log_level=settings["systemLogLevel"],
        log_group=log_group,
        log_group_class=settings["logGroupClass"],
    )


def _runtime_management(value: Value, path: KeyPath, check: Checker) -> RuntimeManagement | None:
    """`auto`, `onFunctionUpdate`, or `{mode: manual, arn: <runtime version ARN>}` (Serverless v3/v4 spelling)."""
    if isinstance(value, str):
        mode = RUNTIME_MODES.get(value)
        if mode is None or mode == "Manual":
            check.error(path, f"{show(value)} is not a runtime update mode; use auto, onFunctionUpdate, or "
                        "{mode: manual, arn: <runtime version ARN>}")  # fmt: skip
            return None
        return RuntimeManagement(mode=mode)
    mapping = check.want_mapping(value, path, what="auto, onFunctionUpdate or {mode, arn}")
    if mapping is None:
        return None
    check.keys(mapping, path, RUNTIME_MANAGEMENT_KEYS)
    written = check.want_choice(mapping.get("mode"), (*path, "mode"), tuple(RUNTIME_MODES), what="a runtime mode")
    if written is None:
        return None
    mode = RUNTIME_MODES[written]
    arn = mapping.get("arn")
    if mode == "Manual":
        if arn is None:
            check.error(
                path,
                "mode: manual needs the runtime version ARN to pin (arn:)",
                "copy it from the function's INIT_START log line or `aws lambda get-function-configuration`",
            )
            return None
        text = check.want_str(arn, (*path, "arn"))
        if text is None or not RUNTIME_VERSION_ARN.match(text):
            check.error((*path, "arn"), f"{show(arn)} is not a Lambda runtime version ARN "
                        "(arn:aws:lambda:<region>::runtime:<hash>)")  # fmt: skip
            return None
        return RuntimeManagement(mode=mode, runtime_version_arn=text)
    if arn is not None:
        check.error((*path, "arn"), f"arn is only for mode: manual (mode is {written})", "remove arn")
    return RuntimeManagement(mode=mode)


def _tenancy(value: Value, path: KeyPath, check: Checker) -> str | None:
    mapping = check.want_mapping(value, path, what="a mapping like {mode: per_tenant}")
    if mapping is None:
        return None
    check.keys(mapping, path, TENANCY_KEYS)
    mode = mapping.get("mode")
    if isinstance(mode, str) and mode.lower() in TENANCY_MODES:
        return TENANCY_MODES[mode.lower()]
    check.error((*path, "mode"), f"{show(mode)} is not a tenant isolation mode; allowed: per_tenant")
    return None
