"""The S3 kinds: `s3_bucket` (a bucket the service creates and owns) and `s3_notification` (our entry in a
bucket's notification configuration; the bucket's other entries are kept). The entries of one bucket are written
by one step, with the final set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.arns import parse_arn
from fnship.errors import AwsError, FnError
from fnship.jsonvalue import JsonMapping, JsonValue
from fnship.kinds.base import Context, Kind, function_scoped, reading_owner
from fnship.model.address import Address
from fnship.model.resources import Found, Resource, Spec
from fnship.plan.diff import UPDATE, Change, Step
from fnship.plan.reads import OnAlias, owned, source_arn

if TYPE_CHECKING:
    from fnship.plan.reads import Reads


def notification_id(*, service: str, stage: str, function_key: str, name: str) -> str:
    """Our entry's id in the bucket's notification configuration: unique per service, stage and trigger."""
    return f"fnship-{service}-{stage}-{function_key}-{name}"


@dataclass(frozen=True, kw_only=True)
class Bucket(Spec):
    """A bucket the service creates and owns (its name is the resource's name)."""

    kind: ClassVar[str] = "s3_bucket"
    tags: Mapping[str, str]
    # Live, asked of a bucket the manifest no longer names (plan/live.py): whether a destroy would fail.
    holds_objects: bool | None = field(default=None, compare=False)


def bucket_from_aws(tags: Mapping[str, str]) -> Bucket:
    """GetBucketTagging's answer (as tags) as the spec."""
    return Bucket(tags=dict(tags))


def s3_bucket_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.s3.create_bucket(resource.name, tags=resource.spec_as(Bucket).tags)


def s3_bucket_update(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.s3.put_tags(resource.name, resource.spec_as(Bucket).tags)


def s3_bucket_delete(context: Context, step: Step) -> None:
    context.aws.s3.delete_bucket(context.live_at(step.address).name)


@dataclass(frozen=True, kw_only=True)
class Notification(Spec):
    """Our entry in a bucket's notification configuration (its id is the resource's name)."""

    kind: ClassVar[str] = "s3_notification"
    bucket: str
    events: tuple[str, ...]  # sorted
    filter: Mapping[str, str]  # "prefix" / "suffix" -> value
    target: str  # the alias ARN


def _members(value: JsonValue) -> list[JsonMapping]:
    """The mappings in a JSON list (none when it is not one)."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def notification_from_aws(entry: JsonMapping, *, bucket: str) -> Notification:
    """An entry of GetBucketNotificationConfiguration's LambdaFunctionConfigurations as the spec."""
    found_filter = entry.get("Filter")
    key = found_filter.get("Key") if isinstance(found_filter, Mapping) else None
    rules = _members(key.get("FilterRules") if isinstance(key, Mapping) else None)
    events = entry.get("Events")
    return Notification(
        bucket=bucket,
        events=tuple(sorted(str(event) for event in events)) if isinstance(events, list) else (),
        filter=dict(sorted((str(rule["Name"]).lower(), str(rule["Value"])) for rule in rules)),
        target=str(entry.get("LambdaFunctionArn") or ""),
    )


def notification_entry(resource: Resource) -> dict[str, JsonValue]:
    spec = resource.spec_as(Notification)
    entry: dict[str, JsonValue] = {"Id": resource.name, "LambdaFunctionArn": spec.target, "Events": list(spec.events)}
    if spec.filter:
        rules = [{"Name": name, "Value": value} for name, value in sorted(spec.filter.items())]
        entry["Filter"] = {"Key": {"FilterRules": rules}}
    return entry


def final_notifications(
    configuration: JsonMapping, *, put: list[dict[str, JsonValue]], remove: list[str]
) -> dict[str, JsonValue]:
    """A bucket's notification configuration after our changes: entries with the ids in `remove` (and the old
    copies of those in `put`) taken out, `put` added, every other entry (and topic and queue configuration) kept."""
    dropped = set(remove) | {entry["Id"] for entry in put}
    entries: list[JsonValue] = [
        e for e in _members(configuration.get("LambdaFunctionConfigurations")) if e.get("Id") not in dropped
    ]
    entries += put
    final = {key: value for key, value in configuration.items() if key != "LambdaFunctionConfigurations"}
    if entries:
        final["LambdaFunctionConfigurations"] = entries
    return final


def s3_notification_write(context: Context, step: Step) -> None:
    """One write of the bucket's whole configuration (see notification_steps)."""
    written = step.detail["bucket"]
    wanted = [context.desired_at(address) for address in _addresses(step, "put")]
    # A bucket the companion stack names (`bucket: !Ref Uploads`) is known now, as the entries' resolved bucket.
    bucket = wanted[0].spec_as(Notification).bucket if wanted and not isinstance(written, str) else str(written)
    put = [notification_entry(resource) for resource in wanted]
    remove = [context.live_at(address).name for address in _addresses(step, "remove")]
    s3 = context.aws.s3
    configuration = s3.get_notifications_or_none(bucket)
    if configuration is None:
        if not put:
            return  # the bucket is gone, and our entries with it
        raise AwsError(resource=f"bucket {bucket}", action="GetBucketNotificationConfiguration",
                       code="NoSuchBucket", detail="the bucket does not exist")  # fmt: skip
    s3.put_notifications(bucket, final_notifications(configuration, put=put, remove=remove))


def _addresses(step: Step, key: str) -> list[str]:
    """The addresses a notification write step carries under `key` ("put" or "remove")."""
    found = step.detail.get(key)
    return [str(address) for address in found] if isinstance(found, list) else []


def notification_steps(changes: list[Change]) -> list[tuple[Step, tuple[str, ...]]]:
    """S3 keeps one notification configuration per bucket and refuses one whose entries overlap (same events and
    overlapping prefix and suffix), so every change to a bucket's entries is one write of the final set: a renamed
    function's new entry goes in the same call that takes its old one out. Each step with the changes it carries."""
    by_bucket: dict[str, dict[str, list[str]]] = {}
    for change in changes:
        desired_bucket = change.desired.spec_as(Notification).bucket if change.desired is not None else None
        if desired_bucket is not None:
            by_bucket.setdefault(desired_bucket, {"put": [], "remove": []})["put"].append(change.address)
        live_bucket = change.live.spec_as(Notification).bucket if change.live is not None else None
        if live_bucket is not None and live_bucket != desired_bucket:
            by_bucket.setdefault(live_bucket, {"put": [], "remove": []})["remove"].append(change.address)
    return [
        (
            Step("s3_notification.write", Address.notifications(bucket), {"bucket": bucket, **entries}),
            (*entries["put"], *entries["remove"]),
        )
        for bucket, entries in sorted(by_bucket.items())
    ]


def s3_bucket_disown(context: Context, step: Step) -> None:
    """A bucket left in place because it holds objects: its ownership tags go (the plan lists them)."""
    live, change = context.live_at(step.address), context.plan.change(step.address)
    assert change is not None, f"the plan has no change for {step.address}"
    dropped = {field.path.split(".", 1)[1] for field in change.fields}
    tags = live.spec_as(Bucket).tags
    context.aws.s3.put_tags(live.name, {k: v for k, v in tags.items() if k not in dropped})


def bucket_steps(change: Change) -> list[Step]:
    """An update with nothing desired is a full bucket left in place and disowned (see plan.steps
    keep_full_buckets)."""
    if change.action == UPDATE and change.desired is None:
        return [Step("s3_bucket.disown", change.address)]
    return [Step(f"s3_bucket.{change.action}", change.address)]


def notification_depends(resource: Resource) -> tuple[str, ...]:
    """The alias, the permission S3 checks when the entry is written, and the bucket."""
    scope = resource.in_scope()
    permission = Address.permission(scope.function_key, "s3", scope.trigger_name)
    return (*function_scoped(resource), permission, Address.bucket(resource.spec_as(Notification).bucket))


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_s3_bucket(aws: Reads, stub: Resource) -> list[Resource]:
    tags = aws.s3.get_bucket_tags_or_none(stub.name)
    if tags is None:
        return []
    if not owned(tags, reading_owner(aws)):
        raise FnError(
            f"bucket {stub.name} exists and is not owned by this service and stage",
            hint="add `existing: true` to the s3 event to use the bucket as it is, or choose another bucket name",
        )
    return [Resource.of(stub.address, stub.name, bucket_from_aws(tags))]


def read_s3_notification(aws: Reads, stub: Resource) -> list[Resource]:
    # A desired entry names its bucket; a discovered one was found by its permission's SourceArn.
    bucket = stub.spec_as(Notification).bucket if stub.spec is not None else stub.found.bucket if stub.found else None
    assert bucket is not None, f"{stub.address} names no bucket"
    configuration = aws.once(("notifications", bucket), lambda: aws.s3.get_notifications_or_none(bucket))
    for entry in _members((configuration or {}).get("LambdaFunctionConfigurations")):
        if entry.get("Id") == stub.name:
            spec = notification_from_aws(entry, bucket=bucket)
            return [Resource.of(stub.address, stub.name, spec, scope=stub.scope)]
    return []


def discover_buckets(aws: Reads) -> list[Resource]:
    """Buckets carrying the service's tags (the one tagging answer)."""
    stubs = []
    for arn in aws.tagged():
        parts = parse_arn(arn)
        if parts is not None and parts.service == "s3" and "/" not in parts.resource:
            stubs.append(Resource(Address.bucket(parts.resource), "s3_bucket", parts.resource))
    return stubs


def discover_notifications(aws: Reads, on: OnAlias) -> list[Resource]:
    """Notification entries for the alias, from the statements of `s3` events on its policy (SourceArn: the
    bucket; the entry's id is ours)."""

    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == "s3" and source:
            bucket = source.split(":::", 1)[1]
            entry = notification_id(service=on.service, stage=on.stage, function_key=on.function_key, name=name)
            address = Address.trigger(on.function_key, event_type, name)
            stubs.append(Resource(address, "s3_notification", entry,
                                  scope=target.scope(event_type, name), found=Found(bucket=bucket)))  # fmt: skip
    return stubs


BUCKET_KIND = Kind(
    name="s3_bucket",
    steps=bucket_steps,
    handlers={
        "s3_bucket.create": s3_bucket_create,
        "s3_bucket.update": s3_bucket_update,
        "s3_bucket.delete": s3_bucket_delete,
        "s3_bucket.disown": s3_bucket_disown,
    },
    delete_last=True,
    read=read_s3_bucket,
    discover=discover_buckets,
)
NOTIFICATION_KIND = Kind(
    name="s3_notification",
    handlers={"s3_notification.write": s3_notification_write},
    batch=notification_steps,
    depends=notification_depends,
    read=read_s3_notification,
    discover_on_alias=discover_notifications,
)
