"""Lambda's SQS poller, inside the emulator's process: each enabled SQS event source mapping reads its queue in
batches of its size and invokes its function with them (fnship/local/function_host.py). A batch that succeeds
is deleted; with `ReportBatchItemFailures` only the items the function names stay on the queue; a function error
leaves the whole batch, visible again after the queue's visibility timeout, as Lambda does.
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from fnship.jsonvalue import JsonObject

if TYPE_CHECKING:
    from moto.awslambda.models import EventSourceMapping, LambdaBackend
    from moto.sqs.models import Message

    from fnship.local.function_host import FunctionHost

# Moto's Lambda backend of a region, with one of its event source mappings.
Found = tuple["LambdaBackend", "EventSourceMapping"]

POLL_INTERVAL_S = 0.1


def run_sqs(host: FunctionHost, stop: threading.Event, *, interval_s: float = POLL_INTERVAL_S) -> None:
    poll_each(
        lambda: mappings(lambda arn: ":sqs:" in arn),
        lambda backend, esm: deliver_batch(host, backend, esm),
        stop,
        interval_s=interval_s,
        what="SQS",
    )


def poll_each(
    found: Callable[[], list[Found]],
    deliver: Callable[[LambdaBackend, EventSourceMapping], object],
    stop: threading.Event,
    *,
    interval_s: float,
    what: str,
) -> None:
    """Every `interval_s`, `deliver(backend, mapping)` for each mapping `found`, each in a thread of its own and
    never twice at once for one mapping (Lambda's pollers read a source one batch at a time)."""
    busy: set[str] = set()
    lock = threading.Lock()
    while not stop.wait(interval_s):
        for backend, esm in found():
            with lock:
                if esm.uuid in busy:
                    continue
                busy.add(esm.uuid)

            def run(backend: LambdaBackend = backend, esm: EventSourceMapping = esm) -> None:
                try:
                    deliver(backend, esm)
                except Exception as exc:  # the poller goes on: say it in the emulator's log
                    print(f"fnship emulator: {what} delivery for {esm.function_arn} failed: {exc!r}", flush=True)
                finally:
                    with lock:
                        busy.discard(esm.uuid)

            threading.Thread(target=run, daemon=True).start()


def mappings(source: Callable[[str], bool]) -> list[Found]:
    """(moto Lambda backend, event source mapping) of every enabled mapping whose source ARN `source` accepts."""
    from moto.awslambda.models import lambda_backends

    found: list[Found] = []
    for regions in list(lambda_backends.values()):
        for backend in list(regions.values()):
            by_uuid: dict[str, EventSourceMapping] = getattr(backend, "_event_source_mappings", {})  # (moto's own)
            for esm in list(by_uuid.values()):
                if source(esm.event_source_arn) and esm.enabled:
                    found.append((backend, esm))
    return found


def _record(message: Message, *, queue_arn: str, region: str) -> JsonObject:
    attributes: JsonObject = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if message.group_id:
        attributes["MessageGroupId"] = message.group_id
    if message.deduplication_id:
        attributes["MessageDeduplicationId"] = message.deduplication_id
    if message.sequence_number:
        attributes["SequenceNumber"] = message.sequence_number
    message_attributes: JsonObject = {}
    for name, value in (message.message_attributes or {}).items():
        kind = value.get("data_type") or value.get("DataType") or "String"
        entry: JsonObject = {"dataType": kind, "stringListValues": [], "binaryListValues": []}
        if "string_value" in value or "StringValue" in value:
            entry["stringValue"] = value.get("string_value", value.get("StringValue"))
        if "binary_value" in value or "BinaryValue" in value:
            entry["binaryValue"] = value.get("binary_value", value.get("BinaryValue"))
        message_attributes[name] = entry
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def failed_ids(payload: bytes) -> set[str] | None:
    """The items a ReportBatchItemFailures answer names; None when the answer is not such a document (then the
    whole batch counts as failed, as Lambda treats an invalid response)."""
    try:
        value = json.loads(payload) if payload.strip() else None
    except ValueError:
        return None
    if value is None or (isinstance(value, dict) and not value.get("batchItemFailures")):
        return set()
    if not isinstance(value, dict) or not isinstance(value.get("batchItemFailures"), list):
        return None
    ids = set()
    for item in value["batchItemFailures"]:
        if not isinstance(item, dict) or not item.get("itemIdentifier"):
            return None
        ids.add(str(item["itemIdentifier"]))
    return ids


def deliver_batch(host: FunctionHost, lambda_backend: LambdaBackend, esm: EventSourceMapping) -> int:
    """One batch from the mapping's queue to its function; how many messages were received."""
    from moto.sqs.models import sqs_backends

    queue_name = esm.event_source_arn.rsplit(":", 1)[1]
    sqs = sqs_backends[lambda_backend.account_id][lambda_backend.region_name]
    queue = sqs.get_queue(queue_name)
    visibility = int(queue.attributes["VisibilityTimeout"])
    messages = sqs.receive_message(queue_name, int(esm.batch_size or 10), 0, visibility, ["All"])
    if not messages:
        return 0
    event = {"Records": [_record(m, queue_arn=queue.queue_arn, region=queue.region) for m in messages]}
    function = lambda_backend.get_function(esm.function_arn)
    outcome = host.invoke(function, json.dumps(event).encode(), invoked_arn=esm.function_arn)
    if outcome.error_type:
        return len(messages)  # the batch stays; visible again after the visibility timeout
    keep: set[str] = set()
    if "ReportBatchItemFailures" in (esm.function_response_types or []):
        named = failed_ids(outcome.payload)
        keep = {m.id for m in messages} if named is None else named
    for message in messages:
        if message.id not in keep:
            sqs.delete_message(queue_name, str(message.receipt_handle))
    return len(messages)
