"""The `log_group` kind: a function's CloudWatch Logs group, its retention and tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.arns import parse_arn
from fnship.kinds.base import Context, Kind, known, tag_delta
from fnship.model.address import Address
from fnship.model.resources import OWNER_FUNCTION_TAG, Resource, Spec
from fnship.plan.diff import Step

if TYPE_CHECKING:
    from fnship.aws.logs_api import LogGroupAnswer
    from fnship.plan.reads import Reads


@dataclass(frozen=True, kw_only=True)
class LogGroup(Spec):
    """A log group (its name is the resource's name) with its retention (None: kept forever) and tags."""

    kind: ClassVar[str] = "log_group"
    retention_days: int | None
    tags: Mapping[str, str]
    # STANDARD | INFREQUENT_ACCESS, fixed at creation: a change replaces the group (its events go with it).
    log_group_class: str = "STANDARD"
    arn: str | None = field(default=None, compare=False)  # assigned by CloudWatch Logs: live only


def from_aws(found: LogGroupAnswer, tags: Mapping[str, str]) -> LogGroup:
    """A DescribeLogGroups item, with the group's tags (ListTagsForResource, or the tagging answer), as the spec."""
    return LogGroup(
        retention_days=found.get("RetentionInDays"),
        tags=dict(tags),
        log_group_class=found.get("logGroupClass") or "STANDARD",
        arn=found.get("Arn"),
    )


def log_group_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(LogGroup)
    context.aws.logs.create_log_group(resource.name, tags=spec.tags, log_group_class=spec.log_group_class)
    if spec.retention_days is not None:
        context.aws.logs.set_retention(resource.name, spec.retention_days)


def log_group_update(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec, live = resource.spec_as(LogGroup), context.live_spec(step, LogGroup)
    if spec.retention_days != live.retention_days:
        context.aws.logs.set_retention(resource.name, spec.retention_days)
    add, remove = tag_delta(live.tags, spec.tags)
    if add or remove:
        context.aws.logs.set_tags(known(live.arn, f"the ARN of {step.address}"), add=add, remove=remove)


def log_group_delete(context: Context, step: Step) -> None:
    context.aws.logs.delete_log_group(context.live_at(step.address).name)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_log_group(aws: Reads, stub: Resource) -> list[Resource]:
    found = aws.log_group(stub.name)
    if found is None:
        return []
    # Our log groups' tags came with discovery's one tagging call; a group without our tags is asked alone.
    tags = _tagged_log_groups(aws).get(stub.name)
    if tags is None:
        tags = aws.logs.get_tags(found["Arn"])
    return [Resource.of(stub.address, stub.name, from_aws(found, tags))]


def _tagged_log_groups(aws: Reads) -> dict[str, dict[str, str]]:
    """Log group name -> tags, of the groups carrying the reading's ownership tags."""
    if aws.owner is None:
        return {}
    found = {}
    for arn, tags in aws.tagged().items():
        parts = parse_arn(arn)
        if parts and parts.service == "logs" and parts.resource.startswith("log-group:"):
            found[parts.resource.removeprefix("log-group:").removesuffix(":*")] = dict(tags)
    return found


def discover_log_groups(aws: Reads) -> list[Resource]:
    """The log groups carrying this service's and stage's tags, keyed by their function tag."""
    stubs = []
    for name, tags in _tagged_log_groups(aws).items():
        key = tags.get(OWNER_FUNCTION_TAG)
        if key:
            stubs.append(Resource(Address.log_group(key), "log_group", name))
    return stubs


KIND = Kind(
    name="log_group",
    handlers={
        "log_group.create": log_group_create,
        "log_group.update": log_group_update,
        "log_group.delete": log_group_delete,
    },
    replace_on=frozenset({"log_group_class"}),
    by_name=True,
    read=read_log_group,
    discover=discover_log_groups,
)
