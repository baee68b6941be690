"""Lambda's stream poller, inside the emulator's process: each enabled DynamoDB or Kinesis event source mapping
reads its stream's shards in order and invokes its function with batches, as Lambda does
(https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html, .../with-ddb.html):

- a batch is up to the mapping's `BatchSize` records of one shard, sent when it is full or when its first record
  has waited `MaximumBatchingWindowInSeconds` (0, the streams' default: at once);
- a shard's batches go one at a time, in order; a batch that fails blocks its shard until it succeeds or is given up;
- a function error retries the batch up to `MaximumRetryAttempts` (-1: until `MaximumRecordAgeInSeconds`, -1:
  forever), then the batch is skipped and described to the mapping's on-failure destination (SQS or SNS); with
  `BisectBatchOnFunctionError` a failed batch is first split in two, which does not use the retry quota;
  https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
- with `ReportBatchItemFailures` the answer's `batchItemFailures` set the checkpoint at the lowest sequence number
  named: the records before it are done, the next batch starts there (an invalid answer fails the whole batch).
  https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html

moto pushed every write to the function at once, one write at a time; fnship/local/moto_patches.py takes the
mappings away from moto's tables and streams, and this module reads them instead. Time is injected.
"""

from __future__ import annotations

import base64
import datetime
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from fnship.jsonvalue import JsonObject
from fnship.local.moto_patches import STARTS_ATTRIBUTE
from fnship.local.pollers import POLL_INTERVAL_S, failed_ids, mappings, poll_each

if TYPE_CHECKING:
    from moto.awslambda.models import EventSourceMapping, LambdaBackend
    from moto.dynamodb.models.table import StreamRecord, Table
    from moto.kinesis.models import Record as KinesisRecord
    from moto.kinesis.models import Stream

    from fnship.local.function_host import FunctionHost

T = TypeVar("T")

DEFAULT_BATCH = 100  # Lambda's default batch size for both stream types
RETRY_BACKOFF_S = (0.0, 0.5, 1.0, 2.0, 5.0)  # between the retries of a failing batch (Lambda backs off too)


@dataclass
class Settings:
    """What the poller reads of an event source mapping."""

    batch_size: int = DEFAULT_BATCH
    window_s: float = 0.0
    report_failures: bool = False
    bisect: bool = False
    max_retries: int = -1  # -1: no limit
    max_age_s: float = -1.0  # -1: no limit

    @classmethod
    def of(cls, esm: EventSourceMapping) -> Settings:
        def number(value: float | str | None, default: float) -> float:
            return default if value is None else float(value)

        return cls(
            batch_size=int(esm.batch_size or DEFAULT_BATCH),
            window_s=number(esm.max_batch_window, 0.0),
            report_failures="ReportBatchItemFailures" in (esm.function_response_types or []),
            bisect=bool(esm.bisect_on_error),
            max_retries=int(number(esm.max_retry_attempts, -1)),
            max_age_s=number(esm.max_record_age, -1),
        )


@dataclass
class Record:
    """One record of a shard: its sequence number (the checkpoint's unit), the Lambda event record, and when the
    poller first saw it (the batching window and the record's age count from there)."""

    sequence: str
    event: JsonObject
    seen: float


@dataclass
class Shard:
    """A shard's checkpoint (records before `position` are done) and the failing batch being retried."""

    position: int = 0
    seen: dict[int, float] = field(default_factory=dict)  # position -> first seen
    attempts: int = 0  # failed attempts of the batch at `position`
    error: str | None = None  # the function error of the last failed attempt
    limit: int | None = None  # a bisected batch's size
    retry_at: float = 0.0


Reader = Callable[[str, int], list[tuple[str, JsonObject]]]  # (shard, from position) -> (sequence, record)
Invoke = Callable[[bytes], tuple[str | None, bytes]]  # event -> (error type or None, payload)


