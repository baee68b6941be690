"""`cloudwatchLog` events: a subscription filter on a log group sending its matching events to the alias, and the
statement that lets CloudWatch Logs invoke it, as Serverless v3 writes it (the regional principal
`logs.<region>.amazonaws.com`, SourceArn the log group's ARN with `:*`). Parse, render, sample event in one
place. Pure.

https://www.serverless.com/framework/docs/providers/aws/events/cloudwatch-log
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#LambdaFunctionExample
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from fnship.arns import arn
from fnship.jsonvalue import JsonObject
from fnship.kinds.subscription_filter import SubscriptionFilter, filter_name
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import EventContext, text_of
from fnship.manifest.types import EventSettings, EventSpec, KeyPath, Value
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, permission, slug, trigger_address
from fnship.triggers.base import TriggerType

CLOUDWATCH_LOG_KEYS = frozenset({"logGroup", "filter"})
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutSubscriptionFilter.html
LOG_GROUP_NAME = re.compile(r"^[\.\-_/#A-Za-z0-9]{1,512}$")
FILTER_PATTERN_MAX = 1024
FILTERS_PER_LOG_GROUP = 2  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html


@dataclass(frozen=True)
class LogEvent(EventSettings):
    """A subscription filter on `log_group` ("" pattern: every event)."""

    log_group: str
    filter_pattern: str


def parse_cloudwatch_log(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[LogEvent]:
    check = ctx.check
    if isinstance(value, str):
        raw: Mapping[str, Value] = {"logGroup": value}
        group_path = path
    else:
        found = check.want_mapping(value, path, what="a log group name or a mapping (logGroup, filter)")
        if found is None:
            return []
        check.keys(found, path, CLOUDWATCH_LOG_KEYS)
        if found.get("logGroup") is None:
            check.error(path, "logGroup is required", at_key=True)
            return []
        raw, group_path = found, (*path, "logGroup")
    group = check.want_str(raw["logGroup"], group_path)
    if group is None:
        return []
    if not LOG_GROUP_NAME.match(group):
        check.error(group_path, f"{show(group)} is not a log group name: 1-512 of letters, digits, '.-_/#'")
        return []
    pattern = text_of(raw, "filter", path, check) or ""
    if len(pattern) > FILTER_PATTERN_MAX:
        check.error((*path, "filter"), f"is {len(pattern)} characters; CloudWatch Logs allows {FILTER_PATTERN_MAX}")
    return [LogEvent(log_group=group, filter_pattern=pattern)]


def check_service(events: list[tuple[str, EventSpec]], check: Checker, _provider: Mapping[str, Value]) -> None:
    """AWS allows two subscription filters per log group, whichever functions they serve."""
    count: dict[str, int] = {}
    for key, event in events:
        group = event.settings_as(LogEvent).log_group
        count[group] = count.get(group, 0) + 1
        if count[group] == FILTERS_PER_LOG_GROUP + 1:
            check.error(
                ("functions", key, "events", event.index, "cloudwatchLog"),
                f"log group {group} would get more than {FILTERS_PER_LOG_GROUP} subscription filters, "
                "the CloudWatch Logs limit",
                "subscribe one function to the log group and fan out from it",
            )


def name(event: EventSpec) -> str:
    return slug(event.settings_as(LogEvent).log_group)


def logs_principal(region: str) -> str:
    """As Serverless v3 writes it: the regional service principal."""
    return f"logs.{region}.amazonaws.com"


def render(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(LogEvent)
    group_arn = arn("logs", f"log-group:{s.log_group}:*", region=target.region, account_id=target.account_id)
    statement = permission(target, "cloudwatchLog", name, principal=logs_principal(target.region), source_arn=group_arn)
    spec = SubscriptionFilter(log_group=s.log_group, filter_pattern=s.filter_pattern, destination_arn=target.alias_arn)
    subscription = Resource.of(
        trigger_address(target, "cloudwatchLog", name),
        filter_name(target.function_name, name),
        spec,
        depends_on=(target.alias_address, Address.permission(target.function_key, "cloudwatchLog", name)),
        scope=target.scope("cloudwatchLog", name),
    )
    return [statement, subscription]


def cloudwatch_logs(where: Where) -> JsonObject:
    """What a subscription filter sends: the log events, gzipped and base64-encoded under `awslogs.data`.
    https://docs.aws.amazon.com/lambda/latest/dg/services-cloudwatchlogs.html"""
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": where.account_id,
        "logGroup": "/aws/lambda/example-function",
        "logStream": "2023/11/14/[$LATEST]" + stable_id("log-stream").replace("-", ""),
        "subscriptionFilters": ["example-filter"],
        "logEvents": [
            {"id": str(10**55 + n), "timestamp": where.now_ms + n, "message": f"[ERROR] example message {n}"}
            for n in (1, 2)
        ],
    }
    # mtime=0: the same bytes every time (gzip puts the time in its header).
    packed = gzip.compress(json.dumps(data).encode(), mtime=0)
    return {"awslogs": {"data": base64.b64encode(packed).decode()}}


TRIGGER = TriggerType(
    parse=parse_cloudwatch_log,
    name=name,
    render=render,
    samples={"cloudwatchLog": cloudwatch_logs},
    kinds=("subscription_filter", "permission"),
    check_service=check_service,
)
