"""An in-memory double of fnship's own CloudWatch Logs read adapter (fnship.aws.logs_read_api.LogsReadApi),
behaving as the AWS docs say:
- FilterLogEvents returns events with timestamp in [startTime, endTime], pages of `page_size` with a nextToken
  (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html);
- StartLiveTail streams a sessionStart, then sessionUpdates with events ingested after the session started,
  at most 10 groups a session, until the session ends
  (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartLiveTail.html).
"""

from __future__ import annotations

from collections.abc import Iterator

from fnship.aws.logs_read_api import LIVE_TAIL_MAX_GROUPS, LiveTailUpdate

ARN = "arn:aws:logs:us-east-1:123456789012:log-group:{}"


class FakeLogs:
    def __init__(self, *, page_size: int = 2) -> None:
        self.groups: dict[str, list[dict]] = {}
        self.page_size = page_size
        self.filter_calls: list[tuple[str, int | None]] = []
        self.sessions: list[list[str]] = []
        self.scripts: list[list] = []  # per session opened: items to stream (LiveTailUpdate or exception)
        self.unavailable: Exception | None = None
        self.throttle_next = 0
        self._ids = 0

    def add(self, group: str, ts: int, message: str, stream: str = "s1") -> dict:
        self._ids += 1
        event = {"logStreamName": stream, "timestamp": ts, "message": message, "eventId": f"e{self._ids}"}
        self.groups.setdefault(group, []).append(event)
        return event

    # -- the adapter's interface ---------------------------------------------------------
    def filter_events(self, group, *, start_ms=None, end_ms=None, pattern=None, token=None):
        from fnship.errors import AwsError

        self.filter_calls.append((group, start_ms))
        if self.throttle_next:
            self.throttle_next -= 1
            raise AwsError(resource=group, action="FilterLogEvents", code="ThrottlingException", detail="Rate exceeded")
        events = sorted(
            (
                e
                for e in self.groups.get(group, [])
                if (start_ms is None or e["timestamp"] >= start_ms)
                and (end_ms is None or e["timestamp"] <= end_ms)
                and (not pattern or pattern in e["message"])
            ),
            key=lambda e: e["timestamp"],
        )
        offset = int(token or 0)
        page = events[offset : offset + self.page_size]
        more = offset + self.page_size < len(events)
        return [dict(e) for e in page], str(offset + self.page_size) if more else None

    def group_arn(self, group):
        return ARN.format(group) if group in self.groups else None

    def live_tail(self, group_arns, *, pattern=None) -> Iterator[LiveTailUpdate]:
        assert len(group_arns) <= LIVE_TAIL_MAX_GROUPS
        if self.unavailable is not None:
            raise self.unavailable
        self.sessions.append(list(group_arns))
        script = self.scripts.pop(0) if self.scripts else []
        yield LiveTailUpdate(started=True)
        for item in script:
            if isinstance(item, BaseException):
                raise item
            if callable(item):
                item()
                continue
            yield item


def result(group: str, ts: int, message: str, stream: str = "s1") -> dict:
    return {
        "logGroupIdentifier": ARN.format(group),
        "logStreamName": stream,
        "message": message,
        "timestamp": ts,
        "ingestionTime": ts + 5,
    }
