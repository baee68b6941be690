"""`kafka` (a self-managed Apache Kafka cluster) and `msk` (Amazon MSK) events: an event source mapping from one
topic into the alias, read by Lambda's poller with the function's role (Secrets Manager secrets for the
cluster's authentication, the cluster itself for MSK, network interfaces when it is in a VPC). Parse, render,
grants and sample events in one place. Pure.

https://www.serverless.com/framework/docs/providers/aws/events/kafka
https://www.serverless.com/framework/docs/providers/aws/events/msk
https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from fnship.jsonvalue import JsonObject
from fnship.kinds.event_source_mapping import KafkaMapping, Pollers, kafka_identity, schema_registry_json
from fnship.local.events import Where
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import (
    BATCHING_WINDOW_S,
    KAFKA_METRICS,
    KAFKA_POLLERS,
    EventContext,
    batch_limit,
    filter_patterns,
    flag,
    metrics_config,
    provisioned_pollers,
    text_of,
    want_arn,
    want_bounded,
)
from fnship.manifest.types import EventSettings, EventSpec, KeyPath, Value
from fnship.model import iam
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, slug
from fnship.model.triggers.sources import mapping
from fnship.triggers.base import TriggerType

KAFKA_KEYS = frozenset(
    {
        "accessConfigurations",
        "batchSize",
        "maximumBatchingWindow",
        "enabled",
        "bootstrapServers",
        "startingPosition",
        "startingPositionTimestamp",
        "topic",
        "consumerGroupId",
        "filterPatterns",
        "provisioned",
        "provisionedPollers",
        "schemaRegistry",
        "metricsConfig",
    }
)
MSK_KEYS = frozenset(
    {
        "arn",
        "topic",
        "batchSize",
        "maximumBatchingWindow",
        "enabled",
        "startingPosition",
        "startingPositionTimestamp",
        "saslScram512",
        "consumerGroupId",
        "filterPatterns",
        "provisioned",
        "provisionedPollers",
        "schemaRegistry",
        "metricsConfig",
    }
)
# accessConfigurations key -> (SourceAccessConfigurations Type, URI prefix, a Secrets Manager secret?)
ACCESS_TYPES = {
    "vpcSubnet": ("VPC_SUBNET", "subnet:", False),
    "vpcSecurityGroup": ("VPC_SECURITY_GROUP", "security_group:", False),
    "saslPlainAuth": ("BASIC_AUTH", "", True),
    "saslScram256Auth": ("SASL_SCRAM_256_AUTH", "", True),
    "saslScram512Auth": ("SASL_SCRAM_512_AUTH", "", True),
    "clientCertificateTlsAuth": ("CLIENT_CERTIFICATE_TLS_AUTH", "", True),
    "serverRootCaCertificate": ("SERVER_ROOT_CA_CERTIFICATE", "", True),
}
# schemaRegistry: a Glue registry (its ARN) or a Confluent one (its URL, with its authentication secrets).
# https://docs.aws.amazon.com/lambda/latest/api/API_KafkaSchemaRegistryConfig.html
SCHEMA_REGISTRY_KEYS = frozenset({"uri", "eventRecordFormat", "accessConfigurations", "validate"})
REGISTRY_ACCESS = {
    "basicAuth": "BASIC_AUTH",
    "clientCertificateTlsAuth": "CLIENT_CERTIFICATE_TLS_AUTH",
    "serverRootCaCertificate": "SERVER_ROOT_CA_CERTIFICATE",
}
RECORD_FORMATS = ("JSON", "SOURCE")
# https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html (schema registry permissions)
GLUE_REGISTRY_READ = ("glue:GetRegistry", "glue:GetSchemaVersion")
SUBNET = re.compile(r"^subnet-[a-z0-9]+$")
SECURITY_GROUP = re.compile(r"^sg-[a-z0-9]+$")
# https://docs.aws.amazon.com/lambda/latest/api/API_AmazonManagedKafkaEventSourceConfig.html
CONSUMER_GROUP = re.compile(r"^[a-zA-Z0-9-\/*:_+=.@-]{1,200}$")
POSITIONS = ("LATEST", "TRIM_HORIZON", "AT_TIMESTAMP")
KAFKA_BATCH = (1, 10000)
DEFAULT_BATCH = 100
SECRET_READ = ("secretsmanager:GetSecretValue",)
# https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html
MSK_ACTIONS = ("kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers")
# Lambda's poller reaches a cluster in a VPC through network interfaces it makes with the function's role; AWS
# cannot scope these to a resource. https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-permissions.html
NETWORK_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)


@dataclass(frozen=True)
class KafkaEvent(EventSettings):
    """A mapping from one topic: of an MSK cluster (`cluster_arn`) or of self-managed `bootstrap_servers`."""

    cluster_arn: str  # "" for a self-managed cluster
    bootstrap_servers: tuple[str, ...]  # sorted; () for MSK
    topic: str
    batch_size: int
    maximum_batching_window: int
    enabled: bool
    starting_position: str
    starting_position_timestamp: int | None
    consumer_group_id: str | None
    access: tuple[tuple[str, str], ...]  # SourceAccessConfigurations (Type, URI), sorted
    secrets: tuple[str, ...]  # the Secrets Manager ARNs among them (and the schema registry's)
    in_vpc: bool
    filter_patterns: tuple[str, ...]
    pollers: tuple[int, int] | None = None  # provisioned mode (minimum, maximum): `provisioned`/`provisionedPollers`
    metrics: tuple[str, ...] = ()  # metricsConfig
    schema_registry: str | None = None  # the SchemaRegistryConfig as the mapping kind compares it
    glue_registry: str | None = None  # a Glue registry's ARN: the role reads its schemas


def _topic(raw: Mapping[str, Value], path: KeyPath, check: Checker) -> str | None:
    if raw.get("topic") is None:
        check.error(path, "topic is required: the Kafka topic the function reads", at_key=True)
        return None
    topic = check.want_str(raw["topic"], (*path, "topic"))
    # https://kafka.apache.org/documentation/#topicconfigs: letters, digits, '.', '_', '-', up to 249
    if topic is not None and not re.match(r"^[A-Za-z0-9._-]{1,249}$", topic):
        check.error((*path, "topic"), f"{show(topic)} is not a Kafka topic name: letters, digits, '.', '_', '-'")
        return None
    return topic


def _position(raw: Mapping[str, Value], path: KeyPath, check: Checker) -> tuple[str, int | None]:
    position = "TRIM_HORIZON"  # Serverless v3's default
    if raw.get("startingPosition") is not None:
        where = (*path, "startingPosition")
        position = check.want_choice(raw["startingPosition"], where, POSITIONS, what="a starting position") or position
    timestamp = None
    if position == "AT_TIMESTAMP":
        if raw.get("startingPositionTimestamp") is None:
            check.error(path, "startingPositionTimestamp is required with startingPosition AT_TIMESTAMP", at_key=True)
        else:
            timestamp = check.want_int(raw["startingPositionTimestamp"], (*path, "startingPositionTimestamp"))
    elif raw.get("startingPositionTimestamp") is not None:
        check.error((*path, "startingPositionTimestamp"), "is only for startingPosition AT_TIMESTAMP", at_key=True)
    return position, timestamp


def _consumer_group(raw: Mapping[str, Value], path: KeyPath, check: Checker) -> str | None:
    group = text_of(raw, "consumerGroupId", path, check)
    if group is not None and not CONSUMER_GROUP.match(group):
        check.error(
            (*path, "consumerGroupId"), f"{show(group)} is not a consumer group id (1-200 of a-z A-Z 0-9 -/*:_+=.@)"
        )
        return None
    return group


def _batching(raw: Mapping[str, Value], path: KeyPath, check: Checker) -> tuple[int, int]:
    batch = batch_limit(
        raw.get("batchSize"), (*path, "batchSize"), check, KAFKA_BATCH, source="Kafka", default=DEFAULT_BATCH
    )
    window = 0
    if raw.get("maximumBatchingWindow") is not None:
        where = (*path, "maximumBatchingWindow")
        window = want_bounded(raw["maximumBatchingWindow"], where, check, BATCHING_WINDOW_S) or 0
    return batch, window


def _access(raw: Mapping[str, Value], path: KeyPath, check: Checker) -> tuple[list[tuple[str, str]], list[str], bool]:
    """`accessConfigurations` -> (SourceAccessConfigurations, the secrets among them, whether it names a VPC)."""
    where = (*path, "accessConfigurations")
    if raw.get("accessConfigurations") is None:
        check.error(path, "accessConfigurations is required (the cluster's authentication or VPC)", at_key=True)
        return [], [], False
    found = check.want_mapping(raw["accessConfigurations"], where, what="a mapping (saslScram512Auth, vpcSubnet, ...)")
    if found is None:
        return [], [], False
    check.keys(found, where, ACCESS_TYPES)
    if not found:
        check.error(where, "give at least one access configuration (an authentication secret, or a VPC)")
    access: list[tuple[str, str]] = []
    secrets: list[str] = []
    for key, value in found.items():
        if key not in ACCESS_TYPES:
            continue
        kind, prefix, secret = ACCESS_TYPES[key]
        values = check.want_str_list(value, (*where, key), single_ok=True) or []
        for index, item in enumerate(values):
            item_path = (*where, key) if isinstance(value, str) else (*where, key, index)
            if secret:
                arn = want_arn(item, item_path, check, services=("secretsmanager",), what="AWS Secrets Manager secret")
                if arn:
                    secrets.append(arn)
                    access.append((kind, arn))
            elif not (SUBNET if key == "vpcSubnet" else SECURITY_GROUP).match(item):
                check.error(
                    item_path, f"{show(item)} is not a {'subnet' if key == 'vpcSubnet' else 'security group'} id"
                )
            else:
                access.append((kind, prefix + item))
    subnets, groups = found.get("vpcSubnet") is not None, found.get("vpcSecurityGroup") is not None
    if subnets != groups:
        missing = "vpcSecurityGroup" if subnets else "vpcSubnet"
        check.error(where, f"a cluster in a VPC needs both vpcSubnet and vpcSecurityGroup: {missing} is missing")
    return access, secrets, subnets or groups


def _schema_registry(
    raw: Mapping[str, Value], path: KeyPath, check: Checker, *, pollers: tuple[int, int] | None
) -> tuple[str | None, list[str], str | None]:
    """`schemaRegistry` -> (the SchemaRegistryConfig as compared, its secrets, a Glue registry's ARN)."""
    if raw.get("schemaRegistry") is None:
        return None, [], None
    where = (*path, "schemaRegistry")
    found = check.want_mapping(raw["schemaRegistry"], where, what="a mapping (uri, eventRecordFormat, ...)")
    if found is None:
        return None, [], None
    check.keys(found, where, SCHEMA_REGISTRY_KEYS)
    if pollers is None:
        check.error(where, "a schema registry needs provisioned mode: add provisionedPollers (min, max)",
                    "Lambda validates records against a schema registry only in provisioned mode")  # fmt: skip
    uri = text_of(found, "uri", where, check)
    glue = None
    if uri is None:
        check.error(where, "uri is required: a Glue registry's ARN or a Confluent registry's https URL", at_key=True)
    elif uri.startswith("arn:"):
        glue = want_arn(uri, (*where, "uri"), check, services=("glue",), what="Glue schema registry")
        if glue and ":registry/" not in glue:
            check.error((*where, "uri"), f"{show(glue)} is not a Glue registry ARN (…:registry/NAME)")
            glue = None
    elif not re.match(r"^https?://\S+$", uri):
        check.error((*where, "uri"), f"{show(uri)} is not a schema registry: a Glue registry ARN or an https URL")
    record_format = "JSON"
    if found.get("eventRecordFormat") is not None:
        record_format = check.want_choice(found["eventRecordFormat"], (*where, "eventRecordFormat"), RECORD_FORMATS,
                                          what="an event record format") or record_format  # fmt: skip
    access: list[JsonObject] = []
    secrets: list[str] = []
    if found.get("accessConfigurations") is not None:
        at = (*where, "accessConfigurations")
        configs = check.want_mapping(found["accessConfigurations"], at, what="a mapping (basicAuth, ...)") or {}
        check.keys(configs, at, REGISTRY_ACCESS)
        if configs and glue:
            check.error(at, "a Glue schema registry is reached with the function's role: it takes no secrets")
        for key, value in configs.items():
            if key in REGISTRY_ACCESS:
                secret = want_arn(value, (*at, key), check, services=("secretsmanager",),
                                  what="AWS Secrets Manager secret")  # fmt: skip
                if secret:
                    secrets.append(secret)
                    access.append({"Type": REGISTRY_ACCESS[key], "URI": secret})
    checks: list[JsonObject] = []
    for index, item in enumerate(check.want_str_list(found.get("validate") or [], (*where, "validate")) or []):
        if item.upper() not in ("KEY", "VALUE"):
            check.error((*where, "validate", index), f"{show(item)} is not a record part: write key or value")
        elif {"Attribute": item.upper()} not in checks:
            checks.append({"Attribute": item.upper()})
    if uri is None:
        return None, secrets, None
    config = {"SchemaRegistryURI": uri, "EventRecordFormat": record_format, "AccessConfigs": access,
              "SchemaValidationConfigs": checks}  # fmt: skip
    return schema_registry_json(config), secrets, glue


def parse_kafka(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[KafkaEvent]:
    check = ctx.check
    raw = check.want_mapping(value, path, what="a mapping (bootstrapServers, topic, accessConfigurations, ...)")
    if raw is None:
        return []
    check.keys(raw, path, KAFKA_KEYS)
    topic = _topic(raw, path, check)
    servers: list[str] = []
    if raw.get("bootstrapServers") is None:
        check.error(path, "bootstrapServers is required (host:port of the cluster's brokers)", at_key=True)
    else:
        servers = check.want_str_list(raw["bootstrapServers"], (*path, "bootstrapServers"), single_ok=True) or []
        for number, server in enumerate(servers):
            if not re.match(r"^[A-Za-z0-9.-]+:\d{1,5}$", server):
                where = (*path, "bootstrapServers", number)
                check.error(where, f"{show(server)} is not a bootstrap server: write host:port")
    access, secrets, in_vpc = _access(raw, path, check)
    batch, window = _batching(raw, path, check)
    position, timestamp = _position(raw, path, check)
    group = _consumer_group(raw, path, check)
    pollers = provisioned_pollers(raw, path, check, KAFKA_POLLERS)
    registry, registry_secrets, glue = _schema_registry(raw, path, check, pollers=pollers)
    metrics = metrics_config(raw, path, check, KAFKA_METRICS, source=KAFKA_POLLERS.source)
    if topic is None or not servers:
        return []
    return [
        KafkaEvent(
            cluster_arn="",
            bootstrap_servers=tuple(sorted(servers)),
            topic=topic,
            batch_size=batch,
            maximum_batching_window=window,
            enabled=flag(raw, "enabled", path, check, True),
            starting_position=position,
            starting_position_timestamp=timestamp,
            consumer_group_id=group,
            access=tuple(sorted(access)),
            secrets=tuple(sorted({*secrets, *registry_secrets})),
            in_vpc=in_vpc,
            filter_patterns=filter_patterns(raw, path, check),
            pollers=pollers,
            metrics=metrics,
            schema_registry=registry,
            glue_registry=glue,
        )
    ]


def parse_msk(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[KafkaEvent]:
    check = ctx.check
    raw = check.want_mapping(value, path, what="a mapping (arn, topic, ...)")
    if raw is None:
        return []
    check.keys(raw, path, MSK_KEYS)
    arn = None
    if raw.get("arn") is None:
        check.error(path, "arn (the MSK cluster's ARN) is required", at_key=True)
    else:
        arn = want_arn(raw["arn"], (*path, "arn"), check, services=("kafka",), what="MSK cluster")
        if arn and ":cluster/" not in arn:
            check.error((*path, "arn"), f"{show(arn)} is not an MSK cluster ARN (…:cluster/NAME/UUID)")
            arn = None
    topic = _topic(raw, path, check)
    secret = None
    if raw.get("saslScram512") is not None:
        where = (*path, "saslScram512")
        secret = want_arn(
            raw["saslScram512"], where, check, services=("secretsmanager",), what="AWS Secrets Manager secret"
        )
    batch, window = _batching(raw, path, check)
    position, timestamp = _position(raw, path, check)
    group = _consumer_group(raw, path, check)
    pollers = provisioned_pollers(raw, path, check, KAFKA_POLLERS)
    registry, registry_secrets, glue = _schema_registry(raw, path, check, pollers=pollers)
    metrics = metrics_config(raw, path, check, KAFKA_METRICS, source=KAFKA_POLLERS.source)
    if arn is None or topic is None:
        return []
    return [
        KafkaEvent(
            cluster_arn=arn,
            bootstrap_servers=(),
            topic=topic,
            batch_size=batch,
            maximum_batching_window=window,
            enabled=flag(raw, "enabled", path, check, True),
            starting_position=position,
            starting_position_timestamp=timestamp,
            consumer_group_id=group,
            access=(("SASL_SCRAM_512_AUTH", secret),) if secret else (),
            secrets=tuple(sorted({*([secret] if secret else []), *registry_secrets})),
            in_vpc=True,  # an MSK cluster always lives in a VPC
            filter_patterns=filter_patterns(raw, path, check),
            pollers=pollers,
            metrics=metrics,
            schema_registry=registry,
            glue_registry=glue,
        )
    ]


def identity(event: KafkaEvent) -> str:
    return kafka_identity(event.cluster_arn, event.bootstrap_servers, event.topic)


def check_service(events: list[tuple[str, EventSpec]], check: Checker, _provider: Mapping[str, Value]) -> None:
    """Lambda allows one mapping per topic of a cluster and function."""
    seen: dict[tuple[str, str], int] = {}
    for key, event in events:
        settings = event.settings_as(KafkaEvent)
        found = (key, identity(settings))
        if found in seen:
            check.error(
                ("functions", key, "events", event.index, event.type),
                f"topic {settings.topic} of this cluster is already mapped to this function by event {seen[found]}",
                "Lambda allows one event source mapping per topic, cluster and function",
            )
        seen.setdefault(found, event.index)


def name(event: EventSpec) -> str:
    return slug(event.settings_as(KafkaEvent).topic)


def grants(event: EventSpec) -> list[iam.Grant]:
    """The poller reads the secrets that authenticate it, describes an MSK cluster, and reaches a VPC."""
    s = event.settings_as(KafkaEvent)
    found: list[iam.Grant] = [(SECRET_READ, secret) for secret in s.secrets]
    if s.cluster_arn:
        found.append((MSK_ACTIONS, s.cluster_arn))
    if s.glue_registry:  # the registry and its schemas (`…:schema/{registry}/*`)
        registry = s.glue_registry.split(":registry/", 1)
        found.append((GLUE_REGISTRY_READ, s.glue_registry))
        found.append((GLUE_REGISTRY_READ, f"{registry[0]}:schema/{registry[1]}/*"))
    if s.in_vpc:
        found.append((NETWORK_ACTIONS, iam.ANY_RESOURCE))
    return found


def render(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(KafkaEvent)
    spec = KafkaMapping(
        source_arn=s.cluster_arn,
        function_arn=target.alias_arn,
        batch_size=s.batch_size,
        maximum_batching_window=s.maximum_batching_window,
        function_response_types=(),
        enabled=s.enabled,
        filter_patterns=tuple(sorted(s.filter_patterns)),
        bootstrap_servers=s.bootstrap_servers,
        topic=s.topic,
        starting_position=s.starting_position,
        starting_position_timestamp=s.starting_position_timestamp,
        consumer_group_id=s.consumer_group_id,
        access=s.access,
        provisioned_pollers=Pollers(*s.pollers) if s.pollers else None,
        metrics=s.metrics,
        schema_registry=s.schema_registry,
    )
    return [mapping(target, event.type, name, spec)]


def _records(topic: str) -> JsonObject:
    value = base64.b64encode(json.dumps({"orderId": "1001", "amount": 42}).encode()).decode()
    return {
        f"{topic}-0": [
            {
                "topic": topic,
                "partition": 0,
                "offset": 15,
                "timestamp": 1_700_000_000_000,
                "timestampType": "CREATE_TIME",
                "key": base64.b64encode(b"order-1001").decode(),
                "value": value,
                "headers": [{"source": list(b"checkout")}],
            }
        ]
    }


def kafka(where: Where) -> JsonObject:
    """Self-managed Apache Kafka: record keys and values base64-encoded, grouped by topic-partition.
    https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html"""
    return {"eventSource": "SelfManagedKafka", "bootstrapServers": "b-1.example.com:9092,b-2.example.com:9092",
            "records": _records("orders")}  # fmt: skip


def msk(where: Where) -> JsonObject:
    """Amazon MSK. https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html"""
    cluster = f"arn:aws:kafka:{where.region}:{where.account_id}:cluster/example/a1b2c3d4-5678-90ab-cdef-11111EXAMPLE-1"
    return {
        "eventSource": "aws:kafka",
        "eventSourceArn": cluster,
        "bootstrapServers": f"b-1.example.kafka.{where.region}.amazonaws.com:9092",
        "records": _records("orders"),
    }


KAFKA = TriggerType(
    parse=parse_kafka,
    name=name,
    render=render,
    grants=grants,
    samples={"kafka": kafka},
    kinds=("event_source_mapping",),
    check_service=check_service,
)
MSK = TriggerType(
    parse=parse_msk,
    name=name,
    render=render,
    grants=grants,
    samples={"msk": msk},
    kinds=("event_source_mapping",),
    check_service=check_service,
)
