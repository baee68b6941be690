"""The `event_source_mapping` kind (`sqs`, `stream`, `kafka`, `msk`, `activemq` and `rabbitmq` events): Lambda's
poller reading a queue, stream, Kafka topic or broker queue into the alias. A mapping cannot move to another source,
topic, queue, consumer group or starting position: a change to one replaces it (a stream mapping then starts
reading again from its new starting position)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
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

CREATE_ONLY_FIELDS = frozenset(
    {
        "source_arn",
        "starting_position",
        "starting_position_timestamp",
        "bootstrap_servers",
        "topic",
        "queue",
        "consumer_group_id",
    }
)


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

    def identity(self) -> str:
        """What tells this mapping from the alias's others (the resource's name): its source."""
        return self.source_arn


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


@dataclass(frozen=True, kw_only=True)
class KafkaMapping(MappingSpec):
    """A mapping from a topic of an Amazon MSK cluster (`source_arn`) or of a self-managed Kafka cluster
    (`bootstrap_servers`; `source_arn` empty)."""

    bootstrap_servers: tuple[str, ...]  # sorted
    topic: str
    starting_position: str
    starting_position_timestamp: int | None
    consumer_group_id: str | None  # None: Lambda's (the mapping's UUID)
    access: tuple[tuple[str, str], ...]  # SourceAccessConfigurations (Type, URI), sorted
    provisioned_pollers: Pollers | None = None  # provisioned mode; None: on demand
    schema_registry: str | None = None  # the SchemaRegistryConfig (compact JSON, lists sorted); None: none

    def identity(self) -> str:
        return kafka_identity(self.source_arn, self.bootstrap_servers, self.topic)


@dataclass(frozen=True, kw_only=True)
class BrokerMapping(MappingSpec):
    """A mapping from a queue of an Amazon MQ broker (ActiveMQ or RabbitMQ)."""

    queue: str
    access: tuple[tuple[str, str], ...]  # SourceAccessConfigurations (Type, URI), sorted: BASIC_AUTH, VIRTUAL_HOST

    def identity(self) -> str:
        return f"{self.source_arn}#{self.queue}"


KAFKA_SERVERS = "KAFKA_BOOTSTRAP_SERVERS"


def kafka_identity(source_arn: str, servers: tuple[str, ...], topic: str) -> str:
    """An MSK cluster's ARN or a self-managed cluster's servers (`kafka://a:9092,b:9092`), then `#topic`."""
    return f"{source_arn or 'kafka://' + ','.join(sorted(servers))}#{topic}"


def schema_registry_json(config: Mapping[str, object] | None) -> str | None:
    """A KafkaSchemaRegistryConfig in the spec's spelling (compact JSON, its lists sorted), or None when empty.
    https://docs.aws.amazon.com/lambda/latest/api/API_KafkaSchemaRegistryConfig.html"""
    if not config or not config.get("SchemaRegistryURI"):
        return None
    access = config.get("AccessConfigs") or []
    checks = config.get("SchemaValidationConfigs") or []
    assert isinstance(access, list) and isinstance(checks, list)  # (as AWS answers them, and the trigger writes them)
    normal = {
        "SchemaRegistryURI": config["SchemaRegistryURI"],
        "EventRecordFormat": config.get("EventRecordFormat"),
        "AccessConfigs": sorted(access, key=lambda a: (str(a.get("Type")), str(a.get("URI")))),
        "SchemaValidationConfigs": sorted(checks, key=lambda c: str(c.get("Attribute"))),
    }
    return json.dumps(normal, separators=(",", ":"), sort_keys=True)


def answer_identity(mapping: MappingConfiguration) -> str:
    """The identity (see MappingSpec.identity) of a mapping as Get/ListEventSourceMappings answer it."""
    source = str(mapping.get("EventSourceArn") or "")
    topics, queues = mapping.get("Topics") or [], mapping.get("Queues") or []
    if topics:
        servers = ((mapping.get("SelfManagedEventSource") or {}).get("Endpoints") or {}).get(
            "KAFKA_BOOTSTRAP_SERVERS"
        ) or []
        return kafka_identity(source, tuple(servers), str(topics[0]))
    if queues:
        return f"{source}#{queues[0]}"
    return source