class StreamMapping:
    """One mapping's reading of its stream. `shards()` names the shards; `read(shard, position)` gives the
    records from a position on. `poll()` sends what is due, at most one batch per shard."""

    def __init__(
        self,
        settings: Settings,
        *,
        shards: Callable[[], list[str]],
        read: Reader,
        starts: dict[str, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] = lambda _line: None,
        on_failure: Callable[[JsonObject], None] | None = None,
        source_arn: str = "",
        function_arn: str = "",
    ) -> None:
        self.settings = settings
        self._shards = shards
        self._read = read
        self._clock = clock
        self._log = log
        self._on_failure = on_failure
        self._source_arn = source_arn
        self._function_arn = function_arn
        self.state: dict[str, Shard] = {name: Shard(position=at) for name, at in (starts or {}).items()}

    def poll(self, invoke: Invoke) -> int:
        """Send every shard's next due batch; how many batches were sent."""
        sent = 0
        for name in self._shards():
            shard = self.state.setdefault(name, Shard())
            if self._poll_shard(name, shard, invoke):
                sent += 1
        return sent

    def _poll_shard(self, name: str, shard: Shard, invoke: Invoke) -> bool:
        now = self._clock()
        if now < shard.retry_at:
            return False
        pending = self._read(name, shard.position)
        if not pending:
            return False
        records = []
        for offset, (sequence, event) in enumerate(pending):
            seen = shard.seen.setdefault(shard.position + offset, now)
            records.append(Record(sequence, event, seen))
        size = min(self.settings.batch_size, shard.limit or self.settings.batch_size)
        batch = records[:size]
        if len(batch) < size and now - batch[0].seen < self.settings.window_s:
            return False  # the window is still open for a fuller batch
        if self.settings.max_age_s >= 0 and shard.attempts and now - batch[0].seen > self.settings.max_age_s:
            self._give_up(
                name, shard, batch, "RecordAgeExceeded", "its records are older than MaximumRecordAgeInSeconds"
            )
            return False
        error, payload = invoke(json.dumps({"Records": [r.event for r in batch]}).encode())
        if error is None and self.settings.report_failures:
            named = failed_ids(payload)
            sequences = [r.sequence for r in batch]
            if named is None or not named <= set(sequences):
                error = "an invalid batchItemFailures answer"  # Lambda fails the whole batch
            elif named:
                checkpoint = min(sequences.index(s) for s in named)
                self._done(shard, checkpoint)
                return self._failed(name, shard, batch[checkpoint:], "it reported failed items", error=None)
        if error is None:
            self._done(shard, len(batch))
            return True
        return self._failed(name, shard, batch, f"the function failed ({error})", error=error)

    def _done(self, shard: Shard, count: int) -> None:
        if count <= 0:
            return
        for position in range(shard.position, shard.position + count):
            shard.seen.pop(position, None)
        shard.position += count
        shard.attempts = 0
        shard.error = None
        shard.limit = None
        shard.retry_at = 0.0

    def _failed(self, name: str, shard: Shard, batch: list[Record], why: str, *, error: str | None) -> bool:
        """A failed attempt at `batch` (`error`: the function's, None: items it reported failed)."""
        shard.error = error
        if self.settings.bisect and error is not None and len(batch) > 1:
            # Split in two and retry at once; a split does not use the retry quota.
            shard.limit = (len(batch) + 1) // 2
            self._log(f"shard {name}: {why}; splitting the batch of {len(batch)} in two")
            return True
        shard.attempts += 1
        limit = self.settings.max_retries
        if limit >= 0 and shard.attempts > limit:
            self._give_up(name, shard, batch, "RetryAttemptsExhausted",
                          f"{why}, and MaximumRetryAttempts ({limit}) are used up")  # fmt: skip
            return True
        backoff = RETRY_BACKOFF_S[min(shard.attempts - 1, len(RETRY_BACKOFF_S) - 1)]
        shard.retry_at = self._clock() + backoff
        self._log(f"shard {name}: {why}; retrying from sequence number {batch[0].sequence}")
        return True

    def _give_up(self, name: str, shard: Shard, batch: list[Record], condition: str, why: str) -> None:
        self._log(f"shard {name}: skipping {len(batch)} records ({batch[0].sequence} .. {batch[-1].sequence}): {why}")
        if self._on_failure is not None:
            self._on_failure(self.failure_record(name, shard, batch, condition))
        self._done(shard, len(batch))

    def failure_record(self, name: str, shard: Shard, batch: list[Record], condition: str) -> JsonObject:
        """What Lambda sends the on-failure destination about a batch it gave up on.
        https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html"""
        kinesis = ":kinesis:" in self._source_arn
        info: JsonObject = {
            "shardId": name,
            "startSequenceNumber": batch[0].sequence,
            "endSequenceNumber": batch[-1].sequence,
            "approximateArrivalOfFirstRecord": _arrival(batch[0].event),
            "approximateArrivalOfLastRecord": _arrival(batch[-1].event),
            "batchSize": len(batch),
            "streamArn": self._source_arn,
        }
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._function_arn,
                "condition": condition,
                "approximateInvokeCount": shard.attempts,  # the invocations of this batch
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": _qualifier(self._function_arn),
                "functionError": "Unhandled" if shard.error else None,
            },
            "version": "1.0",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            ("KinesisBatchInfo" if kinesis else "DDBStreamBatchInfo"): info,
        }


