"""The `event_source_mapping` kind (`sqs` and `stream` events): Lambda's poller reading a queue or stream into the
alias. A mapping cannot move to another source or starting position: a change to one replaces it (a stream
mapping then starts reading again from its new starting position)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, TypedDict

from fnship.jsonvalue import JsonValue
from fnship.kinds.base import Context, Kind, compact_json, function_scoped, known
from fnship.kinds.function import LambdaFunction
from fnship.model.address import Address
from fnship.model.resources import Resource, Spec, State
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, Reads

if TYPE_CHECKING:
    from fnship.aws.lambda_api import MappingConfiguration

CREATE_ONLY_FIELDS = frozenset({"source_arn", "starting_position", "starting_position_timestamp"})


@dataclass(frozen=True)
class Pollers:
    """Provisioned mode: the pollers Lambda keeps for the mapping (ProvisionedPollerConfig), AWS's defaults filled."""

    minimum: int
    maximum: int


@dataclass(frozen=True, kw_only=True)
class MappingSpec(Spec):
    """What every event source mapping has, with Lambda's defaults filled in."""

    kind: ClassVar[str] = "event_source_mapping"
    source_arn: str
    function_arn: str  # the alias it invokes
    batch_size: int | None
    maximum_batching_window: int
    function_response_types: tuple[str, ...]
    enabled: bool
    filter_patterns: tuple[str, ...]  # compact JSON, sorted
    metrics: tuple[str, ...] = ()  # MetricsConfig.Metrics, sorted: () publishes none
    uuid: str | None = field(default=None, compare=False)  # assigned by Lambda: live only


@dataclass(frozen=True, kw_only=True)
class QueueMapping(MappingSpec):
    """A mapping from an SQS queue."""

    maximum_concurrency: int | None
    provisioned_pollers: Pollers | None = None  # None: on-demand polling (AWS's default)


@dataclass(frozen=True, kw_only=True)
class StreamMapping(MappingSpec):
    """A mapping from a DynamoDB or Kinesis stream."""

    starting_position: str | None
    starting_position_timestamp: int | None
    bisect_batch_on_function_error: bool
    maximum_retry_attempts: int
    maximum_record_age: int
    parallelization_factor: int
    tumbling_window: int | None
    on_failure: str | None


class _MappingFields(TypedDict):
    """What every mapping spec has (MappingSpec's fields), parsed once for both kinds of source."""

    source_arn: str
    function_arn: str
    batch_size: int | None
    maximum_batching_window: int
    function_response_types: tuple[str, ...]
    enabled: bool
    filter_patterns: tuple[str, ...]
    metrics: tuple[str, ...]
    uuid: str | None


