"""The `log_group` kind: a function's CloudWatch Logs group, its retention and tags."""

from __future__ import annotations

from typing import Any

from fnship.arns import parse_arn
from fnship.kinds.base import Context, Kind, tag_delta
from fnship.model.address import Address
from fnship.model.resources import OWNER_FUNCTION_TAG, Resource
from fnship.plan.diff import Step


def log_group_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.logs.create_log_group(resource.name, tags=resource.attrs["tags"])
    if resource.attrs["retention_days"] is not None:
        context.aws.logs.set_retention(resource.name, resource.attrs["retention_days"])


def log_group_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live_at(step.address)
    if resource.attrs["retention_days"] != live.attrs["retention_days"]:
        context.aws.logs.set_retention(resource.name, resource.attrs["retention_days"])
    add, remove = tag_delta(live.attrs.get("tags"), resource.attrs["tags"])
    if add or remove:
        context.aws.logs.set_tags(live.extras["arn"], add=add, remove=remove)


def log_group_delete(context: Context, step: Step) -> None:
    context.aws.logs.delete_log_group(context.live_at(step.address).name)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_log_group(aws: Any, stub: Resource) -> list[Resource]:
    found = aws.log_group(stub.name)
    if found is None:
        return []
    # Our log groups' tags came with discovery's one tagging call; a group without our tags is asked alone.
    tags = _tagged_log_groups(aws).get(stub.name)
    if tags is None:
        tags = aws.logs.get_tags(found["Arn"])
    attrs = {"retention_days": found["RetentionInDays"], "tags": tags}
    return [Resource(stub.address, "log_group", stub.name, attrs, extras={"arn": found["Arn"]})]


def _tagged_log_groups(aws: Any) -> dict[str, dict[str, str]]:
    """Log group name -> tags, of the groups carrying the reading's ownership tags."""
    if aws.owner is None:
        return {}
    found = {}
    for arn, tags in aws.tagged().items():
        parts = parse_arn(arn)
        if parts and parts.service == "logs" and parts.resource.startswith("log-group:"):
            found[parts.resource.removeprefix("log-group:").removesuffix(":*")] = dict(tags)
    return found


def discover_log_groups(aws: Any) -> list[Resource]:
    """The log groups carrying this service's and stage's tags, keyed by their function tag."""
    stubs = []
    for name, tags in _tagged_log_groups(aws).items():
        key = tags.get(OWNER_FUNCTION_TAG)
        if key:
            stubs.append(Resource(Address.log_group(key), "log_group", name, {}))
    return stubs


KIND = Kind(
    name="log_group",
    handlers={
        "log_group.create": log_group_create,
        "log_group.update": log_group_update,
        "log_group.delete": log_group_delete,
    },
    by_name=True,
    read=read_log_group,
    discover=discover_log_groups,
)
