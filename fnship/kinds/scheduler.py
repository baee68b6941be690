"""The EventBridge Scheduler kinds (`schedule` events with `method: scheduler`): `schedule_group`, one per service
and stage, and `schedule`, one per event, invoking the alias with a role Scheduler assumes.

Schedules cannot be tagged, so the group is what marks them as ours: it carries the ownership tags, and
discovery lists the schedules in it. Deleting the group deletes its schedules (they get no step of their own).
UpdateSchedule replaces a schedule's whole definition, so an update sends all of it.
https://docs.aws.amazon.com/scheduler/latest/APIReference/API_UpdateSchedule.html
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Final

from fnship.kinds.base import Context, Kind, known, reading_owner, tag_delta
from fnship.kinds.function import unqualified_arn
from fnship.model import names
from fnship.model.address import Address
from fnship.model.resources import OWNER_FUNCTION_TAG, FunctionScope, Resource, Spec
from fnship.plan.diff import FieldChange, Step, generic_fields
from fnship.plan.reads import owned

if TYPE_CHECKING:
    from mypy_boto3_scheduler.type_defs import FlexibleTimeWindowTypeDef, TargetTypeDef
    from mypy_boto3_scheduler.type_defs import GetScheduleOutputTypeDef as ScheduleAnswer

    from fnship.aws.scheduler_api import ScheduleDefinition
    from fnship.aws.scheduler_api import ScheduleGroup as GroupAnswer
    from fnship.plan.reads import Reads

# What Scheduler fills in when a schedule leaves them out: retries for a day, 185 times; times in UTC.
# https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html
DEFAULT_RETRY_ATTEMPTS = 185
DEFAULT_EVENT_AGE_S = 86400
DEFAULT_TIMEZONE = "UTC"
# A one-time at() schedule stays after it fires (Scheduler's NONE): deleting itself would make the next deploy
# create it again. https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html
ACTION_AFTER_COMPLETION: Final = "NONE"


@dataclass(frozen=True, kw_only=True)
class ScheduleGroup(Spec):
    """The service's and stage's schedule group (its name is the resource's name): what its tags say is ours."""

    kind: ClassVar[str] = "schedule_group"
    tags: Mapping[str, str]
    arn: str | None = field(default=None, compare=False)  # assigned by Scheduler: live only


@dataclass(frozen=True)
class ScheduleTarget:
    """The schedule's target: the alias, invoked with `role_arn`, retried as the retry policy says, failed
    invocations sent to the dead-letter queue."""

    arn: str
    role_arn: str | None  # None while the role fnship makes is not known (never: the model names it)
    input: str | None
    maximum_retry_attempts: int
    maximum_event_age: int
    dead_letter_arn: str | None


@dataclass(frozen=True, kw_only=True)
class Schedule(Spec):
    """One schedule (its name is the resource's name) in the service's group, with Scheduler's defaults filled."""

    kind: ClassVar[str] = "schedule"
    group: str
    expression: str  # rate(), cron() or at()
    timezone: str
    state: str  # ENABLED | DISABLED
    description: str
    flexible_window: int | None  # minutes; None: the flexible time window is OFF
    start_date: str | None  # ISO 8601 in UTC (`2026-01-01T00:00:00Z`)
    end_date: str | None
    target: ScheduleTarget
    arn: str | None = field(default=None, compare=False)


def iso_utc(value: dt.datetime | str | float | None) -> str | None:
    """A date Scheduler answers (a datetime) or the manifest gives, as `YYYY-MM-DDTHH:MM:SSZ`."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif isinstance(value, (int, float)):
        value = dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule_from_aws(found: ScheduleAnswer) -> Schedule:
    """GetSchedule's answer as the spec."""
    target = found.get("Target") or {}
    retry = target.get("RetryPolicy") or {}
    window = found.get("FlexibleTimeWindow") or {}
    return Schedule(
        group=found.get("GroupName") or "default",
        expression=found["ScheduleExpression"],
        timezone=found.get("ScheduleExpressionTimezone") or DEFAULT_TIMEZONE,
        state=found.get("State") or "ENABLED",
        description=found.get("Description") or "",
        flexible_window=window.get("MaximumWindowInMinutes") if window.get("Mode") == "FLEXIBLE" else None,
        start_date=iso_utc(found.get("StartDate")),
        end_date=iso_utc(found.get("EndDate")),
        target=ScheduleTarget(
            arn=target.get("Arn", ""),
            role_arn=target.get("RoleArn"),
            input=target.get("Input"),
            maximum_retry_attempts=retry.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS),
            maximum_event_age=retry.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE_S),
            dead_letter_arn=(target.get("DeadLetterConfig") or {}).get("Arn"),
        ),
        arn=found.get("Arn"),
    )


