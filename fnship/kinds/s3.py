"""The S3 kinds: `s3_bucket` (a bucket the service creates and owns) and `s3_notification` (our entry in a
bucket's notification configuration; the bucket's other entries are kept). Entries of one bucket share one
configuration document: their steps run one at a time."""

from __future__ import annotations

from typing import Any

from fnship.errors import AwsError
from fnship.kinds.base import Context, Kind, function_scoped
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.plan.diff import Step


def s3_bucket_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.s3.create_bucket(resource.name, tags=resource.attrs["tags"])


def s3_bucket_update(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.s3.put_tags(resource.name, resource.attrs["tags"])


def s3_bucket_delete(context: Context, step: Step) -> None:
    context.aws.s3.delete_bucket(context.live(step).name)


def notification_entry(resource: Resource) -> dict[str, Any]:
    attrs = resource.attrs
    entry: dict[str, Any] = {"Id": resource.name, "LambdaFunctionArn": attrs["target"], "Events": list(attrs["events"])}
    if attrs["filter"]:
        rules = [{"Name": name, "Value": value} for name, value in sorted(attrs["filter"].items())]
        entry["Filter"] = {"Key": {"FilterRules": rules}}
    return entry


def write_notification(context: Context, bucket: str, entry_id: str, entry: dict[str, Any] | None) -> None:
    """Replace (or remove) our entry in the bucket's configuration, keeping every other entry as it is."""
    s3 = context.aws.s3
    configuration = s3.get_notifications_or_none(bucket)
    if configuration is None:
        if entry is None:
            return
        raise AwsError(resource=f"bucket {bucket}", action="GetBucketNotificationConfiguration",
                       code="NoSuchBucket", detail="the bucket does not exist")  # fmt: skip
    entries = [e for e in configuration.get("LambdaFunctionConfigurations", []) if e.get("Id") != entry_id]
    if entry is not None:
        entries.append(entry)
    updated = {key: value for key, value in configuration.items() if key != "LambdaFunctionConfigurations"}
    if entries:
        updated["LambdaFunctionConfigurations"] = entries
    s3.put_notifications(bucket, updated)


def s3_notification_put(context: Context, step: Step) -> None:
    resource = context.desired(step)
    write_notification(context, resource.attrs["bucket"], resource.name, notification_entry(resource))


def s3_notification_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    write_notification(context, live.attrs["bucket"], live.name, None)


def bucket_of(resource: Resource) -> str:
    return str(resource.extras.get("bucket") or resource.attrs.get("bucket"))


def notification_depends(resource: Resource) -> tuple[str, ...]:
    """The alias, the permission S3 checks when the entry is written, and the bucket."""
    extras = resource.extras
    key, name = extras.get("function_key"), extras.get("trigger_name")
    permission = (Address.permission(key, "s3", name),) if key and name else ()
    return (*function_scoped(resource), *permission, Address.bucket(bucket_of(resource)))


BUCKET_KIND = Kind(
    name="s3_bucket",
    handlers={
        "s3_bucket.create": s3_bucket_create,
        "s3_bucket.update": s3_bucket_update,
        "s3_bucket.delete": s3_bucket_delete,
    },  # fmt: skip
    delete_last=True,
)
NOTIFICATION_KIND = Kind(
    name="s3_notification",
    handlers={
        "s3_notification.create": s3_notification_put,
        "s3_notification.update": s3_notification_put,
        "s3_notification.delete": s3_notification_delete,
    },  # fmt: skip
    depends=notification_depends,
    serial=lambda resource: f"notifications:{bucket_of(resource)}",
)
