"""The emulator's stream poller as Lambda polls a DynamoDB or Kinesis stream: batches of the batch size from one
shard in order, the batching window, function errors retried (bisected, up to the retry limit, then skipped),
ReportBatchItemFailures checkpointing at the lowest failed sequence number. A fake shard and an injected clock:
https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html"""

from __future__ import annotations

import json

from fnship.local.streams import Settings, StreamMapping


class Stream:
    """One shard (or more) of records `r1`, `r2`, ... with sequence numbers 101, 102, ..."""

    def __init__(self, **shards: int) -> None:
        self.shards = {name: [f"r{i}" for i in range(1, count + 1)] for name, count in shards.items()}

    def write(self, shard: str, *values: str) -> None:
        self.shards[shard].extend(values)

    def read(self, shard: str, position: int) -> list[tuple[str, dict]]:
        return [(str(101 + i), {"value": v, "seq": str(101 + i)}) for i, v in enumerate(self.shards[shard])][position:]


class Function:
    """Records every batch it gets; answers with what `answer(values)` returns: (error, payload)."""

    def __init__(self, answer=None) -> None:
        self.batches: list[list[str]] = []
        self.answer = answer or (lambda values, records: (None, b"null"))

    def __call__(self, event: bytes):
        records = json.loads(event)["Records"]
        values = [r["value"] for r in records]
        self.batches.append(values)
        return self.answer(values, records)


def mapping(stream: Stream, now: list[float], **settings) -> StreamMapping:
    return StreamMapping(
        Settings(**settings), shards=lambda: list(stream.shards), read=stream.read, clock=lambda: now[0]
    )


def drain(m: StreamMapping, function: Function) -> None:
    while m.poll(function):
        pass


def test_batches_of_the_batch_size_in_order_one_shard_at_a_time():
    stream, now = Stream(a=5, b=2), [0.0]
    function = Function()
    drain(mapping(stream, now, batch_size=2), function)
    assert function.batches == [["r1", "r2"], ["r1", "r2"], ["r3", "r4"], ["r5"]]  # shard a and b interleaved
    stream.write("a", "r6")
    m = mapping(stream, now, batch_size=2)
    drain(m, function)  # a new mapping on the same stream starts at the beginning (TRIM_HORIZON)
    assert function.batches[-1] == ["r5", "r6"]


def test_the_batching_window_waits_for_a_full_batch_until_it_closes():
    stream, now = Stream(a=1), [0.0]
    function = Function()
    m = mapping(stream, now, batch_size=3, window_s=10)
    assert m.poll(function) == 0  # one record, window open
    stream.write("a", "r2")
    now[0] = 9.9
    assert m.poll(function) == 0
    now[0] = 10.0  # ten seconds after the first record was seen
    assert m.poll(function) == 1 and function.batches == [["r1", "r2"]]
    stream.write("a", "r3", "r4", "r5")
    assert m.poll(function) == 1 and function.batches[-1] == ["r3", "r4", "r5"]  # a full batch goes at once


def test_reported_failures_checkpoint_at_the_lowest_failed_sequence_number():
    stream, now = Stream(a=5), [0.0]
    failed_once: set[str] = set()

    def answer(values, records):
        bad = [r for r in records if r["value"] in ("r3", "r4") and r["value"] not in failed_once]
        failed_once.update(r["value"] for r in bad)
        # Both named: Lambda takes the lowest (r3) as the checkpoint; r2 before it is done.
        return None, json.dumps({"batchItemFailures": [{"itemIdentifier": r["seq"]} for r in reversed(bad)]}).encode()

    function = Function(answer)
    drain(mapping(stream, now, batch_size=3, report_failures=True), function)
    assert function.batches == [["r1", "r2", "r3"], ["r3", "r4", "r5"], ["r4", "r5"]]


def test_an_invalid_failure_report_fails_the_whole_batch():
    stream, now = Stream(a=2), [0.0]
    answers = iter([b'{"batchItemFailures": [{"itemIdentifier": ""}]}', b'{"batchItemFailures": []}'])
    function = Function(lambda values, records: (None, next(answers)))
    drain(mapping(stream, now, batch_size=2, report_failures=True), function)
    assert function.batches == [["r1", "r2"], ["r1", "r2"]]


def test_without_report_failures_a_failure_document_is_just_an_answer():
    stream, now = Stream(a=2), [0.0]
    function = Function(lambda values, records: (None, b'{"batchItemFailures": [{"itemIdentifier": "101"}]}'))
    drain(mapping(stream, now, batch_size=2), function)
    assert function.batches == [["r1", "r2"]]


