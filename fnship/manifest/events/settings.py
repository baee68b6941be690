"""Function settings that come with triggers: VPC, tracing, dead-letter target, async invoke config, KMS. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import want_arn, want_bounded
from fnship.manifest.intrinsics import is_intrinsic
from fnship.manifest.types import FunctionSettings, KeyPath, Value

VPC_KEYS = frozenset({"securityGroupIds", "subnetIds"})
DESTINATION_KEYS = frozenset({"onSuccess", "onFailure"})
# https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
ASYNC_RETRIES = (0, 2)
ASYNC_EVENT_AGE_S = (60, 21600)


def parse_settings(
    raw: Mapping[str, Value],
    provider_raw: Mapping[str, Value],
    path: KeyPath,
    check: Checker,
    *,
    function_keys: frozenset[str],
) -> FunctionSettings:
    subnets: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    vpc_value, vpc_path = (
        (raw["vpc"], (*path, "vpc")) if "vpc" in raw else (provider_raw.get("vpc"), ("provider", "vpc"))
    )
    if vpc_value:
        vpc = check.want_mapping(vpc_value, vpc_path, what="a mapping (subnetIds, securityGroupIds)")
        if vpc is not None:
            check.keys(vpc, vpc_path, VPC_KEYS)
            if vpc.get("subnetIds") is not None:
                found = check.want_str_list(vpc["subnetIds"], (*vpc_path, "subnetIds"), stack_ok=True)
                subnets = tuple(sorted(found or []))
            if vpc.get("securityGroupIds") is not None:
                found = check.want_str_list(vpc["securityGroupIds"], (*vpc_path, "securityGroupIds"), stack_ok=True)
                groups = tuple(sorted(found or []))
            if not subnets or not groups:
                check.error(vpc_path, "a VPC needs at least one subnetIds and one securityGroupIds entry")
    tracing = _tracing(raw, provider_raw, path, check)

    dead_letter = None
    if raw.get("onError") is not None:
        dead_letter = want_arn(raw["onError"], (*path, "onError"), check, services=("sns", "sqs"),
                           what="SNS topic or SQS queue")  # fmt: skip
    on_success = on_failure = None
    if raw.get("destinations") is not None:
        destinations = check.want_mapping(raw["destinations"], (*path, "destinations")) or {}
        check.keys(destinations, (*path, "destinations"), DESTINATION_KEYS)
        on_success = _destination(destinations.get("onSuccess"), (*path, "destinations", "onSuccess"), check,
                                  function_keys=function_keys)  # fmt: skip
        on_failure = _destination(destinations.get("onFailure"), (*path, "destinations", "onFailure"), check,
                                  function_keys=function_keys)  # fmt: skip
    retries = None
    if raw.get("maximumRetryAttempts") is not None:
        retries = want_bounded(raw["maximumRetryAttempts"], (*path, "maximumRetryAttempts"), check, ASYNC_RETRIES)
    age = None
    if raw.get("maximumEventAge") is not None:
        age = want_bounded(raw["maximumEventAge"], (*path, "maximumEventAge"), check, ASYNC_EVENT_AGE_S, unit="seconds")
    kms = None
    kms_value, kms_path = (
        (raw["kmsKeyArn"], (*path, "kmsKeyArn")) if raw.get("kmsKeyArn") is not None
        else (provider_raw.get("kmsKeyArn"), ("provider", "kmsKeyArn"))
    )  # fmt: skip
    if kms_value is not None:
        kms = want_arn(kms_value, kms_path, check, services=("kms",), what="KMS key")
    return FunctionSettings(
        subnet_ids=subnets,
        security_group_ids=groups,
        tracing=tracing,
        dead_letter_arn=dead_letter,
        on_success=on_success,
        on_failure=on_failure,
        maximum_retry_attempts=retries,
        maximum_event_age=age,
        kms_key_arn=kms,
    )


def _tracing(raw: Mapping[str, Value], provider_raw: Mapping[str, Value], path: KeyPath, check: Checker) -> str | None:
    if raw.get("tracing") is not None:
        value, where = raw["tracing"], (*path, "tracing")
    else:
        provider_tracing = provider_raw.get("tracing")
        if provider_tracing is None:
            return None
        section = check.want_mapping(provider_tracing, ("provider", "tracing"), what="a mapping (lambda: true)")
        if section is None:
            return None
        check.keys(section, ("provider", "tracing"), {"lambda", "apiGateway"})
        if section.get("lambda") is None:
            return None
        value, where = section["lambda"], ("provider", "tracing", "lambda")
    if value is True:
        return "Active"
    if value is False:
        return "PassThrough"
    return check.want_choice(value, where, ("Active", "PassThrough"), what="a tracing mode (or true/false)")


def _destination(value: Value, path: KeyPath, check: Checker, *, function_keys: frozenset[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict) and not is_intrinsic(value):
        check.keys(value, path, {"arn", "type"})
        value, path = value.get("arn"), (*path, "arn")
    if is_intrinsic(value):
        return check.stack_value(value, path)
    text = check.want_str(value, path)
    if text is None:
        return None
    if not text.startswith("arn:"):
        if text in function_keys:
            return f"function:{text}"
        check.error(path, f"{show(text)} is neither an ARN nor a function of this service")
        return None
    return want_arn(text, path, check, services=("sqs", "sns", "lambda", "events"),
                what="SQS queue, SNS topic, Lambda function or event bus")  # fmt: skip
