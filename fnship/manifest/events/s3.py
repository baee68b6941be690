"""`s3` events: a notification entry on a bucket the service owns (unless `existing: true`). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fnship.manifest.checks import show
from fnship.manifest.events.common import EventContext, flag, short_or_mapping
from fnship.manifest.types import KeyPath

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
class S3Event:
    """A notification entry on a bucket: owned by this service unless `existing: true`."""

    bucket: str
    events: tuple[str, ...]
    prefix: str | None
    suffix: str | None
    existing: bool


def parse_s3(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[S3Event]:
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
    bucket = check.want_str(raw["bucket"], bucket_path)
    if bucket is not None and not BUCKET_NAME.match(bucket):
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
            existing=flag(raw, "existing", path, check, False) if isinstance(value, dict) else False,
        )
    ]
