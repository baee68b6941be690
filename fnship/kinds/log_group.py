"""The `log_group` kind: a function's CloudWatch Logs group, its retention and tags."""

from __future__ import annotations

from fnship.kinds.base import Context, Kind, tag_delta
from fnship.plan.diff import Step


def log_group_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.logs.create_log_group(resource.name, tags=resource.attrs["tags"])
    if resource.attrs["retention_days"] is not None:
        context.aws.logs.set_retention(resource.name, resource.attrs["retention_days"])


def log_group_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    if resource.attrs["retention_days"] != live.attrs["retention_days"]:
        context.aws.logs.set_retention(resource.name, resource.attrs["retention_days"])
    add, remove = tag_delta(live.attrs.get("tags"), resource.attrs["tags"])
    if add or remove:
        context.aws.logs.set_tags(live.extras["arn"], add=add, remove=remove)


def log_group_delete(context: Context, step: Step) -> None:
    context.aws.logs.delete_log_group(context.live(step).name)


KIND = Kind(
    name="log_group",
    handlers={
        "log_group.create": log_group_create,
        "log_group.update": log_group_update,
        "log_group.delete": log_group_delete,
    },
    by_name=True,
)
