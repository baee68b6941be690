"""CloudWatch Logs, write side: put one invocation's log lines into a stream, as Lambda does.

Used for handlers run on this machine against the local emulator, so `fn logs --local` shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from fnship.aws.calls import aws_call, error_code, error_message
from fnship.errors import AwsError

if TYPE_CHECKING:
    from mypy_boto3_logs.client import CloudWatchLogsClient

# PutLogEvents takes at most 10,000 events or 1,048,576 bytes (each event counts 26 bytes more) per call.
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
MAX_EVENTS_PER_CALL = 10_000
MAX_BYTES_PER_CALL = 1_048_576
EVENT_OVERHEAD_BYTES = 26


class LogsWriteApi:
    def __init__(self, client: CloudWatchLogsClient) -> None:
        self._client = client

    def write_stream(self, group: str, stream: str, events: Sequence[tuple[int, str]], *, create: bool = True) -> None:
        """Create `group` (if missing) and `stream` (unless `create` is false: an earlier call did), and put
        `events` ((timestamp ms, message)) in time order."""
        from botocore.exceptions import BotoCoreError, ClientError

        creates: list[tuple[str, Callable[[], object]]] = [
            ("CreateLogGroup", lambda: self._client.create_log_group(logGroupName=group)),
            ("CreateLogStream", lambda: self._client.create_log_stream(logGroupName=group, logStreamName=stream)),
        ]
        for action, create_one in creates if create else []:
            try:
                create_one()
            except ClientError as exc:
                if error_code(exc) != "ResourceAlreadyExistsException":
                    raise AwsError(
                        resource=f"log group {group}", action=action, code=error_code(exc), detail=error_message(exc)
                    ) from exc
            except BotoCoreError as exc:
                raise AwsError(
                    resource=f"log group {group}", action=action, code=type(exc).__name__, detail=str(exc)
                ) from exc
        for batch in _batches(sorted(events, key=lambda e: e[0])):
            aws_call(
                f"log stream {group} {stream}",
                "PutLogEvents",
                self._client.put_log_events,
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": ts, "message": message} for ts, message in batch],
            )


def _batches(events: Sequence[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    batches: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    size = 0
    for ts, message in events:
        cost = len(message.encode()) + EVENT_OVERHEAD_BYTES
        if current and (len(current) >= MAX_EVENTS_PER_CALL or size + cost > MAX_BYTES_PER_CALL):
            batches.append(current)
            current, size = [], 0
        current.append((ts, message or " "))  # an empty message is rejected
        size += cost
    if current:
        batches.append(current)
    return batches
