"""`s3` events: a notification entry on the bucket for the alias. The bucket is created and owned by the
service unless `existing: true`; either way only our entries (by id) change, the bucket's others are kept. Parse,
render, sample event in one place. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fnship.arns import arn
from fnship.jsonvalue import JsonObject
from fnship.kinds.s3 import Bucket, Notification, notification_id
from fnship.local.events import Where
from fnship.manifest.checks import show
from fnship.manifest.events.common import EventContext, flag, short_or_mapping
from fnship.manifest.intrinsics import StackValue, is_intrinsic
from fnship.manifest.types import EventSettings, EventSpec, KeyPath
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, permission, slug, trigger_address
from fnship.triggers.base import Shared, TriggerType

S3_KEYS = frozenset({"bucket", "event", "rules", "existing", "forceDeploy"})
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
S3_EVENTS = (
    "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*", "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete", "s3:ReducedRedundancyLostObject",
    "s3:Replication:*", "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationMissedThreshold", "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:Replication:OperationNotTracked", "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:LifecycleTransition", "s3:IntelligentTiering",
    "s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete", "s3:ObjectAcl:Put",
)  # fmt: skip


@dataclass(frozen=True)
class S3Event(EventSettings):
    """A notification entry on a bucket: owned by this service unless `existing: true`."""

    bucket: str
    events: tuple[str, ...]
    prefix: str | None
    suffix: str | None
    existing: bool


def parse_s3(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[S3Event]:
    check = ctx.check
    found = short_or_mapping(
        value,
        path,
        check,
        key="bucket",
        keys=S3_KEYS,
        what="a bucket name or a mapping (bucket, event, rules, existing)",
    )
    if found is None:
        return []
    raw, bucket_path = found
    existing = flag(raw, "existing", path, check, False) if isinstance(value, dict) else False
    bucket: str | None
    if is_intrinsic(raw["bucket"]):
        # `bucket: !Ref Uploads`: a bucket of resources: (or an import), as Serverless v3 allows it: only existing.
        if not existing:
            check.error(bucket_path, "a bucket given as a CloudFormation function is a bucket made elsewhere (here, "
                        "by resources:): Serverless v3 and fnship need `existing: true` with it",
                        "add `existing: true` to this s3 event")  # fmt: skip
            return []
        bucket = check.stack_value(raw["bucket"], bucket_path)
    else:
        bucket = check.want_str(raw["bucket"], bucket_path)
    if bucket is not None and not isinstance(bucket, StackValue) and not BUCKET_NAME.match(bucket):
        check.error(bucket_path, f"{show(bucket)} is not an S3 bucket name (3-63 lowercase letters, digits, . and -)")
        bucket = None
    event = "s3:ObjectCreated:*"
    if raw.get("event") is not None:
        event = check.want_choice(raw["event"], (*path, "event"), S3_EVENTS, what="an S3 event type") or event
    prefix = suffix = None
    if raw.get("rules") is not None:
        for rule_index, rule in enumerate(check.want_list(raw["rules"], (*path, "rules")) or []):
            rule_path = (*path, "rules", rule_index)
            rule = check.want_mapping(rule, rule_path, what="a mapping with prefix: or suffix:")
            if rule is None:
                continue
            check.keys(rule, rule_path, {"prefix", "suffix"})
            if rule.get("prefix") is not None:
                prefix = check.want_str(rule["prefix"], (*rule_path, "prefix"))
            if rule.get("suffix") is not None:
                suffix = check.want_str(rule["suffix"], (*rule_path, "suffix"))
    if bucket is None:
        return []
    return [
        S3Event(
            bucket=bucket,
            events=(event,),
            prefix=prefix,
            suffix=suffix,
            existing=existing,
        )
    ]


S3 = "s3.amazonaws.com"


def s3_name(event: EventSpec) -> str:
    bucket = event.settings_as(S3Event).bucket
    return slug(bucket.label if isinstance(bucket, StackValue) else bucket)  # (a stack's bucket: its logical id)


def render_s3(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(S3Event)
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
    settings = [event.settings_as(S3Event) for _target, event in events]
    owned = sorted({s.bucket for s in settings if not s.existing})
    return [Resource.of(Address.bucket(bucket), bucket, Bucket(tags=dict(tags))) for bucket in owned]


def s3(where: Where) -> JsonObject:
    """https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html"""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": where.region,
                "eventTime": where.iso,
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "EXAMPLE123456789", "x-amz-id-2": "EXAMPLE123/abcdefgh"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "testConfigRule",
                    "bucket": {
                        "name": "example-bucket",
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": "arn:aws:s3:::example-bucket",
                    },
                    "object": {
                        "key": "test/key.json",
                        "size": 1024,
                        "eTag": "0123456789abcdef0123456789abcdef",
                        "sequencer": "0A1B2C3D4E5F678901",
                    },
                },
            }
        ]
    }


def shared(events: list[tuple[Target, EventSpec]], _rendered: list[Resource], context: Shared) -> list[Resource]:
    return shared_buckets(events, context.tags)


TRIGGER = TriggerType(
    parse=parse_s3,
    name=s3_name,
    render=render_s3,
    shared=shared,
    samples={"s3": s3},
    kinds=("s3_notification", "permission", "s3_bucket"),
)
