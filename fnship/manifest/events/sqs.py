"""`sqs` events: an event source mapping from a queue. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fnship.manifest.events.common import (
    BATCHING_WINDOW_S,
    EventContext,
    batch_limit,
    filter_patterns,
    flag,
    response_types,
    short_or_mapping,
    want_arn,
    want_bounded,
)
from fnship.manifest.types import KeyPath

SQS_KEYS = frozenset(
    {
        "arn",
        "batchSize",
        "maximumBatchingWindow",
        "functionResponseType",
        "maximumConcurrency",
        "enabled",
        "filterPatterns",
    }
)
# https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
SQS_BATCH = (1, 10000)
SQS_FIFO_BATCH_MAX = 10
SQS_UNBATCHED_MAX = 10  # a batch size above 10 needs a batching window of at least 1 s
MAX_CONCURRENCY = (2, 1000)


@dataclass(frozen=True)
class SqsEvent:
    """An event source mapping from a queue, with Lambda's defaults filled in."""

    arn: str
    batch_size: int
    maximum_batching_window: int
    function_response_types: tuple[str, ...]
    maximum_concurrency: int | None
    enabled: bool
    filter_patterns: tuple[str, ...]


def parse_sqs(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[SqsEvent]:
    check = ctx.check
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
        )
    ]
