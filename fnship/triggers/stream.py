"""`stream` events (DynamoDB and Kinesis): an event source mapping from a stream into the alias, read with the
function's role. Parse, render, grants and sample event in one place. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from fnship.jsonvalue import JsonObject
from fnship.kinds.event_source_mapping import StreamMapping
from fnship.local.events import Where
from fnship.manifest.checks import show
from fnship.manifest.events.common import (
    BATCHING_WINDOW_S,
    PROVISIONED_MODE,
    QUEUE_AND_STREAM_METRICS,
    EventContext,
    batch_limit,
    filter_patterns,
    flag,
    metrics_config,
    response_types,
    short_or_mapping,
    want_arn,
    want_bounded,
)
from fnship.manifest.intrinsics import StackValue
from fnship.manifest.types import EventSettings, EventSpec, KeyPath
from fnship.model import iam
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target
from fnship.model.triggers.sources import mapping, source_name
from fnship.triggers.base import TriggerType

STREAM_KEYS = frozenset(
    {
        "arn",
        "type",
        "batchSize",
        "startingPosition",
        "startingPositionTimestamp",
        "bisectBatchOnFunctionError",
        "maximumRetryAttempts",
        "maximumRecordAgeInSeconds",
        "parallelizationFactor",
        "batchWindow",
        "destinations",
        "filterPatterns",
        "enabled",
        "functionResponseType",
        "tumblingWindowInSeconds",
        "metricsConfig",
        # Refused with the reason (Lambda's provisioned mode is for SQS and Kafka sources only).
        "provisioned",
        "provisionedPollers",
    }
)
STREAM_BATCH = {"dynamodb": (1, 10000), "kinesis": (1, 10000)}
STREAM_POSITIONS = {"dynamodb": ("LATEST", "TRIM_HORIZON"), "kinesis": ("LATEST", "TRIM_HORIZON", "AT_TIMESTAMP")}
STREAM_RETRIES = (-1, 10000)
RECORD_AGE_S = (60, 604800)  # or -1: infinite
PARALLELIZATION = (1, 10)
TUMBLING_WINDOW_S = (0, 900)


@dataclass(frozen=True)
class StreamEvent(EventSettings):
    """An event source mapping from a DynamoDB or Kinesis stream, with Lambda's defaults filled in."""

    arn: str
    source: str  # dynamodb | kinesis
    batch_size: int
    starting_position: str
    starting_position_timestamp: int | None
    bisect_batch_on_function_error: bool
    maximum_retry_attempts: int
    maximum_record_age: int
    parallelization_factor: int
    maximum_batching_window: int
    tumbling_window: int | None
    on_failure: str | None
    function_response_types: tuple[str, ...]
    enabled: bool
    filter_patterns: tuple[str, ...]
    metrics: tuple[str, ...] = ()


