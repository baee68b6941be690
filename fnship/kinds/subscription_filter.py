"""The `subscription_filter` kind (`cloudwatchLog` events): a log group's subscription filter sending its matching
log events to the alias. PutSubscriptionFilter replaces a filter by name, so a change is an update in place; a
filter moved to another log group is a new one (made first, then the old one goes).
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutSubscriptionFilter.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from fnship.kinds.base import Context, Kind, function_scoped
from fnship.model import names
from fnship.model.address import Address
from fnship.model.resources import Found, Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, Reads, source_arn

FILTER_NAME_MAX = 512
EVENT_TYPE = "cloudwatchLog"

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import SubscriptionFilterTypeDef


@dataclass(frozen=True, kw_only=True)
class SubscriptionFilter(Spec):
    """A log group's filter (its name is the resource's name) whose matches go to the alias."""

    kind: ClassVar[str] = "subscription_filter"
    log_group: str
    filter_pattern: str  # "" matches every event
    destination_arn: str  # the alias


def filter_name(function_name: str, trigger_name: str) -> str:
    """Ours, derived from the function and the trigger, so discovery knows it from the permission alone."""
    return names.shorten(f"{function_name}-{trigger_name}", FILTER_NAME_MAX)


def log_group_of(arn: str) -> str:
    """`arn:aws:logs:R:A:log-group:NAME:*` (the permission's SourceArn) -> NAME."""
    return arn.split(":log-group:", 1)[1].removesuffix(":*")


def from_aws(found: SubscriptionFilterTypeDef) -> SubscriptionFilter:
    """An item of DescribeSubscriptionFilters as the spec."""
    return SubscriptionFilter(
        log_group=found.get("logGroupName", ""),
        filter_pattern=found.get("filterPattern") or "",
        destination_arn=found.get("destinationArn", ""),
    )


def subscription_filter_put(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    spec = resource.spec_as(SubscriptionFilter)
    context.aws.logs.put_subscription_filter(
        spec.log_group, resource.name, pattern=spec.filter_pattern, destination_arn=spec.destination_arn
    )


def subscription_filter_delete(context: Context, step: Step) -> None:
    live = context.live_at(step.address)
    context.aws.logs.delete_subscription_filter(live.spec_as(SubscriptionFilter).log_group, live.name)


def filter_depends(resource: Resource) -> tuple[str, ...]:
    """The alias, and the permission CloudWatch Logs tests the destination with when the filter is put."""
    scope = resource.in_scope()
    return (*function_scoped(resource), Address.permission(scope.function_key, EVENT_TYPE, scope.trigger_name))


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_subscription_filter(aws: Reads, stub: Resource) -> list[Resource]:
    # A desired filter names its log group; a discovered one was found by its permission's SourceArn.
    if stub.spec is not None:
        group = stub.spec_as(SubscriptionFilter).log_group
    else:
        assert stub.found is not None and stub.found.arn, f"{stub.address} has no log group"
        group = log_group_of(stub.found.arn)
    filters = aws.once(("subscription_filters", group), lambda: aws.logs.subscription_filters(group)) or []
    for found in filters:
        if found.get("filterName") == stub.name:
            return [Resource.of(stub.address, stub.name, from_aws(found), scope=stub.scope)]
    return []


def discover_subscription_filters(aws: Reads, on: OnAlias) -> list[Resource]:
    """Filters sending to the alias, from the statements of `cloudwatchLog` events on its policy (SourceArn: the
    log group)."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == EVENT_TYPE and source and ":log-group:" in source:
            address = Address.trigger(on.function_key, event_type, name)
            stubs.append(Resource(address, "subscription_filter", filter_name(on.function_name, name),
                                  scope=target.scope(event_type, name), found=Found(arn=source)))  # fmt: skip
    return stubs


KIND = Kind(
    name="subscription_filter",
    handlers={
        "subscription_filter.create": subscription_filter_put,
        "subscription_filter.update": subscription_filter_put,
        "subscription_filter.delete": subscription_filter_delete,
    },
    replace_on=frozenset({"log_group"}),
    create_before_destroy=True,
    depends=filter_depends,
    read=read_subscription_filter,
    discover_on_alias=discover_subscription_filters,
)
