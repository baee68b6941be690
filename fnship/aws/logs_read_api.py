"""CloudWatch Logs, read side: FilterLogEvents pages and StartLiveTail sessions, parsed into plain dicts.

Read-only AWS calls. The live-tail event stream is parsed by `parse_live_tail_event`, a pure function tested on
recorded stream shapes (the emulator does not implement StartLiveTail).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from fnship.aws.calls import aws_call, error_code, error_message
from fnship.errors import AwsError

if TYPE_CHECKING:
    from mypy_boto3_logs.client import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import (
        FilteredLogEventTypeDef,
        FilterLogEventsRequestTypeDef,
        StartLiveTailRequestTypeDef,
        StartLiveTailResponseStreamTypeDef,
    )

# StartLiveTail takes at most 10 log groups per session.
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartLiveTail.html
LIVE_TAIL_MAX_GROUPS = 10

# Answers that mean "live tail is not available here" (not a failure of the tail): the action is unknown to the
# endpoint (emulators answer 500 or UnknownOperation), the caller lacks logs:StartLiveTail, or the streaming
# host cannot be reached.
UNAVAILABLE_CODES = frozenset(
    {
        "InternalFailure",
        "InternalServerError",
        "500",
        "404",
        "UnknownOperationException",
        "InvalidAction",
        "AccessDeniedException",
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "UnrecognizedClientException",
        "OperationAbortedException",
    }
)


class LiveTailUnavailable(Exception):
    """StartLiveTail cannot be used here; the caller falls back to polling. Carries AWS's reason."""


class LiveTailEnded(Exception):
    """The session stream ended by AWS (SessionTimeoutException after 3 hours, SessionStreamingException)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class LiveTailResult(TypedDict):
    """One log event of a live-tail session update."""

    logGroupIdentifier: str  # the group's ARN
    logStreamName: str
    message: str
    timestamp: int  # ms
    ingestionTime: int  # ms


@dataclass(frozen=True)
class LiveTailUpdate:
    """One item of a live-tail session: `started` for sessionStart, else the results of a sessionUpdate."""

    started: bool = False
    sampled: bool = False
    results: tuple[LiveTailResult, ...] = field(default_factory=tuple)


def parse_live_tail_event(raw: StartLiveTailResponseStreamTypeDef) -> LiveTailUpdate:
    """One event of StartLiveTail's responseStream -> LiveTailUpdate; a stream exception -> LiveTailEnded.

    Shapes (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartLiveTail.html):
    `{"sessionStart": {...}}`, `{"sessionUpdate": {"sessionMetadata": {"sampled": b}, "sessionResults": [...]}}`,
    `{"SessionTimeoutException": {"message": ...}}`, `{"SessionStreamingException": {"message": ...}}`.
    Each result: logStreamName, logGroupIdentifier (the group ARN), message, timestamp, ingestionTime (ms).
    """
    if "sessionStart" in raw:
        return LiveTailUpdate(started=True)
    if "sessionUpdate" in raw:
        update = raw["sessionUpdate"] or {}
        results = tuple(
            LiveTailResult(
                logGroupIdentifier=str(item.get("logGroupIdentifier", "")),
                logStreamName=str(item.get("logStreamName", "")),
                message=str(item.get("message", "")),
                timestamp=int(item.get("timestamp") or 0),
                ingestionTime=int(item.get("ingestionTime") or 0),
            )
            for item in update.get("sessionResults") or ()
        )
        return LiveTailUpdate(sampled=bool((update.get("sessionMetadata") or {}).get("sampled")), results=results)
    if "SessionTimeoutException" in raw:
        ended = raw["SessionTimeoutException"] or {}
        raise LiveTailEnded("SessionTimeoutException", str(ended.get("message", "")))
    if "SessionStreamingException" in raw:
        failed = raw["SessionStreamingException"] or {}
        raise LiveTailEnded("SessionStreamingException", str(failed.get("message", "")))
    raise LiveTailEnded("UnknownEvent", f"unexpected live tail event {sorted(raw)}")


class LogsReadApi:
    """`client` serves FilterLogEvents; `live_client()` makes the client for StartLiveTail's streaming host."""

    def __init__(self, client: CloudWatchLogsClient, *, live_client: Callable[[], CloudWatchLogsClient]) -> None:
        self._client = client
        self._live_client = live_client

    def filter_events(
        self,
        group: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        pattern: str | None = None,
        token: str | None = None,
    ) -> tuple[list[FilteredLogEventTypeDef], str | None]:
        """One FilterLogEvents page of `group`: (events, next token or None). A missing group has no events."""
        from botocore.exceptions import ClientError

        kwargs: FilterLogEventsRequestTypeDef = {"logGroupName": group, "interleaved": True}
        if start_ms is not None:
            kwargs["startTime"] = int(start_ms)
        if end_ms is not None:
            kwargs["endTime"] = int(end_ms)
        if pattern:
            kwargs["filterPattern"] = pattern
        if token:
            kwargs["nextToken"] = token
        try:
            page = self._client.filter_log_events(**kwargs)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return [], None  # not deployed yet, or no invocation has created the group: nothing to show
            raise AwsError(
                resource=f"log group {group}", action="FilterLogEvents", code=error_code(exc), detail=error_message(exc)
            ) from exc
        return list(page.get("events", [])), page.get("nextToken") or None

    def group_arn(self, group: str) -> str | None:
        """The log group's ARN without the trailing `:*` (the form StartLiveTail wants), or None when missing."""
        page = aws_call(
            f"log group {group}", "DescribeLogGroups", self._client.describe_log_groups, logGroupNamePrefix=group
        )
        for item in page.get("logGroups", []):
            if item["logGroupName"] == group:
                return str(item.get("logGroupArn") or item["arn"]).removesuffix(":*")
        return None

    def live_tail(self, group_arns: Sequence[str], *, pattern: str | None = None) -> Iterator[LiveTailUpdate]:
        """Open one StartLiveTail session over up to 10 groups and yield its updates until AWS ends it.

        Raises LiveTailUnavailable when the endpoint cannot serve live tail, LiveTailEnded when the session ends.
        """
        from botocore.exceptions import BotoCoreError, ClientError, EventStreamError

        if len(group_arns) > LIVE_TAIL_MAX_GROUPS:
            raise ValueError(f"StartLiveTail takes at most {LIVE_TAIL_MAX_GROUPS} log groups")
        kwargs: StartLiveTailRequestTypeDef = {"logGroupIdentifiers": list(group_arns)}
        if pattern:
            kwargs["logEventFilterPattern"] = pattern
        try:
            response = self._live_client().start_live_tail(**kwargs)
        except ClientError as exc:
            code = error_code(exc)
            if code in UNAVAILABLE_CODES or str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")) in (
                "404",
                "500",
                "501",
            ):
                raise LiveTailUnavailable(f"{code}: {error_message(exc)}") from exc
            raise AwsError(
                resource=", ".join(group_arns), action="StartLiveTail", code=code, detail=error_message(exc)
            ) from exc
        except BotoCoreError as exc:
            raise LiveTailUnavailable(f"{type(exc).__name__}: {exc}") from exc
        stream = response["responseStream"]
        try:
            for raw in stream:
                yield parse_live_tail_event(raw)
        except EventStreamError as exc:
            raise LiveTailEnded(error_code(exc), error_message(exc)) from exc
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
