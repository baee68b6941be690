"""CloudWatch Logs: the function's log group, its retention and tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fnship.aws.calls import aws_call, call_or_none


class LogsApi:
    def __init__(self, client: Any) -> None:
        self._client = client

    def get_log_group_or_none(self, name: str) -> dict[str, Any] | None:
        page = aws_call(
            f"log group {name}", "DescribeLogGroups", self._client.describe_log_groups, logGroupNamePrefix=name
        )
        for group in page.get("logGroups", []):
            if group["logGroupName"] == name:
                arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
                tags = aws_call(
                    f"log group {name}", "ListTagsForResource", self._client.list_tags_for_resource, resourceArn=arn
                )
                return {
                    "Name": name,
                    "Arn": arn,
                    "RetentionInDays": group.get("retentionInDays"),
                    "Tags": dict(tags.get("tags", {})),
                }
        return None

    def create_log_group(self, name: str, *, tags: Mapping[str, str]) -> None:
        aws_call(
            f"log group {name}", "CreateLogGroup", self._client.create_log_group, logGroupName=name, tags=dict(tags)
        )

    def set_retention(self, name: str, days: int | None) -> None:
        if days is None:
            aws_call(
                f"log group {name}", "DeleteRetentionPolicy", self._client.delete_retention_policy, logGroupName=name
            )
        else:
            aws_call(
                f"log group {name}",
                "PutRetentionPolicy",
                self._client.put_retention_policy,
                logGroupName=name,
                retentionInDays=days,
            )

    def set_tags(self, arn: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        if remove:
            aws_call(arn, "UntagResource", self._client.untag_resource, resourceArn=arn, tagKeys=list(remove))
        if add:
            aws_call(arn, "TagResource", self._client.tag_resource, resourceArn=arn, tags=dict(add))

    def delete_log_group(self, name: str) -> None:
        call_or_none(f"log group {name}", "DeleteLogGroup", self._client.delete_log_group, logGroupName=name)