def access_of(mapping: MappingConfiguration) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(a["Type"]), str(a["URI"])) for a in mapping.get("SourceAccessConfigurations") or ()))


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
    source = str(mapping.get("EventSourceArn") or "")  # (a self-managed Kafka cluster has none)
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
    if mapping.get("Topics"):
        servers = ((mapping.get("SelfManagedEventSource") or {}).get("Endpoints") or {}).get(
            "KAFKA_BOOTSTRAP_SERVERS"
        ) or []
        config = mapping.get("AmazonManagedKafkaEventSourceConfig") or mapping.get("SelfManagedKafkaEventSourceConfig")
        group = (config or {}).get("ConsumerGroupId")
        when = mapping.get("StartingPositionTimestamp")
        pollers = mapping.get("ProvisionedPollerConfig") or {}
        return KafkaMapping(
            **common,
            bootstrap_servers=tuple(sorted(servers)),
            topic=str(mapping["Topics"][0]),
            starting_position=str(mapping.get("StartingPosition") or ""),
            starting_position_timestamp=int(when.timestamp()) if isinstance(when, dt.datetime) else when,
            # Lambda names the group after the mapping's UUID when none is given.
            consumer_group_id=None if group in (None, "", mapping.get("UUID")) else str(group),
            access=access_of(mapping),
            provisioned_pollers=Pollers(pollers["MinimumPollers"], pollers["MaximumPollers"])
            if pollers.get("MinimumPollers") and pollers.get("MaximumPollers")
            else None,
            schema_registry=schema_registry_json((config or {}).get("SchemaRegistryConfig")),
        )
    if mapping.get("Queues"):
        return BrokerMapping(**common, queue=str(mapping["Queues"][0]), access=access_of(mapping))
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
        "Enabled": spec.enabled,
    }
    if spec.filter_patterns or not creating:
        request["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in spec.filter_patterns]}
    if spec.metrics:
        request["MetricsConfig"] = {"Metrics": list(spec.metrics)}
    if isinstance(spec, (KafkaMapping, BrokerMapping)):
        request["SourceAccessConfigurations"] = [{"Type": kind, "URI": uri} for kind, uri in spec.access]
        if creating:
            request.update(source_request(spec))
        if isinstance(spec, KafkaMapping):
            request.update(kafka_settings(spec, creating=creating))
        return request
    request["FunctionResponseTypes"] = list(spec.function_response_types)
    if isinstance(spec, QueueMapping):
        if spec.maximum_concurrency is not None:
            request["ScalingConfig"] = {"MaximumConcurrency": spec.maximum_concurrency}
        elif not creating:
            request["ScalingConfig"] = {}
        if spec.provisioned_pollers is not None:
            request["ProvisionedPollerConfig"] = poller_config(spec.provisioned_pollers)
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


def poller_config(pollers: Pollers) -> dict[str, JsonValue]:
    """ProvisionedPollerConfig. https://docs.aws.amazon.com/lambda/latest/api/API_ProvisionedPollerConfig.html"""
    return {"MinimumPollers": pollers.minimum, "MaximumPollers": pollers.maximum}


def kafka_config_key(spec: KafkaMapping) -> str:
    return "AmazonManagedKafkaEventSourceConfig" if spec.source_arn else "SelfManagedKafkaEventSourceConfig"


def kafka_settings(spec: KafkaMapping, *, creating: bool) -> dict[str, JsonValue]:
    """Provisioned mode and the schema registry, which change in place (one taken away is sent empty by the update,
    see `event_source_mapping_update`). The consumer group is sent once, when the mapping is made."""
    out: dict[str, JsonValue] = {}
    if spec.provisioned_pollers is not None:
        out["ProvisionedPollerConfig"] = poller_config(spec.provisioned_pollers)
    config: dict[str, JsonValue] = {}
    if creating and spec.consumer_group_id:
        config["ConsumerGroupId"] = spec.consumer_group_id
    if spec.schema_registry:
        config["SchemaRegistryConfig"] = json.loads(spec.schema_registry)
    if config:
        out[kafka_config_key(spec)] = config
    return out


def source_request(spec: KafkaMapping | BrokerMapping) -> dict[str, JsonValue]:
    """Where a Kafka or broker mapping reads from, as CreateEventSourceMapping takes it (none of it changes later).
    https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html"""
    if isinstance(spec, BrokerMapping):
        return {"Queues": [spec.queue]}
    request: dict[str, JsonValue] = {"Topics": [spec.topic], "StartingPosition": spec.starting_position}
    if spec.starting_position_timestamp is not None:
        request["StartingPositionTimestamp"] = spec.starting_position_timestamp
    if not spec.source_arn:
        request["SelfManagedEventSource"] = {"Endpoints": {KAFKA_SERVERS: list(spec.bootstrap_servers)}}
    return request


def event_source_mapping_create(context: Context, step: Step) -> None:
    spec = context.desired_spec(step, MappingSpec)
    request: dict[str, JsonValue] = {"FunctionName": spec.function_arn, **mapping_request(spec, creating=True)}
    if spec.source_arn:  # (a self-managed Kafka cluster has none)
        request["EventSourceArn"] = spec.source_arn
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
    # no metrics, on-demand polling again, no schema registry.
    if live.metrics and not spec.metrics:
        request["MetricsConfig"] = {"Metrics": []}
    had = live.provisioned_pollers if isinstance(live, (QueueMapping, KafkaMapping)) else None
    if had is not None and isinstance(spec, (QueueMapping, KafkaMapping)) and spec.provisioned_pollers is None:
        request["ProvisionedPollerConfig"] = {}
    registry_before = live.schema_registry if isinstance(live, KafkaMapping) else None
    if isinstance(spec, KafkaMapping) and registry_before and not spec.schema_registry:
        config = request.setdefault(kafka_config_key(spec), {})
        assert isinstance(config, dict)  # (kafka_settings writes a mapping)
        config["SchemaRegistryConfig"] = {}
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
        if answer_identity(mapping) == stub.name:
            return [Resource.of(stub.address, stub.name, from_aws(mapping, function_arn=scope.alias_arn), scope=scope)]
    return []


def discover_event_source_mappings(aws: Reads, on: OnAlias) -> list[Resource]:
    from fnship.model.triggers.sources import source_name  # (it imports this module)

    target = on.target
    stubs = []
    for mapping in aws.alias_mappings(target.alias_arn):
        event_type, name = event_of(mapping, source_name)
        address = Address.trigger(on.function_key, event_type, name)
        stubs.append(Resource(address, "event_source_mapping", answer_identity(mapping),
                              scope=target.scope(event_type, name)))  # fmt: skip
    return stubs


VIRTUAL_HOST = "VIRTUAL_HOST"  # what a RabbitMQ mapping always carries (fnship writes the default "/" too)


def event_of(mapping: MappingConfiguration, source_name: Callable[[str], str]) -> tuple[str, str]:
    """(event type, trigger name) of a mapping as AWS answers it: a Kafka mapping is named after its topic, a broker
    mapping after its queue, the others after their source."""
    from fnship.model.triggers.common import slug  # (it imports this package)

    source = str(mapping.get("EventSourceArn") or "")
    if mapping.get("Topics"):
        return ("msk" if source else "kafka"), slug(str(mapping["Topics"][0]))
    if mapping.get("Queues"):
        engine = "rabbitmq" if any(kind == VIRTUAL_HOST for kind, _ in access_of(mapping)) else "activemq"
        return engine, slug(str(mapping["Queues"][0]))
    return ("sqs" if ":sqs:" in source else "stream"), source_name(source)


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
