"""`sns` events: a subscription to a topic the service owns (by name) or uses (by ARN). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fnship.manifest.checks import show
from fnship.manifest.events.common import EventContext, json_value, text_of, want_arn
from fnship.manifest.types import KeyPath

SNS_KEYS = frozenset({"arn", "topicName", "displayName", "filterPolicy", "filterPolicyScope"})
TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
FILTER_POLICY_SCOPES = ("MessageAttributes", "MessageBody")


@dataclass(frozen=True)
class SnsEvent:
    """A subscription to a topic: owned by this service when named (`topic_arn` None), used when given by ARN."""

    topic_name: str
    topic_arn: str | None
    display_name: str
    filter_policy: str | None  # compact JSON
    filter_policy_scope: str | None


def parse_sns(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[SnsEvent]:
    check = ctx.check
    if isinstance(value, str):
        raw: dict[str, Any] = {"arn": value} if value.startswith("arn:") else {"topicName": value}
        key_path = {"arn": path, "topicName": path}
    else:
        raw = check.want_mapping(value, path, what="a topic name, a topic ARN or a mapping (topicName, arn, ...)")
        if raw is None:
            return []
        check.keys(raw, path, SNS_KEYS)
        key_path = {"arn": (*path, "arn"), "topicName": (*path, "topicName")}
    arn = None
    if raw.get("arn") is not None:
        arn = want_arn(raw["arn"], key_path["arn"], check, services=("sns",), what="SNS topic")
    name = text_of(raw, "topicName", path, check) if isinstance(value, dict) else raw.get("topicName")
    if arn is None and name is None:
        if raw.get("arn") is None:
            check.error(path, "topicName or arn is required", at_key=True)
        return []
    if arn is not None:
        name = arn.rsplit(":", 1)[1]
    elif not TOPIC_NAME.match(name or ""):
        check.error(key_path["topicName"], f"{show(name)} is not an SNS topic name: letters, digits, '-' and '_'")
        return []
    filter_policy = None
    if raw.get("filterPolicy") is not None:
        policy = check.want_mapping(raw["filterPolicy"], (*path, "filterPolicy"))
        filter_policy = json_value(policy, (*path, "filterPolicy"), check) if policy is not None else None
    scope = None
    if raw.get("filterPolicyScope") is not None:
        scope = check.want_choice(
            raw["filterPolicyScope"], (*path, "filterPolicyScope"), FILTER_POLICY_SCOPES, what="a filter policy scope"
        )
    return [
        SnsEvent(
            topic_name=str(name),
            topic_arn=arn,  # None: the topic is created and owned by this service
            display_name=(text_of(raw, "displayName", path, check) or "") if isinstance(value, dict) else "",
            filter_policy=filter_policy,
            filter_policy_scope=(scope or "MessageAttributes") if filter_policy else None,
        )
    ]