def started(date: str | None, now: dt.datetime) -> bool:
    """A start date already past: Scheduler refuses one more than 5 minutes old, and it no longer holds anything
    back, so it is not sent again."""
    return date is not None and dt.datetime.fromisoformat(date.replace("Z", "+00:00")) <= now


def schedule_request(spec: Schedule, *, now: dt.datetime) -> ScheduleDefinition:
    """The spec as Create/UpdateSchedule want it: the whole definition (an update replaces it)."""
    target = spec.target
    request_target: TargetTypeDef = {
        "Arn": target.arn,
        "RoleArn": known(target.role_arn, "the schedule's role"),
        "RetryPolicy": {
            "MaximumRetryAttempts": target.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": target.maximum_event_age,
        },
    }
    if target.input is not None:
        request_target["Input"] = target.input
    if target.dead_letter_arn:
        request_target["DeadLetterConfig"] = {"Arn": target.dead_letter_arn}
    window: FlexibleTimeWindowTypeDef = (
        {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": spec.flexible_window}
        if spec.flexible_window
        else {"Mode": "OFF"}
    )
    request: ScheduleDefinition = {
        "ScheduleExpression": spec.expression,
        "ScheduleExpressionTimezone": spec.timezone,
        "State": "DISABLED" if spec.state == "DISABLED" else "ENABLED",
        "Description": spec.description,
        "FlexibleTimeWindow": window,
        "Target": request_target,
        "ActionAfterCompletion": ACTION_AFTER_COMPLETION,
    }
    if spec.start_date and not started(spec.start_date, now):
        request["StartDate"] = dt.datetime.fromisoformat(spec.start_date.replace("Z", "+00:00"))
    if spec.end_date:
        request["EndDate"] = dt.datetime.fromisoformat(spec.end_date.replace("Z", "+00:00"))
    return request


def schedule_fields(desired: Resource | None, live: Resource | None) -> list[FieldChange]:
    """Every field, but a start date that has passed and that the live schedule no longer carries (an update
    after it passed does not send it, see `started`) is no change."""
    changes = generic_fields(desired, live)
    now = dt.datetime.now(dt.timezone.utc)
    return [
        c
        for c in changes
        if not (c.path == "start_date" and c.before is None and isinstance(c.after, str) and started(c.after, now))
    ]


def schedule_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(Schedule)
    request = schedule_request(spec, now=dt.datetime.now(dt.timezone.utc))
    arn = context.aws.scheduler.create_schedule(resource.name, group=spec.group, settings=request)
    context.outputs[step.address] = {"arn": arn}


def schedule_update(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(Schedule)
    request = schedule_request(spec, now=dt.datetime.now(dt.timezone.utc))
    context.aws.scheduler.update_schedule(resource.name, group=spec.group, settings=request)


def schedule_delete(context: Context, step: Step) -> None:
    live = context.live_at(step.address)
    context.aws.scheduler.delete_schedule(live.name, group=live.spec_as(Schedule).group)


def schedule_depends(resource: Resource) -> tuple[str, ...]:
    """Its group, the role Scheduler assumes (when fnship makes it) and the alias it invokes."""
    scope = resource.in_scope()
    return (
        Address.schedule_group(),
        Address.scheduler_role(scope.function_key),
        Address.alias(scope.function_key, scope.alias),
    )


def group_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    arn = context.aws.scheduler.create_group(resource.name, tags=resource.spec_as(ScheduleGroup).tags)
    context.outputs[step.address] = {"arn": arn}


def group_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, ScheduleGroup), context.live_spec(step, ScheduleGroup)
    add, remove = tag_delta(live.tags, spec.tags)
    context.aws.scheduler.set_tags(known(live.arn, f"the ARN of {step.address}"), add=add, remove=remove)


def group_delete(context: Context, step: Step) -> None:
    context.aws.scheduler.delete_group(context.live_at(step.address).name)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def service_group(aws: Reads) -> GroupAnswer | None:
    """The reading's service's schedule group, if it exists and carries the service's tags (one read)."""
    service, stage = owner = reading_owner(aws)
    name = names.schedule_group_name(service=service, stage=stage)
    found = aws.once(("schedule_group", name), lambda: aws.scheduler.get_group_or_none(name))
    return found if found is not None and owned(found["Tags"], owner) else None


def read_group(aws: Reads, stub: Resource) -> list[Resource]:
    found = service_group(aws)
    if found is None or found["Name"] != stub.name:
        return []
    return [Resource.of(Address.schedule_group(), stub.name, ScheduleGroup(tags=found["Tags"], arn=found["Arn"]))]


def discover_group(aws: Reads) -> list[Resource]:
    found = service_group(aws)
    return [Resource(Address.schedule_group(), "schedule_group", found["Name"])] if found else []


def read_once(aws: Reads, name: str, *, group: str) -> ScheduleAnswer | None:
    """GetSchedule, asked once per reading (discovery and the reader both want it)."""
    return aws.once(("schedule", group, name), lambda: aws.scheduler.get_schedule_or_none(name, group=group))


def read_schedule(aws: Reads, stub: Resource) -> list[Resource]:
    service, stage = reading_owner(aws)
    found = read_once(aws, stub.name, group=names.schedule_group_name(service=service, stage=stage))
    if found is None:
        return []
    return [Resource.of(stub.address, stub.name, schedule_from_aws(found), scope=stub.scope)]


def discover_schedules(aws: Reads) -> list[Resource]:
    """The schedules in the service's group; each one's target (an alias ARN) names its function, whose function
    tag (the tagging answer) gives its address."""
    group = service_group(aws)
    if group is None:
        return []
    keys = {
        unqualified_arn(arn): tags.get(OWNER_FUNCTION_TAG) for arn, tags in aws.tagged().items() if ":function:" in arn
    }
    stubs = []
    for name in aws.scheduler.list_schedule_names(group["Name"]) or []:
        found = read_once(aws, name, group=group["Name"])
        if found is None:
            continue
        target = str((found.get("Target") or {}).get("Arn") or "")
        function_name = target.partition(":function:")[2].split(":")[0]
        alias = target.partition(":function:")[2].partition(":")[2]
        key = keys.get(unqualified_arn(target)) if ":function:" in target else None
        key = key or function_name or "_"
        scope = FunctionScope(key, function_name, alias, target, "scheduler", name)
        stubs.append(Resource(Address.trigger(key, "scheduler", name), "schedule", name, scope=scope))
    return stubs


GROUP_KIND = Kind(
    name="schedule_group",
    handlers={
        "schedule_group.create": group_create,
        "schedule_group.update": group_update,
        "schedule_group.delete": group_delete,
    },
    read=read_group,
    discover=discover_group,
)
SCHEDULE_KIND = Kind(
    name="schedule",
    handlers={
        "schedule.create": schedule_create,
        "schedule.update": schedule_update,
        "schedule.delete": schedule_delete,
    },
    diff=schedule_fields,
    replace_on=frozenset({"group"}),
    depends=schedule_depends,
    parent=lambda _resource: Address.schedule_group(),
    read=read_schedule,
    discover=discover_schedules,
)
