"""The `alarm` kind: a per-version errors alarm a killed shift left behind. Only ever deleted (a shift creates and
deletes its own); it carries the service's tags, so discovery finds it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from fnship.arns import parse_arn
from fnship.errors import AwsError
from fnship.kinds.base import Context, Kind
from fnship.model.address import Address
from fnship.model.resources import Resource, Spec
from fnship.plan.diff import Step
from fnship.strategies.shifter import ERRORS_ALARM_NAME

if TYPE_CHECKING:
    from fnship.plan.reads import Reads


@dataclass(frozen=True, kw_only=True)
class Alarm(Spec):
    """A per-version errors alarm (its name is the resource's name): never desired, so only its state is kept."""

    kind: ClassVar[str] = "alarm"
    state: str  # OK | ALARM | INSUFFICIENT_DATA


def from_aws(state: str) -> Alarm:
    """An alarm's StateValue (DescribeAlarms, through aws/cloudwatch_api.py `alarm_states`) as the spec."""
    return Alarm(state=state)


def alarm_delete(context: Context, step: Step) -> None:
    try:
        context.aws.cloudwatch.delete_alarms([context.live_at(step.address).name])
    except AwsError as exc:
        # A shift of the same alias earlier in this apply removes it too (shifter.remove_left_over_alarms), and
        # DeleteAlarms answers ResourceNotFound for a name that is gone:
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html
        if exc.code != "ResourceNotFound":
            raise


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_alarm(aws: Reads, stub: Resource) -> list[Resource]:
    state = aws.cloudwatch.alarm_states([stub.name]).get(stub.name)
    if state is None:
        return []
    return [Resource.of(stub.address, stub.name, from_aws(state))]


def discover_alarms(aws: Reads) -> list[Resource]:
    """Per-version errors alarms a killed shift left behind (a running shift deletes its own): they carry the
    service's tags."""
    stubs = []
    for arn in aws.tagged():
        parts = parse_arn(arn)
        if parts is None or parts.service != "cloudwatch" or not parts.resource.startswith("alarm:"):
            continue
        alarm = parts.resource.removeprefix("alarm:")
        if ERRORS_ALARM_NAME.fullmatch(alarm):
            stubs.append(Resource(Address.alarm(alarm), "alarm", alarm))
    return stubs


KIND = Kind(
    name="alarm",
    handlers={"alarm.delete": alarm_delete},
    read=read_alarm,
    discover=discover_alarms,
)
