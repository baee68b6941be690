"""The SNS kinds: `sns_topic` (a topic the service creates and owns when an event names it) and
`sns_subscription` (the alias subscribed to a topic). A subscription cannot change its topic or endpoint: a change
to one replaces it."""

from __future__ import annotations

from typing import Any

from fnship.arns import parse_arn
from fnship.kinds.base import Context, Kind, function_scoped, tag_delta
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import trigger_address
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, compact_json, source_arn


def sns_topic_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    arn = context.aws.sns.create_topic(
        resource.name, display_name=resource.attrs["display_name"], tags=resource.attrs["tags"]
    )
    context.outputs[step.address] = {"arn": arn}


def sns_topic_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    arn = live.extras["arn"]
    if resource.attrs["display_name"] != live.attrs["display_name"]:
        context.aws.sns.set_display_name(arn, resource.attrs["display_name"])
    add, remove = tag_delta(live.attrs.get("tags"), resource.attrs["tags"])
    if add or remove:
        context.aws.sns.set_tags(arn, add=add, remove=remove)


def sns_topic_delete(context: Context, step: Step) -> None:
    context.aws.sns.delete_topic(context.live(step).extras["arn"])


def sns_subscription_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    attributes = {}
    if attrs["filter_policy"]:
        attributes = {"FilterPolicy": attrs["filter_policy"], "FilterPolicyScope": attrs["filter_policy_scope"]}
    context.aws.sns.subscribe_lambda(attrs["topic_arn"], attrs["endpoint"], attributes=attributes)


def sns_subscription_update(context: Context, step: Step) -> None:
    """Only the filter changes in place (topic and endpoint force a replacement)."""
    resource, live = context.desired(step), context.live(step)
    attrs, arn = resource.attrs, live.extras["subscription_arn"]
    if attrs["filter_policy"]:
        context.aws.sns.set_subscription_attribute(arn, "FilterPolicyScope", attrs["filter_policy_scope"])
    # An empty policy removes the filter: https://docs.aws.amazon.com/sns/latest/dg/message-filtering-apply.html
    context.aws.sns.set_subscription_attribute(arn, "FilterPolicy", attrs["filter_policy"] or "{}")


def sns_subscription_delete(context: Context, step: Step) -> None:
    context.aws.sns.unsubscribe(context.live(step).extras["subscription_arn"])


def subscription_depends(resource: Any) -> tuple[str, ...]:
    """The alias, the permission SNS invokes it with, and the owned topic (the topic's name ends its ARN)."""
    extras = resource.extras
    key, name = extras.get("function_key"), extras.get("trigger_name")
    permission = (Address.permission(key, "sns", name),) if key and name else ()
    topic = str(resource.attrs.get("topic_arn") or resource.name).rsplit(":", 1)[-1]
    return (*function_scoped(resource), *permission, Address.topic(topic))


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_sns_topic(aws: Any, stub: Resource) -> list[Resource]:
    found = aws.sns.get_topic_or_none(stub.extras["arn"])
    if found is None:
        return []
    attrs = {"display_name": found["Attributes"].get("DisplayName", ""), "tags": found["Tags"]}
    return [Resource(stub.address, "sns_topic", stub.name, attrs, extras=stub.extras)]


def read_sns_subscription(aws: Any, stub: Resource) -> list[Resource]:
    found = aws.sns.find_subscription_or_none(stub.name, stub.extras["alias_arn"])
    if found is None:
        return []
    attributes = found["Attributes"]
    policy = compact_json(attributes.get("FilterPolicy"))
    policy = None if policy == "{}" else policy  # how an update removes a filter (see sns_subscription_update)
    attrs = {
        "topic_arn": stub.name,
        "endpoint": attributes.get("Endpoint", stub.extras["alias_arn"]),
        "filter_policy": policy,
        "filter_policy_scope": attributes.get("FilterPolicyScope", "MessageAttributes") if policy else None,
    }
    extras = {**stub.extras, "subscription_arn": found["SubscriptionArn"]}
    return [Resource(stub.address, "sns_subscription", stub.name, attrs, extras=extras)]


def discover_topics(aws: Any) -> list[Resource]:
    """Topics carrying the service's tags (the one tagging answer); the topic's name ends its ARN."""
    stubs = []
    for arn in aws.tagged():
        parts = parse_arn(arn)
        if parts is not None and parts.service == "sns":
            stubs.append(Resource(Address.topic(parts.resource), "sns_topic", parts.resource, {}, extras={"arn": arn}))
    return stubs


def discover_subscriptions(aws: Any, on: OnAlias) -> list[Resource]:
    """Subscriptions of the alias, from the statements of `sns` events on its policy (SourceArn: the topic)."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == "sns" and source:
            address = trigger_address(target, event_type, name)
            stubs.append(Resource(address, "sns_subscription", source, {}, extras=target.extras(event_type, name)))
    return stubs


TOPIC_KIND = Kind(
    name="sns_topic",
    handlers={
        "sns_topic.create": sns_topic_create,
        "sns_topic.update": sns_topic_update,
        "sns_topic.delete": sns_topic_delete,
    },  # fmt: skip,
    read=read_sns_topic,
    discover=discover_topics,
)
SUBSCRIPTION_KIND = Kind(
    name="sns_subscription",
    handlers={
        "sns_subscription.create": sns_subscription_create,
        "sns_subscription.update": sns_subscription_update,
        "sns_subscription.delete": sns_subscription_delete,
    },
    replace_on=frozenset({"topic_arn", "endpoint"}),
    depends=subscription_depends,
    movable=True,
    read=read_sns_subscription,
    discover_on_alias=discover_subscriptions,
)
