"""`schedule` events with `method: scheduler` (Serverless v4): an EventBridge Scheduler schedule per expression,
in one schedule group per service and stage, invoking the alias with a role Scheduler assumes (one per function,
allowed to invoke that alias only, and to send to the schedules' dead-letter queues). Parse, render, sample event
in one place. Pure.

A `schedule` without `method` (or `method: eventBus`) stays an EventBridge rule (fnship/triggers/rules.py).
https://docs.aws.amazon.com/scheduler/latest/UserGuide/what-is-scheduler.html
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from fnship.kinds.role import Role
from fnship.kinds.scheduler import (
    DEFAULT_EVENT_AGE_S,
    DEFAULT_RETRY_ATTEMPTS,
    DEFAULT_TIMEZONE,
    Schedule,
    ScheduleGroup,
    ScheduleTarget,
    iso_utc,
)
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import EventContext, json_value, text_of, want_arn, want_bounded
from fnship.manifest.schedule import check_scheduler_expression
from fnship.manifest.types import EventSettings, EventSpec, KeyPath, Value
from fnship.model import iam, names
from fnship.model.address import Address
from fnship.model.resources import OWNER_FUNCTION_TAG, ROLE_PURPOSE_TAG, Resource
from fnship.model.triggers.common import INVOKE, Target, trigger_address
from fnship.triggers.base import Shared, TriggerType

RETRY_KEYS = frozenset({"maximumRetryAttempts", "maximumEventAge"})
# https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html and API_RetryPolicy.html
SCHEDULE_NAME = re.compile(r"^[0-9a-zA-Z\-_.]{1,64}$")
NAME_BASE_MAX = 60  # room for the `-2`, `-3` of a schedule with several expressions
DESCRIPTION_MAX = 512
FLEXIBLE_WINDOW_MIN = (1, 1440)
RETRY_ATTEMPTS = (0, 185)
EVENT_AGE_S = (60, 86400)
SCHEDULER = "scheduler.amazonaws.com"
DOCS = "https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule.html"


@dataclass(frozen=True)
class SchedulerEvent(EventSettings):
    """One schedule expression of a `schedule` event with `method: scheduler`, Scheduler's defaults filled in."""

    EVENT_TYPE: ClassVar[str] = "scheduler"  # the trigger type it renders as (see manifest/events parse_events)
    base_name: str  # the schedule's name (given, or `<function>-schedule`): the trigger's name
    expression: str
    timezone: str
    state: str
    description: str
    input: str | None
    flexible_window: int | None
    start_date: str | None
    end_date: str | None
    maximum_retry_attempts: int
    maximum_event_age: int
    dead_letter_arn: str | None
    role_arn: str | None  # the user's role; None: fnship makes one


def _date(raw: Mapping[str, Value], key: str, path: KeyPath, check: Checker) -> str | None:
    """An ISO 8601 date and time (a time zone offset or `Z`; none means UTC), as UTC."""
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, (dt.datetime, dt.date)):  # YAML reads an unquoted timestamp as one
        value = value.isoformat()
    text = check.want_str(value, (*path, key))
    if text is None:
        return None
    try:
        return iso_utc(text)
    except ValueError:
        check.error((*path, key), f"{show(text)} is not an ISO 8601 date and time", "e.g. 2026-06-01T09:00:00Z")
        return None


def _timezone(raw: Mapping[str, Value], path: KeyPath, check: Checker) -> str:
    if raw.get("timezone") is None:
        return DEFAULT_TIMEZONE
    text = check.want_str(raw["timezone"], (*path, "timezone"))
    if text is None:
        return DEFAULT_TIMEZONE
    # The IANA names (zoneinfo's, from the tzdata package where the system has none); Scheduler takes the same.
    if text not in zoneinfo.available_timezones():
        check.error(
            (*path, "timezone"),
            f"{show(text)} is not an IANA time zone",
            "e.g. America/New_York, Europe/Paris, UTC: https://www.iana.org/time-zones",
        )
        return DEFAULT_TIMEZONE
    return text


def _state(raw: Mapping[str, Value], path: KeyPath, check: Checker) -> str:
    """`state: ENABLED|DISABLED`, or Serverless's `enabled: true|false` (not both)."""
    if raw.get("state") is not None and raw.get("enabled") is not None:
        check.error((*path, "state"), "give either state or enabled, not both", at_key=True)
    if raw.get("state") is not None:
        return check.want_choice(raw["state"], (*path, "state"), ("ENABLED", "DISABLED"), what="a state") or "ENABLED"
    if raw.get("enabled") is not None:
        return "DISABLED" if check.want_bool(raw["enabled"], (*path, "enabled")) is False else "ENABLED"
    return "ENABLED"


