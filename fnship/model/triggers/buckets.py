"""`s3` events: a notification entry on the bucket for the alias. The bucket is created and owned by the
service unless `existing: true`; either way only our entries (by id) change, the bucket's others are kept. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from fnship.arns import arn
from fnship.kinds.s3 import Notification
from fnship.manifest.types import EventSpec
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, permission, slug, trigger_address

S3 = "s3.amazonaws.com"


def s3_name(event: EventSpec) -> str:
    return slug(event.settings.bucket)


def notification_id(*, service: str, stage: str, function_key: str, name: str) -> str:
    """Our entry's id in the bucket's notification configuration: unique per service, stage and trigger."""
    return f"fnship-{service}-{stage}-{function_key}-{name}"


def render_s3(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings
    depends = [target.alias_address, Address.permission(target.function_key, "s3", name)]
    if not s.existing:
        depends.append(Address.bucket(s.bucket))
    rules = {key: value for key, value in (("prefix", s.prefix), ("suffix", s.suffix)) if value}
    notification = Resource.of(
        trigger_address(target, "s3", name),
        notification_id(service=target.service, stage=target.stage, function_key=target.function_key, name=name),
        Notification(bucket=s.bucket, events=tuple(sorted(s.events)), filter=rules, target=target.alias_arn),
        depends_on=depends,
        scope=target.scope("s3", name),
    )
    # S3 bucket ARNs carry no account: SourceAccount is what keeps another account's bucket of the same name out.
    source = arn("s3", s.bucket, partition_of=target.region)
    return [permission(target, "s3", name, principal=S3, source_arn=source), notification]


def shared_buckets(events: list[tuple[Target, EventSpec]], tags: Mapping[str, str]) -> list[Resource]:
    owned = sorted({event.settings.bucket for _t, event in events if not event.settings.existing})
    owner = next(((t.service, t.stage) for t, _event in events), None)
    return [
        Resource(address=Address.bucket(bucket), kind="s3_bucket", name=bucket, attrs={"tags": dict(tags)},
                 extras={"shared": True, "owner": owner})
        for bucket in owned
    ]  # fmt: skip
