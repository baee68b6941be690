"""The `event_invoke_config` kind: asynchronous invocation settings on the alias (retries, age, destinations)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from fnship.kinds.base import Context, Kind, function_scoped
from fnship.model.address import Address
from fnship.model.resources import Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, Reads

if TYPE_CHECKING:
    from fnship.aws.lambda_api import EventInvokeConfigAnswer

# Lambda's defaults for asynchronous invocation, filled in so an unset value compares equal to AWS's answer.
# https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
ASYNC_DEFAULT_RETRIES = 2
ASYNC_DEFAULT_EVENT_AGE_S = 21600


@dataclass(frozen=True, kw_only=True)
class EventInvokeConfig(Spec):
    kind: ClassVar[str] = "event_invoke_config"
    maximum_retry_attempts: int
    maximum_event_age: int
    on_success: str | None  # destination ARNs
    on_failure: str | None


def from_aws(found: EventInvokeConfigAnswer) -> EventInvokeConfig:
    """GetFunctionEventInvokeConfig's answer as the spec, with Lambda's defaults filled in."""
    destinations = found.get("DestinationConfig") or {}
    return EventInvokeConfig(
        maximum_retry_attempts=found.get("MaximumRetryAttempts", ASYNC_DEFAULT_RETRIES),
        maximum_event_age=found.get("MaximumEventAgeInSeconds") or ASYNC_DEFAULT_EVENT_AGE_S,
        on_success=(destinations.get("OnSuccess") or {}).get("Destination"),
        on_failure=(destinations.get("OnFailure") or {}).get("Destination"),
    )


def event_invoke_config_put(context: Context, step: Step) -> None:
    """PutFunctionEventInvokeConfig replaces the whole configuration: one call for create and update."""
    resource = context.desired_at(step.address)
    spec, scope = resource.spec_as(EventInvokeConfig), resource.in_scope()
    destinations = {}
    for key, destination in (("OnSuccess", spec.on_success), ("OnFailure", spec.on_failure)):
        if destination:
            destinations[key] = {"Destination": destination}
    context.aws.lambda_.put_event_invoke_config(
        scope.function_name,
        qualifier=scope.alias,
        config={
            "MaximumRetryAttempts": spec.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": spec.maximum_event_age,
            "DestinationConfig": destinations,
        },
    )


def event_invoke_config_delete(context: Context, step: Step) -> None:
    scope = context.live_at(step.address).in_scope()
    context.aws.lambda_.delete_event_invoke_config(scope.function_name, qualifier=scope.alias)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_event_invoke_config(aws: Reads, stub: Resource) -> list[Resource]:
    scope = stub.in_scope()
    found = aws.alias_invoke_config(scope.function_name, scope.alias)
    if found is None:
        return []
    return [Resource.of(stub.address, stub.name, from_aws(found), scope=scope)]


def discover_event_invoke_config(aws: Reads, on: OnAlias) -> list[Resource]:
    if aws.alias_invoke_config(on.function_name, on.alias) is None:
        return []
    address = Address.invoke_config(on.function_key)
    return [Resource(address, "event_invoke_config", on.alias, scope=on.target.scope())]


KIND = Kind(
    name="event_invoke_config",
    handlers={
        "event_invoke_config.create": event_invoke_config_put,
        "event_invoke_config.update": event_invoke_config_put,
        "event_invoke_config.delete": event_invoke_config_delete,
    },
    depends=function_scoped,
    read=read_event_invoke_config,
    discover_on_alias=discover_event_invoke_config,
    hangs_on_function=True,
    from_record=True,
)
