"""The schedule kind's request and diff where the moto server is not EventBridge Scheduler: a start date that has
passed (Scheduler refuses one more than 5 minutes old, API_CreateSchedule.html StartDate; moto checks it only for
cron expressions) is not sent again, and then its absence is no change."""

from __future__ import annotations

import dataclasses
import datetime as dt

from fnship.kinds.scheduler import Schedule, ScheduleTarget, schedule_fields, schedule_from_aws, schedule_request
from fnship.model.resources import Resource

NOW = dt.datetime(2030, 6, 1, tzinfo=dt.timezone.utc)
SPEC = Schedule(
    group="svc-dev",
    expression="rate(1 hour)",
    timezone="UTC",
    state="ENABLED",
    description="",
    flexible_window=None,
    start_date="2030-01-01T00:00:00Z",
    end_date="2031-01-01T00:00:00Z",
    target=ScheduleTarget(
        arn="arn:aws:lambda:us-east-1:123456789012:function:f:live",
        role_arn="arn:aws:iam::123456789012:role/r",
        input=None,
        maximum_retry_attempts=185,
        maximum_event_age=86400,
        dead_letter_arn=None,
    ),
)


def test_a_start_date_in_the_future_is_sent_and_one_that_has_passed_is_not():
    future = schedule_request(SPEC, now=dt.datetime(2029, 1, 1, tzinfo=dt.timezone.utc))
    assert future["StartDate"] == dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    passed = schedule_request(SPEC, now=NOW)
    assert "StartDate" not in passed
    assert passed["EndDate"] == dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc)
    assert passed["FlexibleTimeWindow"] == {"Mode": "OFF"} and passed["ActionAfterCompletion"] == "NONE"


def test_a_passed_start_date_the_live_schedule_lost_is_no_change_but_a_new_one_is():
    def with_start(date: str | None) -> Resource:
        return Resource.of("trigger.f.scheduler.s", "s", dataclasses.replace(SPEC, start_date=date))

    lost = with_start(None)
    assert schedule_fields(with_start("2020-01-01T00:00:00Z"), lost) == []
    assert [c.path for c in schedule_fields(with_start("2999-01-01T00:00:00Z"), lost)] == ["start_date"]


def test_schedulers_answer_is_read_with_its_defaults():
    found = {
        "GroupName": "svc-dev",
        "ScheduleExpression": "at(2030-01-01T00:00:00)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "StartDate": dt.datetime(2030, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        "Target": {"Arn": "a", "RoleArn": "r"},
    }
    spec = schedule_from_aws(found)
    assert (spec.timezone, spec.state, spec.flexible_window, spec.start_date) == (
        "UTC",
        "ENABLED",
        None,
        "2030-01-01T00:00:00Z",
    )
    assert (spec.target.maximum_retry_attempts, spec.target.maximum_event_age) == (185, 86400)
