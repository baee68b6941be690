"""CloudWatch Logs: the function's log group, its retention and tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TypedDict

from fnship.aws.calls import aws_call, call_or_none, paged

if TYPE_CHECKING:
    from mypy_boto3_logs.client import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import LogGroupTypeDef

LOG_GROUP_IDENTIFIERS_MAX = 50


class LogGroupAnswer(TypedDict):
    """A log group as DescribeLogGroups answers it, in the names the log group kind reads."""

    Name: str
    Arn: str
    RetentionInDays: int | None
    logGroupClass: str  # STANDARD | INFREQUENT_ACCESS (fixed when the group is created)


class LogsApi:
    def __init__(self, client: CloudWatchLogsClient) -> None:
        self._client = client

    def describe_log_groups(self, names: list[str]) -> dict[str, LogGroupAnswer]:
        """Name -> {Name, Arn, RetentionInDays, logGroupClass} of those of `names` that exist: 50 names per
        DescribeLogGroups call (`logGroupIdentifiers`), instead of one call per group.
        https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html"""
        found: dict[str, LogGroupAnswer] = {}
        for start in range(0, len(names), LOG_GROUP_IDENTIFIERS_MAX):
            chunk = names[start : start + LOG_GROUP_IDENTIFIERS_MAX]
            groups: list[LogGroupTypeDef] = paged(
                self._client, "describe_log_groups", f"log groups {', '.join(chunk)}", "logGroups",
                logGroupIdentifiers=chunk,
            )  # fmt: skip
            for group in groups:
                arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
                found[group["logGroupName"]] = {
                    "Name": group["logGroupName"],
                    "Arn": arn,
                    "RetentionInDays": group.get("retentionInDays"),
                    "logGroupClass": group.get("logGroupClass") or "STANDARD",
                }
        return found

    def get_tags(self, arn: str) -> dict[str, str]:
        tags = aws_call(f"log group {arn}", "ListTagsForResource", self._client.list_tags_for_resource, resourceArn=arn)
        return dict(tags.get("tags", {}))

    def create_log_group(self, name: str, *, tags: Mapping[str, str], log_group_class: str | None = None) -> None:
        """`CreateLogGroup`; `log_group_class` (STANDARD, INFREQUENT_ACCESS) is fixed at creation.
        https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html"""
        kwargs: dict[str, object] = {"logGroupName": name, "tags": dict(tags)}
        if log_group_class:
            kwargs["logGroupClass"] = log_group_class
        aws_call(f"log group {name}", "CreateLogGroup", self._client.create_log_group, **kwargs)

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
