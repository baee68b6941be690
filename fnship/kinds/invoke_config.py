"""The `event_invoke_config` kind: asynchronous invocation settings on the alias (retries, age, destinations)."""

from __future__ import annotations

from typing import Any

from fnship.kinds.base import Context, Kind, function_scoped
from fnship.model.address import Address
from fnship.model.build import ASYNC_DEFAULT_EVENT_AGE_S, ASYNC_DEFAULT_RETRIES
from fnship.model.resources import Resource
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias


def event_invoke_config_put(context: Context, step: Step) -> None:
    """PutFunctionEventInvokeConfig replaces the whole configuration: one call for create and update."""
    resource = context.desired(step)
    attrs = resource.attrs
    destinations = {}
    for key, field in (("OnSuccess", "on_success"), ("OnFailure", "on_failure")):
        if attrs[field]:
            destinations[key] = {"Destination": attrs[field]}
    context.aws.lambda_.put_event_invoke_config(
        resource.extras["function_name"],
        qualifier=resource.extras["qualifier"],
        config={
            "MaximumRetryAttempts": attrs["maximum_retry_attempts"],
            "MaximumEventAgeInSeconds": attrs["maximum_event_age"],
            "DestinationConfig": destinations,
        },
    )


def event_invoke_config_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    context.aws.lambda_.delete_event_invoke_config(live.extras["function_name"], qualifier=live.extras["qualifier"])


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_event_invoke_config(aws: Any, stub: Resource) -> list[Resource]:
    found = aws.alias_invoke_config(stub.extras["function_name"], stub.extras["qualifier"])
    if found is None:
        return []
    destinations = found.get("DestinationConfig") or {}
    attrs = {
        "maximum_retry_attempts": found.get("MaximumRetryAttempts", ASYNC_DEFAULT_RETRIES),
        "maximum_event_age": found.get("MaximumEventAgeInSeconds") or ASYNC_DEFAULT_EVENT_AGE_S,
        "on_success": (destinations.get("OnSuccess") or {}).get("Destination"),
        "on_failure": (destinations.get("OnFailure") or {}).get("Destination"),
    }
    return [Resource(stub.address, "event_invoke_config", stub.name, attrs, extras=stub.extras)]


def discover_event_invoke_config(aws: Any, on: OnAlias) -> list[Resource]:
    if aws.alias_invoke_config(on.function_name, on.alias) is None:
        return []
    extras = {"function_name": on.function_name, "function_key": on.function_key, "qualifier": on.alias,
              "alias_arn": on.target.alias_arn}  # fmt: skip
    return [Resource(Address.invoke_config(on.function_key), "event_invoke_config", on.alias, {}, extras=extras)]


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
)