def parse_stream(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[StreamEvent]:
    check = ctx.check
    found = short_or_mapping(
        value, path, check, key="arn", keys=STREAM_KEYS, what="a stream ARN or a mapping (arn, batchSize, ...)"
    )
    if found is None:
        return []
    raw, arn_path = found
    arn = want_arn(raw["arn"], arn_path, check, services=("dynamodb", "kinesis"), what="DynamoDB or Kinesis stream")
    if arn is None:
        return []
    if isinstance(arn, StackValue):  # `!GetAtt Table.StreamArn`: the stream's kind is `type:`, as Serverless asks
        declared = raw.get("type")
        if declared not in ("dynamodb", "kinesis"):
            check.error((*path, "type"), "type: dynamodb or kinesis is required when the stream's ARN is a "
                        "CloudFormation function", "add `type: dynamodb` (or kinesis)")  # fmt: skip
            return []
        source = str(declared)
    else:
        source = "kinesis" if ":kinesis:" in arn else "dynamodb"
    if source == "dynamodb" and "/stream/" not in arn and not isinstance(arn, StackValue):
        check.error(arn_path, f"{show(arn)} is a table ARN; give its stream's ARN (…:table/NAME/stream/LABEL)")
        return []
    if raw.get("type") is not None:
        declared = check.want_choice(raw["type"], (*path, "type"), ("dynamodb", "kinesis"), what="a stream type")
        if declared and declared != source:
            check.error((*path, "type"), f"type {declared} does not match the ARN, which is a {source} stream")
    label = "a DynamoDB stream" if source == "dynamodb" else "a Kinesis stream"
    batch = batch_limit(
        raw.get("batchSize"), (*path, "batchSize"), check, STREAM_BATCH[source], source=label, default=100
    )
    position = "TRIM_HORIZON"
    if raw.get("startingPosition") is not None:
        position = (
            check.want_choice(
                raw["startingPosition"],
                (*path, "startingPosition"),
                STREAM_POSITIONS[source],
                what=f"a starting position for {label}",
            )
            or position
        )
    timestamp = None
    if position == "AT_TIMESTAMP":
        if raw.get("startingPositionTimestamp") is None:
            check.error(path, "startingPositionTimestamp is required with startingPosition AT_TIMESTAMP", at_key=True)
        else:
            timestamp = check.want_int(raw["startingPositionTimestamp"], (*path, "startingPositionTimestamp"))
    retries = -1
    if raw.get("maximumRetryAttempts") is not None:
        tries = want_bounded(raw["maximumRetryAttempts"], (*path, "maximumRetryAttempts"), check, STREAM_RETRIES)
        retries = -1 if tries is None else tries
    age = -1
    if raw.get("maximumRecordAgeInSeconds") is not None:
        age_path = (*path, "maximumRecordAgeInSeconds")
        given = check.want_int(raw["maximumRecordAgeInSeconds"], age_path)
        if given is not None and given != -1 and not RECORD_AGE_S[0] <= given <= RECORD_AGE_S[1]:
            check.error(age_path, f"{given} must be -1 (no limit) or between {RECORD_AGE_S[0]} and {RECORD_AGE_S[1]}")
        elif given is not None:
            age = given
    on_failure = None
    if raw.get("destinations") is not None:
        destinations = check.want_mapping(raw["destinations"], (*path, "destinations"))
        if destinations is not None:
            check.keys(destinations, (*path, "destinations"), {"onFailure"})
            if destinations.get("onFailure") is not None:
                target = destinations["onFailure"]
                target_path = (*path, "destinations", "onFailure")
                if isinstance(target, dict) and "arn" in target:
                    target, target_path = target["arn"], (*target_path, "arn")
                on_failure = want_arn(
                    target, target_path, check, services=("sqs", "sns"), what="SQS queue or SNS topic"
                )
    types = response_types(raw, path, check)
    for key in ("provisioned", "provisionedPollers"):
        if raw.get(key) is not None:
            check.error(
                (*path, key),
                f"{label} has no provisioned mode: Lambda provisions pollers for SQS and Kafka sources only",
                PROVISIONED_MODE,
                at_key=True,
            )

    def optional(key: str, bounds: tuple[int, int], default: int | None) -> int | None:
        if raw.get(key) is None:
            return default
        found = want_bounded(raw[key], (*path, key), check, bounds)
        return default if found is None else found

    def bounded(key: str, bounds: tuple[int, int], default: int) -> int:
        found = optional(key, bounds, default)
        return default if found is None else found

    return [
        StreamEvent(
            arn=arn,
            source=source,
            batch_size=batch,
            starting_position=position,
            starting_position_timestamp=timestamp,
            bisect_batch_on_function_error=flag(raw, "bisectBatchOnFunctionError", path, check, False),
            maximum_retry_attempts=retries,
            maximum_record_age=age,
            parallelization_factor=bounded("parallelizationFactor", PARALLELIZATION, 1),
            maximum_batching_window=bounded("batchWindow", BATCHING_WINDOW_S, 0),
            tumbling_window=optional("tumblingWindowInSeconds", TUMBLING_WINDOW_S, None),
            on_failure=on_failure,
            function_response_types=types,
            enabled=flag(raw, "enabled", path, check, True),
            filter_patterns=filter_patterns(raw, path, check),
            metrics=metrics_config(raw, path, check, QUEUE_AND_STREAM_METRICS, source=label),
        )
    ]


def dynamodb(where: Where) -> JsonObject:
    """DynamoDB Streams (`stream:` with a DynamoDB stream ARN). https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html"""
    table = f"arn:aws:dynamodb:{where.region}:{where.account_id}:table/example-table"
    return {
        "Records": [
            {
                "eventID": "1",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": where.region,
                "dynamodb": {
                    "ApproximateCreationDateTime": where.now_ms // 1000,
                    "Keys": {"Id": {"N": "101"}},
                    "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
                    "SequenceNumber": "111",
                    "SizeBytes": 26,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": f"{table}/stream/2023-11-14T22:13:20.000",
            }
        ]
    }


def name(event: EventSpec) -> str:
    return source_name(event.settings_as(StreamEvent).arn)


def grants(event: EventSpec) -> list[iam.Grant]:
    """Lambda's poller reads the stream with the function's role, and sends failed batches to `onFailure`."""
    s = event.settings_as(StreamEvent)
    actions = iam.KINESIS_STREAM_ACTIONS if s.source == "kinesis" else iam.DYNAMODB_STREAM_ACTIONS
    found: list[iam.Grant] = [(actions, s.arn)]
    if s.on_failure:
        found.append(iam.send_grant(s.on_failure))
    return found


def render(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(StreamEvent)
    spec = StreamMapping(
        source_arn=s.arn,
        function_arn=target.alias_arn,
        batch_size=s.batch_size,
        maximum_batching_window=s.maximum_batching_window,
        function_response_types=tuple(s.function_response_types),
        enabled=s.enabled,
        filter_patterns=tuple(sorted(s.filter_patterns)),
        starting_position=s.starting_position,
        starting_position_timestamp=s.starting_position_timestamp,
        bisect_batch_on_function_error=s.bisect_batch_on_function_error,
        maximum_retry_attempts=s.maximum_retry_attempts,
        maximum_record_age=s.maximum_record_age,
        parallelization_factor=s.parallelization_factor,
        tumbling_window=s.tumbling_window,
        on_failure=s.on_failure,
        metrics=s.metrics,
    )
    return [mapping(target, "stream", name, spec)]


TRIGGER = TriggerType(
    parse=parse_stream,
    name=name,
    render=render,
    grants=grants,
    samples={"dynamodb": dynamodb},
    kinds=("event_source_mapping",),
)