def from_aws(mapping: MappingConfiguration, *, function_arn: str) -> MappingSpec:
    """A GetEventSourceMapping/ListEventSourceMappings item as the spec, with AWS's defaults filled in.
    `function_arn` is the alias it was listed under: AWS answers that alias's ARN as FunctionArn, moto a version's."""
    source = str(mapping["EventSourceArn"])
    filters = ((mapping.get("FilterCriteria") or {}).get("Filters")) or []
    common: _MappingFields = {
        "source_arn": source,
        "function_arn": function_arn,
        "batch_size": mapping.get("BatchSize"),
        "maximum_batching_window": mapping.get("MaximumBatchingWindowInSeconds") or 0,
        "function_response_types": tuple(mapping.get("FunctionResponseTypes") or ()),
        "enabled": mapping.get("State") not in ("Disabled", "Disabling"),
        "filter_patterns": tuple(sorted(str(compact_json(f["Pattern"])) for f in filters if f.get("Pattern"))),
        "metrics": tuple(sorted((mapping.get("MetricsConfig") or {}).get("Metrics") or ())),
        "uuid": mapping.get("UUID"),
    }
    if ":sqs:" in source:
        scaling = mapping.get("ScalingConfig") or {}
        pollers = mapping.get("ProvisionedPollerConfig") or {}
        return QueueMapping(
            **common,
            maximum_concurrency=scaling.get("MaximumConcurrency"),
            provisioned_pollers=Pollers(pollers["MinimumPollers"], pollers["MaximumPollers"])
            if pollers.get("MinimumPollers") and pollers.get("MaximumPollers")
            else None,
        )
    timestamp = mapping.get("StartingPositionTimestamp")
    return StreamMapping(
        **common,
        starting_position=mapping.get("StartingPosition"),
        starting_position_timestamp=int(timestamp.timestamp()) if isinstance(timestamp, dt.datetime) else timestamp,
        bisect_batch_on_function_error=bool(mapping.get("BisectBatchOnFunctionError")),
        maximum_retry_attempts=mapping.get("MaximumRetryAttempts", -1),
        maximum_record_age=mapping.get("MaximumRecordAgeInSeconds", -1),
        parallelization_factor=mapping.get("ParallelizationFactor", 1),
        tumbling_window=mapping.get("TumblingWindowInSeconds") or None,
        on_failure=((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"),
    )


def mapping_request(spec: MappingSpec, *, creating: bool) -> dict[str, JsonValue]:
    """The spec as Create/UpdateEventSourceMapping want it. On update, an unset value is sent empty so that
    removing it from the manifest removes it in AWS."""
    request: dict[str, JsonValue] = {
        "BatchSize": spec.batch_size,
        "MaximumBatchingWindowInSeconds": spec.maximum_batching_window,
        "FunctionResponseTypes": list(spec.function_response_types),
        "Enabled": spec.enabled,
    }
    if spec.filter_patterns or not creating:
        request["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in spec.filter_patterns]}
    if spec.metrics:
        request["MetricsConfig"] = {"Metrics": list(spec.metrics)}
    if isinstance(spec, QueueMapping):
        if spec.maximum_concurrency is not None:
            request["ScalingConfig"] = {"MaximumConcurrency": spec.maximum_concurrency}
        elif not creating:
            request["ScalingConfig"] = {}
        if spec.provisioned_pollers is not None:
            pollers = spec.provisioned_pollers
            request["ProvisionedPollerConfig"] = {"MinimumPollers": pollers.minimum, "MaximumPollers": pollers.maximum}
        return request
    assert isinstance(spec, StreamMapping)
    request.update(
        BisectBatchOnFunctionError=spec.bisect_batch_on_function_error,
        MaximumRetryAttempts=spec.maximum_retry_attempts,
        MaximumRecordAgeInSeconds=spec.maximum_record_age,
        ParallelizationFactor=spec.parallelization_factor,
    )
    if spec.tumbling_window is not None:
        request["TumblingWindowInSeconds"] = spec.tumbling_window
    if spec.on_failure:
        request["DestinationConfig"] = {"OnFailure": {"Destination": spec.on_failure}}
    elif not creating:
        request["DestinationConfig"] = {"OnFailure": {}}
    if creating:
        request["StartingPosition"] = spec.starting_position
        if spec.starting_position_timestamp is not None:
            request["StartingPositionTimestamp"] = spec.starting_position_timestamp
    return request


def event_source_mapping_create(context: Context, step: Step) -> None:
    spec = context.desired_spec(step, MappingSpec)
    request: dict[str, JsonValue] = {
        "FunctionName": spec.function_arn,
        "EventSourceArn": spec.source_arn,
        **mapping_request(spec, creating=True),
    }
    created = context.aws.lambda_.create_event_source_mapping(request)
    context.outputs[step.address] = {"uuid": created.get("UUID")}


def event_source_mapping_update(context: Context, step: Step) -> None:
    """What changes in place; a mapping moved to another alias (deployment.alias renamed) keeps its place in
    the stream."""
    spec, live = context.desired_spec(step, MappingSpec), context.live_spec(step, MappingSpec)
    request = mapping_request(spec, creating=False)
    if spec.function_arn != live.function_arn:
        request["FunctionName"] = spec.function_arn
    # Settings taken away are sent empty, and only then (a mapping that never had them is not asked to change):
    # no metrics, and on-demand polling again.
    if live.metrics and not spec.metrics:
        request["MetricsConfig"] = {"Metrics": []}
    had = live.provisioned_pollers if isinstance(live, QueueMapping) else None
    if had is not None and isinstance(spec, QueueMapping) and spec.provisioned_pollers is None:
        request["ProvisionedPollerConfig"] = {}
    context.aws.lambda_.update_event_source_mapping(known(live.uuid, f"the UUID of {step.address}"), request)


def event_source_mapping_delete(context: Context, step: Step) -> None:
    uuid = known(context.live_spec(step, MappingSpec).uuid, f"the UUID of {step.address}")
    context.aws.lambda_.delete_event_source_mapping(uuid)


def mapping_depends(resource: Resource) -> tuple[str, ...]:
    return (*function_scoped(resource), Address.function(resource.in_scope().function_key))


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_event_source_mapping(aws: Reads, stub: Resource) -> list[Resource]:
    scope = stub.in_scope()
    for mapping in aws.alias_mappings(scope.alias_arn):
        if mapping.get("EventSourceArn") == stub.name:
            return [Resource.of(stub.address, stub.name, from_aws(mapping, function_arn=scope.alias_arn), scope=scope)]
    return []


def discover_event_source_mappings(aws: Reads, on: OnAlias) -> list[Resource]:
    from fnship.model.triggers.sources import source_name  # (it imports this module)

    target = on.target
    stubs = []
    for mapping in aws.alias_mappings(target.alias_arn):
        source = mapping["EventSourceArn"]
        event_type = "sqs" if ":sqs:" in source else "stream"
        name = source_name(source)
        address = Address.trigger(on.function_key, event_type, name)
        stubs.append(Resource(address, "event_source_mapping", source,
                              scope=target.scope(event_type, name)))  # fmt: skip
    return stubs


SOURCE_READ_WORKERS = 16
VISIBILITY_FACTOR = 6  # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html


def queue_warnings(aws: Reads, desired: State) -> list[str]:
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
        function = desired.get(Address.function(resource.in_scope().function_key))
        timeout = function.spec_as(LambdaFunction).timeout if function else None
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
    from_record=True,
)