def _qualifier(function_arn: str) -> str:
    """The version an event source mapping invokes: its function ARN's qualifier, `$LATEST` without one."""
    parts = function_arn.split(":")
    return parts[7] if len(parts) > 7 else "$LATEST"


def _arrival(event: JsonObject) -> str | None:
    """A record's arrival time, as the on-failure record writes it (ISO 8601, UTC)."""
    kinesis, dynamodb = event.get("kinesis"), event.get("dynamodb")
    seconds = kinesis.get("approximateArrivalTimestamp") if isinstance(kinesis, dict) else None
    if seconds is None and isinstance(dynamodb, dict):
        seconds = dynamodb.get("ApproximateCreationDateTime")
    if not isinstance(seconds, (int, float)):
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(float(seconds))) + f".{int(float(seconds) % 1 * 1000):03d}Z"


# -- moto's streams -----------------------------------------------------------------------------------------------
def is_stream(arn: str) -> bool:
    return ":kinesis:" in arn or (":dynamodb:" in arn and "/stream/" in arn)


def _dynamodb_table(account: str, region: str, arn: str) -> Table:
    from moto.dynamodb.models import dynamodb_backends

    name = arn.split(":table/", 1)[1].split("/stream/", 1)[0]
    return dynamodb_backends[account][region].get_table(name)


def _kinesis_stream(account: str, region: str, arn: str) -> Stream:
    from moto.kinesis.models import kinesis_backends

    return next(s for s in kinesis_backends[account][region].streams.values() if s.arn == arn)


def stream_ends(account: str, region: str, arn: str) -> dict[str, int]:
    """Shard -> its current end: where a LATEST mapping starts."""
    if ":kinesis:" in arn:
        stream = _kinesis_stream(account, region, arn)
        return {shard.shard_id: len(shard.records) for shard in list(stream.shards.values())}
    table = _dynamodb_table(account, region, arn)
    shard = table.stream_shard
    return {} if shard is None else {shard.id: len(shard.items)}


def moto_source(account: str, region: str, arn: str) -> tuple[Callable[[], list[str]], Reader]:
    """The shards and the reader of a moto DynamoDB stream or Kinesis stream, as Lambda's event records."""
    if ":kinesis:" in arn:

        def kinesis_shards() -> list[str]:
            return [shard.shard_id for shard in list(_kinesis_stream(account, region, arn).shards.values())]

        def kinesis_read(shard_id: str, position: int) -> list[tuple[str, JsonObject]]:
            stream = _kinesis_stream(account, region, arn)
            shard = next(s for s in list(stream.shards.values()) if s.shard_id == shard_id)
            records = _snapshot(lambda: list(shard.records.values()))[position:]
            return [(str(r.sequence_number), _kinesis_record(r, shard_id, arn, region)) for r in records]

        return kinesis_shards, kinesis_read

    def table_shards() -> list[str]:
        shard = _dynamodb_table(account, region, arn).stream_shard
        return [] if shard is None else [shard.id]

    def table_read(_shard_id: str, position: int) -> list[tuple[str, JsonObject]]:
        shard = _dynamodb_table(account, region, arn).stream_shard
        items = [] if shard is None else list(shard.items)[position:]
        found: list[tuple[str, JsonObject]] = []
        for item in items:
            sequence, record = _dynamodb_record(item, arn, region)
            found.append((sequence, record))
        return found

    return table_shards, table_read


def _snapshot(read: Callable[[], list[T]]) -> list[T]:
    """A copy of a moto collection another thread may be appending to."""
    for _ in range(10):
        try:
            return read()
        except RuntimeError:  # "mutated during iteration": read again
            continue
    return read()


