"""EventBridge Scheduler: a schedule group per service and stage (tagged: schedules cannot be), its schedules.

https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Operations.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TypedDict

from fnship.aws.calls import aws_call, call_or_none, paged_or_none, tag_list

if TYPE_CHECKING:  # AWS's answers and requests as boto3-stubs types them
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient
    from mypy_boto3_scheduler.literals import ActionAfterCompletionType, ScheduleStateType
    from mypy_boto3_scheduler.type_defs import (
        FlexibleTimeWindowTypeDef,
        GetScheduleGroupOutputTypeDef,
        GetScheduleOutputTypeDef,
        ScheduleSummaryTypeDef,
        TargetTypeDef,
        TimestampTypeDef,
    )

    class ScheduleGroup(GetScheduleGroupOutputTypeDef):
        """GetScheduleGroup's answer with the group's tags (for mypy only: it is the answer as a dict)."""

        Tags: dict[str, str]


class _ScheduleRequired(TypedDict):
    ScheduleExpression: str
    FlexibleTimeWindow: FlexibleTimeWindowTypeDef
    Target: TargetTypeDef


class ScheduleDefinition(_ScheduleRequired, total=False):
    """A schedule's whole definition as CreateSchedule and UpdateSchedule take it, but its name and group."""

    ScheduleExpressionTimezone: str
    State: ScheduleStateType
    Description: str
    StartDate: TimestampTypeDef
    EndDate: TimestampTypeDef
    KmsKeyArn: str
    ActionAfterCompletion: ActionAfterCompletionType


class SchedulerApi:
    def __init__(self, client: EventBridgeSchedulerClient) -> None:
        self._client = client

    # -- groups -------------------------------------------------------------------------------------------------
    def get_group_or_none(self, name: str) -> ScheduleGroup | None:
        """GetScheduleGroup with the group's tags (`Tags`, a mapping), or None when it does not exist."""
        found = call_or_none(f"schedule group {name}", "GetScheduleGroup", self._client.get_schedule_group, Name=name)
        if found is None:
            return None
        tags = aws_call(
            f"schedule group {name}",
            "ListTagsForResource",
            self._client.list_tags_for_resource,
            ResourceArn=found["Arn"],
        )
        return {**found, "Tags": {t["Key"]: t["Value"] for t in tags.get("Tags") or []}}

    def create_group(self, name: str, *, tags: Mapping[str, str]) -> str:
        created = aws_call(
            f"schedule group {name}",
            "CreateScheduleGroup",
            self._client.create_schedule_group,
            Name=name,
            Tags=tag_list(tags),
        )
        return str(created["ScheduleGroupArn"])

    def set_tags(self, arn: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        if remove:
            aws_call(arn, "UntagResource", self._client.untag_resource, ResourceArn=arn, TagKeys=list(remove))
        if add:
            aws_call(arn, "TagResource", self._client.tag_resource, ResourceArn=arn, Tags=tag_list(add))

    def delete_group(self, name: str) -> None:
        """Deletes the group and every schedule in it (Scheduler deletes them with the group)."""
        call_or_none(f"schedule group {name}", "DeleteScheduleGroup", self._client.delete_schedule_group, Name=name)

    # -- schedules ----------------------------------------------------------------------------------------------
    def list_schedule_names(self, group: str) -> list[str] | None:
        """The names of the group's schedules; None when the group does not exist."""
        found: list[ScheduleSummaryTypeDef] | None = paged_or_none(
            self._client, "list_schedules", f"schedule group {group}", "Schedules", GroupName=group
        )
        return None if found is None else sorted(str(item["Name"]) for item in found)

    def get_schedule_or_none(self, name: str, *, group: str) -> GetScheduleOutputTypeDef | None:
        return call_or_none(
            f"schedule {group}/{name}", "GetSchedule", self._client.get_schedule, Name=name, GroupName=group
        )

    def create_schedule(self, name: str, *, group: str, settings: ScheduleDefinition) -> str:
        created = aws_call(
            f"schedule {group}/{name}",
            "CreateSchedule",
            self._client.create_schedule,
            Name=name,
            GroupName=group,
            **settings,
        )
        return str(created["ScheduleArn"])

    def update_schedule(self, name: str, *, group: str, settings: ScheduleDefinition) -> None:
        """UpdateSchedule replaces the whole definition: `settings` is all of it, not a difference."""
        aws_call(
            f"schedule {group}/{name}",
            "UpdateSchedule",
            self._client.update_schedule,
            Name=name,
            GroupName=group,
            **settings,
        )

    def delete_schedule(self, name: str, *, group: str) -> None:
        call_or_none(
            f"schedule {group}/{name}", "DeleteSchedule", self._client.delete_schedule, Name=name, GroupName=group
        )
