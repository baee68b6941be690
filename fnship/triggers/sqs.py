"""`sqs` events: an event source mapping from a queue into the alias, which Lambda's poller reads with the
function's role. Parse, render, grants and sample event in one place. Pure."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from fnship.jsonvalue import JsonObject
from fnship.kinds.event_source_mapping import Pollers, QueueMapping
from fnship.local.events import Where, stable_id
from fnship.manifest.events.common import (
    BATCHING_WINDOW_S,
    QUEUE_AND_STREAM_METRICS,
    SQS_POLLERS,
    EventContext,
    batch_limit,
    filter_patterns,
    flag,
    metrics_config,
    provisioned_pollers,
    response_types,
    short_or_mapping,
    want_arn,
    want_bounded,
)
from fnship.manifest.types import EventSettings, EventSpec, KeyPath, ValueMap
from fnship.model import iam
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target
from fnship.model.triggers.sources import mapping, source_name
from fnship.triggers.base import TriggerType

SQS_KEYS = frozenset(
    {
        "arn",
        "batchSize",
        "maximumBatchingWindow",
        "functionResponseType",
        "maximumConcurrency",
        "enabled",
        "filterPatterns",
        "provisioned",  # Serverless v4: {mode, minimumPollers, maximumPollers}
        "provisionedPollers",  # {minimum, maximum}
        "metricsConfig",
    }
)
# https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
SQS_BATCH = (1, 10000)
SQS_FIFO_BATCH_MAX = 10
SQS_UNBATCHED_MAX = 10  # a batch size above 10 needs a batching window of at least 1 s
MAX_CONCURRENCY = (2, 1000)


@dataclass(frozen=True)
class SqsEvent(EventSettings):
    """An event source mapping from a queue, with Lambda's defaults filled in."""

    arn: str
    batch_size: int
    maximum_batching_window: int
    function_response_types: tuple[str, ...]
    maximum_concurrency: int | None
    enabled: bool
    filter_patterns: tuple[str, ...]
    provisioned_pollers: tuple[int, int] | None = None  # (minimum, maximum): provisioned mode; None: on demand
    metrics: tuple[str, ...] = ()


def parse_sqs(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[SqsEvent]:
    check = ctx.check
    raw: ValueMap
    if isinstance(value, dict) and ("Fn::GetAtt" in value or "Ref" in value):
        raw, arn_path = {"arn": value}, path  # `sqs: {Fn::GetAtt: ...}`: reported as unsupported below
    else:
        found = short_or_mapping(
            value, path, check, key="arn", keys=SQS_KEYS, what="a queue ARN or a mapping (arn, batchSize, ...)"
        )
        if found is None:
            return []
        raw, arn_path = found
    arn = want_arn(raw["arn"], arn_path, check, services=("sqs",), what="SQS queue")
    fifo = bool(arn and arn.endswith(".fifo"))
    window = 0
    if raw.get("maximumBatchingWindow") is not None:
        window = (
            want_bounded(raw["maximumBatchingWindow"], (*path, "maximumBatchingWindow"), check, BATCHING_WINDOW_S) or 0
        )
        if fifo and window:
            # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
            check.error(
                (*path, "maximumBatchingWindow"),
                "a FIFO queue takes no batching window (AWS refuses it)",
                "remove maximumBatchingWindow, or set it to 0",
            )
            window = 0
    bounds = (SQS_BATCH[0], SQS_FIFO_BATCH_MAX) if fifo else SQS_BATCH
    source = "a FIFO SQS queue" if fifo else "SQS"
    batch = batch_limit(raw.get("batchSize"), (*path, "batchSize"), check, bounds, source=source, default=10)
    if batch > SQS_UNBATCHED_MAX and window < 1:
        check.error(
            (*path, "batchSize"),
            f"a batchSize of {batch} (above {SQS_UNBATCHED_MAX}) needs maximumBatchingWindow of at least 1 second",
        )
    types = response_types(raw, path, check)
    concurrency = None
    if raw.get("maximumConcurrency") is not None:
        concurrency = want_bounded(raw["maximumConcurrency"], (*path, "maximumConcurrency"), check, MAX_CONCURRENCY)
    if arn is None:
        return []
    return [
        SqsEvent(
            arn=arn,
            batch_size=batch,
            maximum_batching_window=window,
            function_response_types=types,
            maximum_concurrency=concurrency,
            enabled=flag(raw, "enabled", path, check, True),
            filter_patterns=filter_patterns(raw, path, check),
            provisioned_pollers=provisioned_pollers(raw, path, check, SQS_POLLERS),
            metrics=metrics_config(raw, path, check, QUEUE_AND_STREAM_METRICS, source="an SQS event source mapping"),
        )
    ]


def sqs(where: Where) -> JsonObject:
    """https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html"""
    body = json.dumps({"hello": "world"})
    return {
        "Records": [
            {
                "messageId": stable_id("sqs-message"),
                "receiptHandle": "MessageReceiptHandle",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(where.now_ms),
                    "SenderId": where.account_id,
                    "ApproximateFirstReceiveTimestamp": str(where.now_ms + 2),
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),  # noqa: S324 - SQS's own digest
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{where.region}:{where.account_id}:example-queue",
                "awsRegion": where.region,
            }
        ]
    }


def name(event: EventSpec) -> str:
    return source_name(event.settings_as(SqsEvent).arn)


def grants(event: EventSpec) -> list[iam.Grant]:
    """Lambda's poller reads the queue with the function's role."""
    return [(iam.SQS_POLL_ACTIONS, event.settings_as(SqsEvent).arn)]


def render(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(SqsEvent)
    spec = QueueMapping(
        source_arn=s.arn,
        function_arn=target.alias_arn,
        batch_size=s.batch_size,
        maximum_batching_window=s.maximum_batching_window,
        function_response_types=tuple(s.function_response_types),
        maximum_concurrency=s.maximum_concurrency,
        enabled=s.enabled,
        filter_patterns=tuple(sorted(s.filter_patterns)),
        provisioned_pollers=Pollers(*s.provisioned_pollers) if s.provisioned_pollers else None,
        metrics=s.metrics,
    )
    return [mapping(target, "sqs", name, spec)]


TRIGGER = TriggerType(
    parse=parse_sqs, name=name, render=render, grants=grants, samples={"sqs": sqs}, kinds=("event_source_mapping",)
)