def _epoch_seconds(moment: datetime.datetime | float | str) -> float:
    """A moto record's time: epoch seconds before moto 5.2.6, a timezone-aware datetime since."""
    if isinstance(moment, datetime.datetime):
        return moment.timestamp()
    return float(moment)


def _base64_text(data: bytes | str) -> str:
    """A moto record's data as base64 text: the text PutRecord took before moto 5.2.6, the decoded bytes since."""
    if isinstance(data, bytes):
        return base64.b64encode(data).decode("ascii")
    return str(data)


def _kinesis_record(record: KinesisRecord, shard_id: str, arn: str, region: str) -> JsonObject:
    """https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (the event's record)."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record.partition_key,
            "sequenceNumber": str(record.sequence_number),
            "data": _base64_text(record.data),  # base64, as Lambda hands it on
            "approximateArrivalTimestamp": round(_epoch_seconds(record.created_at), 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record.sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "",
        "awsRegion": region,
        "eventSourceARN": arn,
    }


def _dynamodb_record(item: StreamRecord, arn: str, region: str) -> tuple[str, JsonObject]:
    """(sequence number, the event's record): https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html"""
    record = item.to_json()  # moto's record enters here: JSON but for its creation time
    found = dict(record["dynamodb"])
    created = found.get("ApproximateCreationDateTime")
    if isinstance(created, datetime.datetime):  # moto keeps a datetime; the event has epoch seconds
        found["ApproximateCreationDateTime"] = int(created.timestamp())
    dynamodb: JsonObject = found
    return str(found["SequenceNumber"]), {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record["eventVersion"],
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": arn,
    }


def run_streams(host: FunctionHost, stop: threading.Event, *, interval_s: float = POLL_INTERVAL_S) -> None:
    """The emulator's stream poller: every enabled stream mapping of every moto Lambda backend, each polled in a
    thread of its own (one batch per shard at a time)."""
    readers: dict[str, StreamMapping] = {}

    def deliver(backend: LambdaBackend, esm: EventSourceMapping) -> None:
        mapping = readers.get(esm.uuid)
        if mapping is None:
            mapping = readers[esm.uuid] = _mapping(backend, esm)
        mapping.settings = Settings.of(esm)  # UpdateEventSourceMapping may have changed them
        function = backend.get_function(esm.function_arn)

        def invoke(event: bytes) -> tuple[str | None, bytes]:
            outcome = host.invoke(function, event, invoked_arn=esm.function_arn)
            return outcome.error_type, outcome.payload

        while mapping.poll(invoke):
            pass  # what is due now, shard by shard, until nothing is

    poll_each(lambda: mappings(is_stream), deliver, stop, interval_s=interval_s, what="stream")


def _mapping(backend: LambdaBackend, esm: EventSourceMapping) -> StreamMapping:
    account, region, arn = backend.account_id, backend.region_name, esm.event_source_arn
    shards, read = moto_source(account, region, arn)
    starts: dict[str, int] | None = getattr(esm, STARTS_ATTRIBUTE, None)
    if starts is None:
        starts = stream_ends(account, region, arn) if esm.starting_position == "LATEST" else {}

    def log(line: str) -> None:
        print(f"fnship emulator: {esm.function_arn}: {line}", flush=True)

    destination = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")

    def on_failure(document: JsonObject) -> None:
        if destination:
            send_to_destination(str(destination), document, log=log)

    return StreamMapping(Settings.of(esm), shards=shards, read=read, starts=dict(starts), log=log,
                         on_failure=on_failure, source_arn=arn, function_arn=esm.function_arn)  # fmt: skip


def send_to_destination(arn: str, document: JsonObject, *, log: Callable[[str], None]) -> None:
    """An on-failure record to an SQS queue or an SNS topic of the emulator (other destinations: logged)."""
    from moto.utilities.arns import parse_arn

    where = parse_arn(arn)
    body = json.dumps(document)
    if where.service == "sqs":
        from moto.sqs.models import sqs_backends

        sqs_backends[where.account][where.region].send_message(where.resource_id, body)
    elif where.service == "sns":
        from moto.sns.models import sns_backends

        sns_backends[where.account][where.region].publish(body, arn=arn)
    else:
        log(f"the on-failure destination {arn} is not sent to by the emulator (SQS and SNS are)")
