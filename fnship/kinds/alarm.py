"""The `alarm` kind: a per-version errors alarm a killed shift left behind. Only ever deleted (a shift creates and
deletes its own); it carries the service's tags, so discovery finds it."""

from __future__ import annotations

from fnship.errors import AwsError
from fnship.kinds.base import Context, Kind
from fnship.plan.diff import Step


def alarm_delete(context: Context, step: Step) -> None:
    try:
        context.aws.cloudwatch.delete_alarms([context.live(step).name])
    except AwsError as exc:
        # A shift of the same alias earlier in this apply removes it too (shifter.remove_left_over_alarms), and
        # DeleteAlarms answers ResourceNotFound for a name that is gone:
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html
        if exc.code != "ResourceNotFound":
            raise


KIND = Kind(name="alarm", handlers={"alarm.delete": alarm_delete})
