"""`sns` events: the alias subscribed to a topic, which the service creates and owns when the event names it
(`sns: orders`) and only uses when the event gives its ARN. Parse, render, sample event in one place. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fnship.arns import arn
from fnship.jsonvalue import JsonObject
from fnship.kinds.sns import Subscription, Topic
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import show
from fnship.manifest.events.common import EventContext, json_value, text_of, want_arn
from fnship.manifest.intrinsics import StackValue, is_intrinsic
from fnship.manifest.types import EventSettings, EventSpec, KeyPath
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, permission, slug, trigger_address
from fnship.triggers.base import Shared, TriggerType

SNS_KEYS = frozenset({"arn", "topicName", "displayName", "filterPolicy", "filterPolicyScope"})
TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
FILTER_POLICY_SCOPES = ("MessageAttributes", "MessageBody")


@dataclass(frozen=True)
class SnsEvent(EventSettings):
    """A subscription to a topic: owned by this service when named (`topic_arn` None), used when given by ARN."""

    topic_name: str
    topic_arn: str | None
    display_name: str
    filter_policy: str | None  # compact JSON
    filter_policy_scope: str | None


def parse_sns(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[SnsEvent]:
    check = ctx.check
    if isinstance(value, str):
        raw: Mapping[str, object] = {"arn": value} if value.startswith("arn:") else {"topicName": value}
        key_path = {"arn": path, "topicName": path}
    else:
        found = check.want_mapping(value, path, what="a topic name, a topic ARN or a mapping (topicName, arn, ...)")
        if found is None:
            return []
        raw = found
        check.keys(raw, path, SNS_KEYS)
        key_path = {"arn": (*path, "arn"), "topicName": (*path, "topicName")}
    arn = None
    if raw.get("arn") is not None:
        arn = want_arn(raw["arn"], key_path["arn"], check, services=("sns",), what="SNS topic")
    short = raw.get("topicName")  # (`sns: <name>`)
    name: str | None
    if is_intrinsic(short):
        # `topicName: !GetAtt Events.TopicName`: a topic the companion stack makes; subscribed by its ARN.
        topic = check.stack_value(short, key_path["topicName"])
        if arn is None:
            arn = check.stack_value({"Fn::Sub": ["arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${Name}",
                                                 {"Name": dict(short)}]}, key_path["topicName"])  # fmt: skip
        name = topic.label
    else:
        name = (
            text_of(raw, "topicName", path, check) if isinstance(value, dict) else short if isinstance(short, str)
            else None
        )  # fmt: skip
    if arn is None and name is None:
        if raw.get("arn") is None:
            check.error(path, "topicName or arn is required", at_key=True)
        return []
    if isinstance(arn, StackValue):
        name = name or arn.label  # (the topic's logical id names the subscription, unless topicName does)
    elif arn is not None:
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


SNS = "sns.amazonaws.com"


def topic_arn(*, region: str, account_id: str, name: str) -> str:
    return arn("sns", name, region=region, account_id=account_id)


def sns_name(event: EventSpec) -> str:
    return slug(event.settings_as(SnsEvent).topic_name)


def render_sns(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(SnsEvent)
    owned = s.topic_arn is None
    arn = s.topic_arn or topic_arn(region=target.region, account_id=target.account_id, name=s.topic_name)
    depends = [target.alias_address, Address.permission(target.function_key, "sns", name)]
    if owned:
        depends.append(Address.topic(s.topic_name))
    spec = Subscription(
        topic_arn=arn,
        endpoint=target.alias_arn,
        filter_policy=s.filter_policy,
        filter_policy_scope=s.filter_policy_scope,
    )
    subscription = Resource.of(
        trigger_address(target, "sns", name), arn, spec, depends_on=depends, scope=target.scope("sns", name)
    )
    return [permission(target, "sns", name, principal=SNS, source_arn=arn), subscription]


def shared_topics(events: list[tuple[Target, EventSpec]], tags: Mapping[str, str]) -> list[Resource]:
    """One owned topic per topic name used without an ARN; its display name is the first one given."""
    topics: dict[str, str] = {}
    arns: dict[str, str] = {}
    for target, event in events:
        settings = event.settings_as(SnsEvent)
        if settings.topic_arn is None:
            name = settings.topic_name
            if not topics.get(name):
                topics[name] = settings.display_name
            arns[name] = topic_arn(region=target.region, account_id=target.account_id, name=name)
    return [
        Resource.of(Address.topic(name), name, Topic(display_name=display, tags=dict(tags), arn=arns[name]))
        for name, display in sorted(topics.items())
    ]


def sns(where: Where) -> JsonObject:
    """https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html"""
    topic = f"arn:aws:sns:{where.region}:{where.account_id}:example-topic"
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic}:{stable_id('sns-subscription')}",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": where.iso,
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "EXAMPLE",
                    "MessageId": stable_id("sns-message"),
                    "Message": "Hello from SNS!",
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": "EXAMPLE",
                    "TopicArn": topic,
                    "Subject": "example subject",
                },
            }
        ]
    }


def shared(events: list[tuple[Target, EventSpec]], _rendered: list[Resource], context: Shared) -> list[Resource]:
    return shared_topics(events, context.tags)


TRIGGER = TriggerType(
    parse=parse_sns,
    name=sns_name,
    render=render_sns,
    shared=shared,
    samples={"sns": sns},
    kinds=("sns_subscription", "permission", "sns_topic"),
)
