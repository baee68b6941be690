"""The `event_invoke_config` kind: asynchronous invocation settings on the alias (retries, age, destinations)."""

from __future__ import annotations

from fnship.kinds.base import Context, Kind, function_scoped
from fnship.plan.diff import Step


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


KIND = Kind(
    name="event_invoke_config",
    handlers={
        "event_invoke_config.create": event_invoke_config_put,
        "event_invoke_config.update": event_invoke_config_put,
        "event_invoke_config.delete": event_invoke_config_delete,
    },
    depends=function_scoped,
)
