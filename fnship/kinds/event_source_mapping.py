"""The `event_source_mapping` kind (`sqs` and `stream` events): Lambda's poller reading a queue or stream into the
alias. A mapping cannot move to another source or starting position: a change to one replaces it (a stream
mapping then starts reading again from its new starting position)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fnship.kinds.base import Context, Kind, function_scoped
from fnship.model.address import Address
from fnship.model.resources import Resource, State
from fnship.model.triggers.common import trigger_address
from fnship.model.triggers.sources import source_name
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, compact_json

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


# -- reading live state (read-only) ------------------------------------------------------------------------------


def mapping_attrs(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """An event source mapping in the model's vocabulary, with AWS's defaults filled in."""
    source = mapping["EventSourceArn"]
    filters = ((mapping.get("FilterCriteria") or {}).get("Filters")) or []
    attrs: dict[str, Any] = {
        "source_arn": source,
        "batch_size": mapping.get("BatchSize"),
        "maximum_batching_window": mapping.get("MaximumBatchingWindowInSeconds") or 0,
        "function_response_types": list(mapping.get("FunctionResponseTypes") or []),
        "enabled": mapping.get("State") not in ("Disabled", "Disabling"),
        "filter_patterns": sorted(compact_json(f["Pattern"]) for f in filters if f.get("Pattern")),
    }
    if ":sqs:" in source:
        attrs["maximum_concurrency"] = (mapping.get("ScalingConfig") or {}).get("MaximumConcurrency")
        return attrs
    timestamp = mapping.get("StartingPositionTimestamp")
    attrs.update(
        {
            "starting_position": mapping.get("StartingPosition"),
            "starting_position_timestamp": int(timestamp.timestamp())
            if isinstance(timestamp, dt.datetime)
            else timestamp,
            "bisect_batch_on_function_error": bool(mapping.get("BisectBatchOnFunctionError")),
            "maximum_retry_attempts": mapping.get("MaximumRetryAttempts", -1),
            "maximum_record_age": mapping.get("MaximumRecordAgeInSeconds", -1),
            "parallelization_factor": mapping.get("ParallelizationFactor", 1),
            "tumbling_window": mapping.get("TumblingWindowInSeconds") or None,
            "on_failure": ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"),
        }
    )
    return attrs


def read_event_source_mapping(aws: Any, stub: Resource) -> list[Resource]:
    for mapping in aws.alias_mappings(stub.extras["alias_arn"]):
        if mapping.get("EventSourceArn") == stub.name:
            extras = {**stub.extras, "uuid": mapping["UUID"]}
            # The alias it was listed under: AWS answers that alias's ARN as FunctionArn, moto a version's.
            attrs = {**mapping_attrs(mapping), "function_arn": stub.extras["alias_arn"]}
            return [Resource(stub.address, "event_source_mapping", stub.name, attrs, extras=extras)]
    return []


def discover_event_source_mappings(aws: Any, on: OnAlias) -> list[Resource]:
    target = on.target
    stubs = []
    for mapping in aws.alias_mappings(target.alias_arn):
        source = mapping["EventSourceArn"]
        event_type = "sqs" if ":sqs:" in source else "stream"
        name = source_name(source)
        stubs.append(Resource(trigger_address(target, event_type, name), "event_source_mapping", source, {},
                              extras=target.extras(event_type, name)))  # fmt: skip
    return stubs


SOURCE_READ_WORKERS = 16
VISIBILITY_FACTOR = 6  # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html


def queue_warnings(aws: Any, desired: State) -> list[str]:
    """Queues we consume but do not own whose visibility timeout is below six times the function's timeout:
    worth a warning before deploying. The queues are asked concurrently (one round whatever their number)."""
    from concurrent.futures import ThreadPoolExecutor

    queues = [r for r in desired.of_kind("event_source_mapping") if ":sqs:" in r.name]

    def visibility(resource: Resource) -> int | None:
        return aws.once(("visibility", resource.name), lambda: aws.sqs.visibility_timeout_or_none(resource.name))

    with ThreadPoolExecutor(max_workers=SOURCE_READ_WORKERS) as pool:
        timeouts = list(pool.map(visibility, queues))
    warnings = []
    for resource, visibility_s in zip(queues, timeouts, strict=True):
        function = desired.get(Address.function(resource.extras["function_key"]))
        timeout = function.attrs["timeout"] if function else None
        if timeout and visibility_s is not None and visibility_s < VISIBILITY_FACTOR * timeout:
            warnings.append(
                f"{resource.address}: queue {resource.name.rsplit(':', 1)[1]} has a visibility timeout of "
                f"{visibility_s} s, below six times the function timeout ({VISIBILITY_FACTOR} x {timeout} s = "
                f"{VISIBILITY_FACTOR * timeout} s): messages may be handled twice "
                "(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html)"
            )
    return warnings


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
    read=read_event_source_mapping,
    discover_on_alias=discover_event_source_mappings,
    hangs_on_function=True,
)