def _retry(raw: Mapping[str, Value], path: KeyPath, check: Checker) -> tuple[int, int]:
    if raw.get("retryPolicy") is None:
        return DEFAULT_RETRY_ATTEMPTS, DEFAULT_EVENT_AGE_S
    where = (*path, "retryPolicy")
    found = check.want_mapping(raw["retryPolicy"], where, what="a mapping (maximumRetryAttempts, maximumEventAge)")
    if found is None:
        return DEFAULT_RETRY_ATTEMPTS, DEFAULT_EVENT_AGE_S
    check.keys(found, where, RETRY_KEYS)
    attempts, age = DEFAULT_RETRY_ATTEMPTS, DEFAULT_EVENT_AGE_S
    if found.get("maximumRetryAttempts") is not None:
        attempts = want_bounded(found["maximumRetryAttempts"], (*where, "maximumRetryAttempts"), check,
                                RETRY_ATTEMPTS) or 0  # fmt: skip
    if found.get("maximumEventAge") is not None:
        given = want_bounded(found["maximumEventAge"], (*where, "maximumEventAge"), check, EVENT_AGE_S, unit="seconds")
        age = DEFAULT_EVENT_AGE_S if given is None else given
    return attempts, age


def _window(raw: Mapping[str, Value], path: KeyPath, check: Checker) -> int | None:
    """`flexibleTimeWindow`: the minutes Scheduler may start the invocation within (1-1440), `0`/`off` for none."""
    value = raw.get("flexibleTimeWindow")
    if value is None or value is False or value == 0 or (isinstance(value, str) and value.upper() == "OFF"):
        return None
    return want_bounded(value, (*path, "flexibleTimeWindow"), check, FLEXIBLE_WINDOW_MIN, unit="minutes")


def parse_scheduler(
    raw: Mapping[str, Value], expressions: list[tuple[str, KeyPath]], path: KeyPath, ctx: EventContext
) -> list[SchedulerEvent]:
    """A `schedule` event with `method: scheduler` (its keys already checked by the schedule parser)."""
    check = ctx.check
    good: list[str] = []
    for text, where in expressions:
        problem = check_scheduler_expression(text)
        if problem:
            check.error(where, f"{show(text)} is not a valid schedule expression: {problem}", DOCS)
        else:
            good.append(text)
    if raw.get("inputPath") is not None:
        check.error(
            (*path, "inputPath"),
            "inputPath is not supported with method: scheduler (Scheduler sends the input as written)",
            "use input, or drop method: scheduler for an EventBridge rule",
            at_key=True,
        )
    name = text_of(raw, "name", path, check)
    if name is not None and not SCHEDULE_NAME.match(name):
        check.error((*path, "name"), f"{show(name)} is not a schedule name: 1-64 letters, digits, '.', '-' or '_'")
        name = None
    if name and len(expressions) > 1:
        check.error((*path, "name"), "a name cannot be given to a schedule with several rates", at_key=True)
    description = text_of(raw, "description", path, check) or ""
    if len(description) > DESCRIPTION_MAX:
        check.error((*path, "description"), f"is {len(description)} characters; Scheduler allows {DESCRIPTION_MAX}")
    payload = None
    if isinstance(raw.get("input"), (dict, list)):
        payload = json_value(raw["input"], (*path, "input"), check)
    elif raw.get("input") is not None:
        payload = check.want_str(raw["input"], (*path, "input"))
    start, end = _date(raw, "startDate", path, check), _date(raw, "endDate", path, check)
    if start and end and end <= start:
        check.error((*path, "endDate"), f"{end} is not after the startDate {start}")
    if (start or end) and any(text.startswith("at(") for text in good):
        check.error(
            (*path, "startDate" if start else "endDate"),
            "a one-time at() schedule has no start or end date (Scheduler ignores them)",
            DOCS,
            at_key=True,
        )
    dead_letter = None
    if raw.get("deadLetterQueueArn") is not None:
        dead_letter = want_arn(raw["deadLetterQueueArn"], (*path, "deadLetterQueueArn"), check, services=("sqs",),
                               what="SQS queue")  # fmt: skip
    role = None
    if raw.get("roleArn") is not None:
        role = want_arn(raw["roleArn"], (*path, "roleArn"), check, services=("iam",), what="IAM role")
    attempts, age = _retry(raw, path, check)
    first = SchedulerEvent(
        base_name=name or names.shorten(f"{ctx.function_key}-schedule", NAME_BASE_MAX),
        expression="",
        timezone=_timezone(raw, path, check),
        state=_state(raw, path, check),
        description=description,
        input=payload,
        flexible_window=_window(raw, path, check),
        start_date=start,
        end_date=end,
        maximum_retry_attempts=attempts,
        maximum_event_age=age,
        dead_letter_arn=dead_letter,
        role_arn=role,
    )
    return [dataclasses.replace(first, expression=text) for text in good]


