"""`sns` events: a subscription of the alias to a topic, which the service creates and owns when the event
names it (`sns: orders`) and only uses when the event gives its ARN. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from fnship.arns import arn
from fnship.kinds.sns import Subscription
from fnship.manifest.types import EventSpec
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, permission, slug, trigger_address

SNS = "sns.amazonaws.com"


def topic_arn(*, region: str, account_id: str, name: str) -> str:
    return arn("sns", name, region=region, account_id=account_id)


def sns_name(event: EventSpec) -> str:
    return slug(event.settings.topic_name)


def render_sns(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings
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
        if event.settings.topic_arn is None:
            name = event.settings.topic_name
            if not topics.get(name):
                topics[name] = event.settings.display_name
            arns[name] = topic_arn(region=target.region, account_id=target.account_id, name=name)
    return [
        Resource(
            address=Address.topic(name),
            kind="sns_topic",
            name=name,
            attrs={"display_name": display, "tags": dict(tags)},
            extras={"shared": True, "arn": arns[name]},
        )
        for name, display in sorted(topics.items())
    ]
