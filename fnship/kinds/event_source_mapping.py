"""The `event_source_mapping` kind (`sqs` and `stream` events): Lambda's poller reading a queue or stream into the
alias. A mapping cannot move to another source or starting position: a change to one replaces it (a stream
mapping then starts reading again from its new starting position)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fnship.kinds.base import Context, Kind, function_scoped
from fnship.model.address import Address
from fnship.plan.diff import Step

CREATE_ONLY_FIELDS = frozenset({"source_arn", "starting_position", "starting_position_timestamp"})


def mapping_request(attrs: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The model's mapping attrs as Create/UpdateEventSourceMapping want them. On update, an unset value is sent
    empty so that removing it from the manifest removes it in AWS."""
    request: dict[str, Any] = {
        "BatchSize": attrs["batch_size"],
        "MaximumBatchingWindowInSeconds": attrs["maximum_batching_window"],
        "FunctionResponseTypes": list(attrs["function_response_types"]),
        "Enabled": attrs["enabled"],
    }
    if attrs["filter_patterns"] or not creating:
        request["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in attrs["filter_patterns"]]}
    if ":sqs:" in attrs["source_arn"]:
        if attrs["maximum_concurrency"] is not None:
            request["ScalingConfig"] = {"MaximumConcurrency": attrs["maximum_concurrency"]}
        elif not creating:
            request["ScalingConfig"] = {}
        return request
    request.update(
        BisectBatchOnFunctionError=attrs["bisect_batch_on_function_error"],
        MaximumRetryAttempts=attrs["maximum_retry_attempts"],
        MaximumRecordAgeInSeconds=attrs["maximum_record_age"],
        ParallelizationFactor=attrs["parallelization_factor"],
    )
    if attrs["tumbling_window"] is not None:
        request["TumblingWindowInSeconds"] = attrs["tumbling_window"]
    if attrs["on_failure"]:
        request["DestinationConfig"] = {"OnFailure": {"Destination": attrs["on_failure"]}}
    elif not creating:
        request["DestinationConfig"] = {"OnFailure": {}}
    if creating:
        request["StartingPosition"] = attrs["starting_position"]
        if attrs["starting_position_timestamp"] is not None:
            request["StartingPositionTimestamp"] = attrs["starting_position_timestamp"]
    return request


def event_source_mapping_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    request = {
        "FunctionName": resource.attrs["function_arn"],
        "EventSourceArn": resource.attrs["source_arn"],
        **mapping_request(resource.attrs, creating=True),
    }
    created = context.aws.lambda_.create_event_source_mapping(request)
    context.outputs[step.address] = {"uuid": created.get("UUID")}


def event_source_mapping_update(context: Context, step: Step) -> None:
    """What changes in place; a mapping moved to another alias (deployment.alias renamed) keeps its place in
    the stream."""
    resource, live = context.desired(step), context.live(step)
    request = mapping_request(resource.attrs, creating=False)
    if resource.attrs["function_arn"] != live.attrs.get("function_arn"):
        request["FunctionName"] = resource.attrs["function_arn"]
    context.aws.lambda_.update_event_source_mapping(live.extras["uuid"], request)


def event_source_mapping_delete(context: Context, step: Step) -> None:
    context.aws.lambda_.delete_event_source_mapping(context.live(step).extras["uuid"])


def mapping_depends(resource: Any) -> tuple[str, ...]:
    key = resource.extras.get("function_key")
    return (*function_scoped(resource), *((Address.function(key),) if key else ()))


KIND = Kind(
    name="event_source_mapping",
    handlers={
        "event_source_mapping.create": event_source_mapping_create,
        "event_source_mapping.update": event_source_mapping_update,
        "event_source_mapping.delete": event_source_mapping_delete,
    },
    replace_on=CREATE_ONLY_FIELDS,
    depends=mapping_depends,
    movable=True,
)