def test_a_function_error_retries_with_backoff_up_to_the_limit_then_skips_the_batch():
    stream, now = Stream(a=3), [0.0]
    function = Function(lambda values, records: ("Unhandled", b"{}") if "r1" in values else (None, b"null"))
    lines: list[str] = []
    m = StreamMapping(Settings(batch_size=2, max_retries=2), shards=lambda: ["a"], read=stream.read,
                      clock=lambda: now[0], log=lines.append)  # fmt: skip
    drain(m, function)
    assert function.batches == [["r1", "r2"], ["r1", "r2"]]  # the first retry at once, the next after a backoff
    assert m.poll(function) == 0  # the shard waits: ordering holds, r3 is not sent past the failing batch
    now[0] += 60
    drain(m, function)
    assert function.batches == [["r1", "r2"], ["r1", "r2"], ["r1", "r2"], ["r3"]]  # 1 + 2 retries, then skipped
    assert "skipping 2 records (101 .. 102)" in lines[-1] and "MaximumRetryAttempts (2)" in lines[-1]


def test_bisect_on_function_error_halves_the_failing_batch():
    stream, now = Stream(a=4), [0.0]
    function = Function(lambda values, records: ("Unhandled", b"{}") if "r4" in values else (None, b"null"))
    m = mapping(stream, now, batch_size=4, bisect=True, max_retries=1)
    drain(m, function)
    now[0] += 60
    drain(m, function)
    # [r1..r4] fails and is halved; [r1, r2] goes through; the rest fails and is halved again, until the failing
    # record is alone: retried up to the limit (1), then skipped.
    assert function.batches == [["r1", "r2", "r3", "r4"], ["r1", "r2"], ["r3", "r4"], ["r3"], ["r4"], ["r4"]]


def test_records_older_than_the_maximum_age_are_skipped_when_retrying():
    stream, now = Stream(a=2), [0.0]
    function = Function(lambda values, records: ("Unhandled", b"{}"))
    m = mapping(stream, now, batch_size=2, max_age_s=30)
    drain(m, function)
    now[0] = 31
    drain(m, function)
    calls = len(function.batches)
    now[0] = 100
    drain(m, function)
    assert len(function.batches) == calls  # given up: nothing more is sent


def test_a_latest_mapping_starts_at_the_shards_ends():
    stream, now = Stream(a=3), [0.0]
    function = Function()
    m = StreamMapping(Settings(batch_size=10), shards=lambda: ["a"], read=stream.read, starts={"a": 3},
                      clock=lambda: now[0])  # fmt: skip
    assert m.poll(function) == 0
    stream.write("a", "r4")
    drain(m, function)
    assert function.batches == [["r4"]]


def test_a_batch_given_up_is_described_to_the_on_failure_destination():
    """https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html (the record's shape)."""
    stream, now = Stream(**{"shardId-0": 3}), [0.0]
    sent: list[dict] = []
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
    function_arn = "arn:aws:lambda:us-east-1:123456789012:function:svc-dev-f:7"
    m = StreamMapping(Settings(batch_size=2, max_retries=1), shards=lambda: ["shardId-0"], read=stream.read,
                      clock=lambda: now[0], on_failure=sent.append, source_arn=arn,
                      function_arn=function_arn)  # fmt: skip
    function = Function(lambda values, records: ("Unhandled", b"{}") if "r1" in values else (None, b"null"))
    drain(m, function)
    now[0] += 60
    drain(m, function)
    assert function.batches == [["r1", "r2"], ["r1", "r2"], ["r3"]]
    (record,) = sent
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["functionArn"] == function_arn
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "7", "functionError": "Unhandled"}
    info = record["KinesisBatchInfo"]
    assert (info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        "shardId-0", "101", "102", 2)  # fmt: skip
    assert info["streamArn"] == arn and record["version"] == "1.0"


def test_the_on_failure_record_goes_to_the_emulators_queue():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    from fnship.local.streams import send_to_destination

    backend = sqs_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"]
    queue = backend.create_queue("stream-failures")
    try:
        send_to_destination(queue.queue_arn, {"version": "1.0", "DDBStreamBatchInfo": {"batchSize": 1}}, log=print)
        (message,) = backend.receive_message("stream-failures", 10, 0, 30)
        assert json.loads(message.body) == {"version": "1.0", "DDBStreamBatchInfo": {"batchSize": 1}}
    finally:
        backend.delete_queue("stream-failures")