def name(event: EventSpec) -> str:
    """The schedule's own name: unique in the service's group (the function's key in it unless given)."""
    return str(event.settings_as(SchedulerEvent).base_name)


def role_arn(target: Target) -> str:
    """The role fnship makes for Scheduler to invoke `target`'s alias."""
    role_name = names.scheduler_role_name(
        service=target.service, stage=target.stage, function_key=target.function_key, region=target.region
    )
    path = names.role_path(service=target.service, stage=target.stage)
    return names.role_arn(account_id=target.account_id, path=path, name=role_name, region=target.region)


def render(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(SchedulerEvent)
    spec = Schedule(
        group=names.schedule_group_name(service=target.service, stage=target.stage),
        expression=s.expression,
        timezone=s.timezone,
        state=s.state,
        description=s.description,
        flexible_window=s.flexible_window,
        start_date=s.start_date,
        end_date=s.end_date,
        target=ScheduleTarget(
            arn=target.alias_arn,
            role_arn=s.role_arn or role_arn(target),
            input=s.input,
            maximum_retry_attempts=s.maximum_retry_attempts,
            maximum_event_age=s.maximum_event_age,
            dead_letter_arn=s.dead_letter_arn,
        ),
    )
    depends = [Address.schedule_group(), target.alias_address]
    if s.role_arn is None:
        depends.append(Address.scheduler_role(target.function_key))
    return [
        Resource.of(
            trigger_address(target, "scheduler", name),
            name,
            spec,
            depends_on=depends,
            scope=target.scope("scheduler", name),
        )
    ]


def shared(events: list[tuple[Target, EventSpec]], rendered: list[Resource], context: Shared) -> list[Resource]:
    """The service's schedule group, and per function whose schedules name no role of their own, the role
    Scheduler assumes: trusted by scheduler.amazonaws.com from this account only (the confused deputy guard),
    allowed to invoke the function's alias and to send to its schedules' dead-letter queues, nothing else.
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role"""
    group = Resource.of(
        Address.schedule_group(),
        names.schedule_group_name(service=context.service, stage=context.stage),
        ScheduleGroup(tags=dict(context.tags)),
    )
    by_function: dict[str, tuple[Target, list[SchedulerEvent]]] = {}
    for target, event in events:
        schedule = event.settings_as(SchedulerEvent)
        if schedule.role_arn is None:
            by_function.setdefault(target.function_key, (target, []))[1].append(schedule)
    roles = []
    for key, (target, settings) in by_function.items():
        grants: list[iam.Grant] = [((INVOKE,), target.alias_arn)]
        grants += [iam.send_grant(s.dead_letter_arn) for s in settings if s.dead_letter_arn]
        trust: iam.Policy = {
            "Effect": "Allow",
            "Principal": {"Service": SCHEDULER},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": target.account_id}},
        }
        roles.append(
            Resource.of(
                Address.scheduler_role(key),
                names.scheduler_role_name(
                    service=target.service, stage=target.stage, function_key=key, region=target.region
                ),
                Role(
                    path=names.role_path(service=target.service, stage=target.stage),
                    trust_policy=iam.policy_document([trust]),
                    inline_policy=iam.policy_document(iam.merge_grants(grants)),
                    managed_policies=(),
                    permissions_boundary=context.permissions_boundary,
                    tags={**context.tags, OWNER_FUNCTION_TAG: key, ROLE_PURPOSE_TAG: "scheduler"},
                ),
            )
        )
    return [group, *roles]


TRIGGER = TriggerType(
    parse=None,  # written as `schedule:` with `method: scheduler` (fnship/triggers/rules.py hands it here)
    name=name,
    render=render,
    shared=shared,
    kinds=("schedule_group", "schedule", "role"),
)
