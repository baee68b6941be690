"""Deleting the per-version errors alarm a killed shift left: moto deletes a missing alarm silently, AWS answers
ResourceNotFound (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html), so the
handler is tested with a recording double of fnship's own CloudWatch adapter."""

from __future__ import annotations

import pytest

from fnship.errors import AwsError
from fnship.kinds.alarm import Alarm, alarm_delete
from fnship.model.resources import Resource
from fnship.plan.diff import Step
from tests.kinds.test_trigger_handlers import Recorder, context_for

ALARM = Resource.of("alarm.fnship-svc-dev-api-live-v2-errors", "fnship-svc-dev-api-live-v2-errors", Alarm(state="OK"))


def _failure(code: str) -> AwsError:
    return AwsError(resource="alarms", action="DeleteAlarms", code=code, detail="refused")


def test_an_alarm_already_deleted_by_a_shift_is_done():
    cloudwatch = Recorder(fail={"delete_alarms": [_failure("ResourceNotFound")]})
    alarm_delete(context_for(None, ALARM, cloudwatch=cloudwatch), Step("alarm.delete", ALARM.address))
    assert cloudwatch.calls == [("delete_alarms", ([ALARM.name],), {})]


def test_any_other_failure_stops_the_apply():
    cloudwatch = Recorder(fail={"delete_alarms": [_failure("AccessDenied")]})
    with pytest.raises(AwsError):
        alarm_delete(context_for(None, ALARM, cloudwatch=cloudwatch), Step("alarm.delete", ALARM.address))
