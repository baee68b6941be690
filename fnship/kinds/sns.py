"""The SNS kinds: `sns_topic` (a topic the service creates and owns when an event names it) and
`sns_subscription` (the alias subscribed to a topic). A subscription cannot change its topic or endpoint: a change
to one replaces it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.arns import parse_arn
from fnship.kinds.base import Context, Kind, compact_json, function_scoped, known, tag_delta
from fnship.model.address import Address
from fnship.model.resources import Found, Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, source_arn

if TYPE_CHECKING:
    from fnship.aws.sns_api import SubscriptionAnswer, TopicAnswer
    from fnship.plan.reads import Reads


@dataclass(frozen=True, kw_only=True)
class Topic(Spec):
    """A topic the service owns (its name is the resource's name)."""

    kind: ClassVar[str] = "sns_topic"
    display_name: str
    tags: Mapping[str, str]
    arn: str | None = field(default=None, compare=False)  # known from its name, region and account


def topic_from_aws(found: TopicAnswer, *, arn: str) -> Topic:
    """GetTopicAttributes' answer with the topic's tags (`Tags`) as the spec."""
    return Topic(display_name=found["Attributes"].get("DisplayName", ""), tags=dict(found["Tags"]), arn=arn)


def sns_topic_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(Topic)
    arn = context.aws.sns.create_topic(resource.name, display_name=spec.display_name, tags=spec.tags)
    context.outputs[step.address] = {"arn": arn}


def sns_topic_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, Topic), context.live_spec(step, Topic)
    arn = known(live.arn, f"the ARN of {step.address}")
    if spec.display_name != live.display_name:
        context.aws.sns.set_display_name(arn, spec.display_name)
    add, remove = tag_delta(live.tags, spec.tags)
    if add or remove:
        context.aws.sns.set_tags(arn, add=add, remove=remove)


def sns_topic_delete(context: Context, step: Step) -> None:
    context.aws.sns.delete_topic(known(context.live_spec(step, Topic).arn, f"the ARN of {step.address}"))


@dataclass(frozen=True, kw_only=True)
class Subscription(Spec):
    """The alias subscribed to a topic (the topic's ARN is the resource's name)."""

    kind: ClassVar[str] = "sns_subscription"
    topic_arn: str
    endpoint: str  # the alias ARN
    filter_policy: str | None  # compact JSON
    filter_policy_scope: str | None  # MessageAttributes | MessageBody, set with a policy
    subscription_arn: str | None = field(default=None, compare=False)  # assigned by SNS: live only


def subscription_from_aws(found: SubscriptionAnswer, *, topic_arn: str, endpoint: str) -> Subscription:
    """A subscription with its GetSubscriptionAttributes answer as the spec."""
    attributes = found["Attributes"]
    policy = compact_json(attributes.get("FilterPolicy"))
    policy = None if policy == "{}" else policy  # how an update removes a filter (see sns_subscription_update)
    return Subscription(
        topic_arn=topic_arn,
        endpoint=attributes.get("Endpoint", endpoint),
        filter_policy=policy,
        filter_policy_scope=attributes.get("FilterPolicyScope", "MessageAttributes") if policy else None,
        subscription_arn=found["SubscriptionArn"],
    )


def sns_subscription_create(context: Context, step: Step) -> None:
    spec = context.desired_spec(step, Subscription)
    attributes: dict[str, str] = {}
    if spec.filter_policy:
        scope = known(spec.filter_policy_scope, f"the filter policy scope of {step.address}")
        attributes = {"FilterPolicy": spec.filter_policy, "FilterPolicyScope": scope}
    context.aws.sns.subscribe_lambda(spec.topic_arn, spec.endpoint, attributes=attributes)


def sns_subscription_update(context: Context, step: Step) -> None:
    """Only the filter changes in place (topic and endpoint force a replacement)."""
    spec, live = context.desired_spec(step, Subscription), context.live_spec(step, Subscription)
    arn = known(live.subscription_arn, f"the subscription ARN of {step.address}")
    if spec.filter_policy:
        scope = known(spec.filter_policy_scope, f"the filter policy scope of {step.address}")
        context.aws.sns.set_subscription_attribute(arn, "FilterPolicyScope", scope)
    # An empty policy removes the filter: https://docs.aws.amazon.com/sns/latest/dg/message-filtering-apply.html
    context.aws.sns.set_subscription_attribute(arn, "FilterPolicy", spec.filter_policy or "{}")


def sns_subscription_delete(context: Context, step: Step) -> None:
    live = context.live_spec(step, Subscription)
    context.aws.sns.unsubscribe(known(live.subscription_arn, f"the subscription ARN of {step.address}"))


def subscription_depends(resource: Resource) -> tuple[str, ...]:
    """The alias, the permission SNS invokes it with, and the owned topic (the topic's name ends its ARN)."""
    scope = resource.in_scope()
    topic = resource.spec_as(Subscription).topic_arn.rsplit(":", 1)[-1]
    permission = Address.permission(scope.function_key, "sns", scope.trigger_name)
    return (*function_scoped(resource), permission, Address.topic(topic))


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_sns_topic(aws: Reads, stub: Resource) -> list[Resource]:
    # A desired topic knows its ARN; a discovered one came with it in the tagging answer.
    arn = stub.spec_as(Topic).arn if stub.spec is not None else stub.found.arn if stub.found is not None else None
    assert arn is not None, f"{stub.address} has no ARN"
    found = aws.sns.get_topic_or_none(arn)
    if found is None:
        return []
    return [Resource.of(stub.address, stub.name, topic_from_aws(found, arn=arn))]


def read_sns_subscription(aws: Reads, stub: Resource) -> list[Resource]:
    scope = stub.in_scope()
    found = aws.sns.find_subscription_or_none(stub.name, scope.alias_arn)
    if found is None:
        return []
    spec = subscription_from_aws(found, topic_arn=stub.name, endpoint=scope.alias_arn)
    return [Resource.of(stub.address, stub.name, spec, scope=scope)]


def discover_topics(aws: Reads) -> list[Resource]:
    """Topics carrying the service's tags (the one tagging answer); the topic's name ends its ARN."""
    stubs = []
    for arn in aws.tagged():
        parts = parse_arn(arn)
        if parts is not None and parts.service == "sns":
            stubs.append(Resource(Address.topic(parts.resource), "sns_topic", parts.resource, found=Found(arn=arn)))
    return stubs


def discover_subscriptions(aws: Reads, on: OnAlias) -> list[Resource]:
    """Subscriptions of the alias, from the statements of `sns` events on its policy (SourceArn: the topic)."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == "sns" and source:
            address, scope = Address.trigger(on.function_key, event_type, name), target.scope(event_type, name)
            stubs.append(Resource(address, "sns_subscription", source, scope=scope))
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
