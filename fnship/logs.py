"""`fn logs`: fetch, merge, format and tail the functions' CloudWatch Logs.

Read-only AWS calls through `fnship.aws.logs_read_api` (the adapter's interface: `filter_events`, `group_arn`,
`live_tail`). Time is injected (`clock` in epoch seconds, `sleep`) so the tail loops are tested in milliseconds.
Formatting is pure: an event in, a `Line` (text, severity, JSON record) out; colours are the CLI's business.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fnship.errors import AwsError, FnError, InputError
from fnship.jsonvalue import Json, JsonMapping, JsonObject

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import FilteredLogEventTypeDef

    from fnship.aws.logs_read_api import LiveTailResult, LogsReadApi
    from fnship.manifest.types import Manifest

# Polling (FilterLogEvents): pause after an empty poll; back off on throttling (the API allows 5 requests per
# second per account and region: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/logs/cloudwatch_limits_cwl.html).
POLL_INTERVAL_S = 1.0
THROTTLE_BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0)
THROTTLING_CODES = frozenset({"ThrottlingException", "LimitExceededException", "RequestLimitExceeded", "Throttling"})
# Events can be ingested after later-stamped ones; each poll looks back this far and drops what it has shown.
LATE_ARRIVAL_MS = 10_000
# A live-tail session lasts at most 3 hours (then SessionTimeoutException); renew a little before that.
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/logs/CloudWatchLogs_LiveTail.html
LIVE_TAIL_RENEW_S = 3 * 3600 - 300
# A session that ends by itself sooner than this, MAX_EARLY_ENDS times in a row, means no real live tail.
MIN_SESSION_S = 5.0
MAX_EARLY_ENDS = 3
DEFAULT_SINCE = "10m"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


# ---------------------------------------------------------------- what to read


@dataclass(frozen=True)
class Source:
    """One function's log group."""

    key: str  # the function's key in the manifest: the label
    function_name: str
    group: str

    def owns(self, stream: str) -> bool:
        """Whether a stream of the group is this function's. A custom log group (`logs.logGroup`) may be shared:
        Lambda names the streams there `YYYY/MM/DD/<function_name>[<version>]<environment>`.
        https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html"""
        if self.group == f"/aws/lambda/{self.function_name}":
            return True
        return f"/{self.function_name}[" in stream


def sources_for(manifest: Manifest, keys: Sequence[str] = ()) -> list[Source]:
    from fnship.model.names import function_log_group

    chosen = list(keys) or list(manifest.functions)
    return [Source(key, manifest.functions[key].name, function_log_group(manifest.functions[key])) for key in chosen]


def parse_time(text: str, *, now: float, option: str = "--since") -> int:
    """`10m`, `1h`, `2d`, `30s`, `1w` (ago) or an ISO 8601 time (naive means UTC) -> epoch milliseconds."""
    relative = _RELATIVE.match(text)
    if relative:
        return int((now - int(relative.group(1)) * _UNITS[relative.group(2)]) * 1000)
    try:
        parsed = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{option} {text!r} is neither a duration nor an ISO 8601 time",
            hint=f"use e.g. {option} 10m, {option} 2h, {option} 2024-05-01T12:00:00Z",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return int(parsed.timestamp() * 1000)


# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class LogEvent:
    source: Source
    stream: str
    timestamp: int  # epoch ms
    message: str
    event_id: str = ""  # FilterLogEvents' eventId; live-tail results carry none

    @property
    def key(self) -> tuple[str, str, int, str]:
        """What a polled event and a live-tail result of the same line have in common (live tail has no id)."""
        return (self.source.group, self.stream, self.timestamp, self.message)


def _event(source: Source, raw: FilteredLogEventTypeDef | LiveTailResult) -> LogEvent:
    return LogEvent(
        source=source,
        stream=str(raw.get("logStreamName", "")),
        timestamp=int(raw.get("timestamp") or 0),
        message=str(raw.get("message", "")),
        event_id=str(raw.get("eventId", "")),
    )


def _read_group(
    api: LogsReadApi, source: Source, *, start_ms: int | None, end_ms: int | None, pattern: str | None
) -> list[LogEvent]:
    """Every page of one group: the next page is asked for until there is no token, so none is skipped."""
    events: list[LogEvent] = []
    token = None
    while True:
        page, token = api.filter_events(source.group, start_ms=start_ms, end_ms=end_ms, pattern=pattern, token=token)
        events.extend(_event(source, raw) for raw in page if source.owns(str(raw.get("logStreamName", ""))))
        if not token:
            return sorted(events, key=lambda e: (e.timestamp, e.stream))


def fetch(
    api: LogsReadApi,
    sources: Sequence[Source],
    *,
    start_ms: int | None,
    end_ms: int | None = None,
    pattern: str | None = None,
) -> list[LogEvent]:
    """Every event of `sources` in [start, end], merged by timestamp (ties: function, then stream)."""
    per_group = [_read_group(api, s, start_ms=start_ms, end_ms=end_ms, pattern=pattern) for s in sources]
    return list(heapq.merge(*per_group, key=lambda e: (e.timestamp, e.source.key, e.stream)))


# ---------------------------------------------------------------- formatting

_START = re.compile(r"^START RequestId: (\S+)(?: Version: (\S+))?")
_END = re.compile(r"^END RequestId: (\S+)")
_REPORT = re.compile(r"^REPORT RequestId: (\S+)")
_LOGGING = re.compile(r"^\[(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\]\t(\S+)\t(\S+)\t(.*)$", re.DOTALL)
_TIMED_OUT = re.compile(r"^(\S+Z)?\s*(\S+)?\s*Task timed out after")
_REPORT_FIELDS = {
    "Duration": "duration_ms",
    "Billed Duration": "billed_ms",
    "Memory Size": "memory_mb",
    "Max Memory Used": "max_memory_used_mb",
    "Init Duration": "init_ms",
    "Restore Duration": "restore_ms",  # SnapStart
    "Billed Restore Duration": "billed_restore_ms",
    "Status": "status",
}
ERROR_LEVELS = frozenset({"ERROR", "CRITICAL", "FATAL"})


@dataclass(frozen=True)
class Line:
    """A formatted event: the text, how loud it is (`error`, `warning`, `report`, `meta`, `normal`), the record."""

    text: str
    severity: str
    record: JsonObject = field(default_factory=dict)


def parse_report(message: str) -> JsonObject:
    """`REPORT RequestId: id\\tDuration: 1.2 ms\\tBilled Duration: 2 ms\\t...` -> numbers by field."""
    report: JsonObject = {}
    for part in message.split("\t")[1:]:
        name, _, value = part.partition(":")
        field_name = _REPORT_FIELDS.get(name.strip())
        if not field_name:
            continue
        value = value.strip()
        if field_name == "status":
            report[field_name] = value
            continue
        number = value.split()[0] if value else "0"
        try:
            report[field_name] = float(number) if "." in number else int(number)
        except ValueError:
            report[field_name] = value
    return report


def summarize_report(report: JsonMapping) -> str:
    parts = [f"{report.get('duration_ms', '?')} ms (billed {report.get('billed_ms', '?')} ms)"]
    if "max_memory_used_mb" in report or "memory_mb" in report:
        parts.append(f"{report.get('max_memory_used_mb', '?')}/{report.get('memory_mb', '?')} MB")
    if "init_ms" in report:
        parts.append(f"cold start, init {report['init_ms']} ms")
    if "restore_ms" in report:  # SnapStart: the environment was restored from the version's snapshot
        parts.append(f"restored from snapshot, Restore Duration {report['restore_ms']} ms")
    if report.get("status"):
        parts.append(f"status {report['status']}")
    return "REPORT " + " | ".join(parts)


def _parse_json(text: str) -> Json:
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


# JSON-format system logs (`logs.logFormat: JSON`): one JSON record per platform event, the text format's START, END
# and REPORT lines among them. https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html
_PLATFORM_METRICS = {
    "durationMs": "duration_ms",
    "billedDurationMs": "billed_ms",
    "memorySizeMB": "memory_mb",
    "maxMemoryUsedMB": "max_memory_used_mb",
    "initDurationMs": "init_ms",
    "restoreDurationMs": "restore_ms",
    "billedRestoreDurationMs": "billed_restore_ms",
}


def report_of_platform(record: JsonMapping) -> JsonObject:
    """A `platform.report` record as parse_report reads a text REPORT line (status only when not a success)."""
    found = record.get("metrics")
    metrics = found if isinstance(found, Mapping) else {}
    report: JsonObject = {}
    for key, name in _PLATFORM_METRICS.items():
        value = metrics.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            report[name] = value
    status = record.get("status")
    if status and status != "success":
        report["status"] = str(status)
    return report


def _platform_event(message: str) -> tuple[str, str, str, JsonObject] | None:
    """(kind, severity, text, record) of a JSON platform line; None for anything else."""
    data = _parse_json(message)
    if not isinstance(data, dict) or not str(data.get("type", "")).startswith("platform."):
        return None
    event_type = str(data["type"])
    found_record = data.get("record")
    record: JsonObject = found_record if isinstance(found_record, dict) else {}
    found: JsonObject = {"request_id": record.get("requestId"), "platform": event_type}
    if event_type == "platform.start":
        version = record.get("version")
        return "start", "meta", f"START version {version}" if version else "START", found
    if event_type == "platform.runtimeDone":
        status = record.get("status")
        failed = status not in (None, "success")
        return "end", "error" if failed else "meta", f"END status {status}" if failed else "END", found
    if event_type == "platform.report":
        report = report_of_platform(record)
        found["report"] = report
        severity = "error" if report.get("status") in ("timeout", "error", "failure") else "report"
        return "report", severity, summarize_report(report), found
    # initStart, initRuntimeDone, initReport, restoreStart, restoreReport...: said by name
    name = event_type.removeprefix("platform.")
    metrics = record.get("metrics")
    detail = record.get("restoreDurationMs") or (metrics.get("durationMs") if isinstance(metrics, dict) else None)
    return "platform", "meta", f"{name}" + (f" {detail} ms" if detail is not None else ""), found


def _is_error_text(text: str) -> bool:
    return (
        text.startswith("Traceback (most recent call last)")
        or text.startswith("[ERROR]")
        or "Task timed out after" in text
        or text.startswith("Runtime.")
    )


class Formatter:
    """Turns events into lines. Remembers the request id each stream is serving (from its START line), because
    print() output carries none, so every line can show whose request it belongs to."""

    def __init__(self, *, labels: bool, label_width: int = 0, pretty: bool = False) -> None:
        self.labels = labels
        self.label_width = label_width
        self.pretty = pretty
        self._current: dict[tuple[str, str], str] = {}

    def format(self, event: LogEvent) -> Line:
        message = event.message.rstrip("\n")
        stream_key = (event.source.group, event.stream)
        request_id = self._current.get(stream_key, "")
        kind, level, text, severity = "log", None, message, "normal"
        record: JsonObject = {}
        if match := _START.match(message):
            request_id = match.group(1)
            self._current[stream_key] = request_id
            kind, severity = "start", "meta"
            text = f"START version {match.group(2)}" if match.group(2) else "START"
        elif match := _END.match(message):
            request_id, kind, severity, text = match.group(1), "end", "meta", "END"
            self._current.pop(stream_key, None)
        elif match := _REPORT.match(message):
            request_id, kind, severity = match.group(1), "report", "report"
            report = parse_report(message)
            record["report"] = report
            text = summarize_report(report)
            if report.get("status") in ("timeout", "error"):
                severity = "error"
        elif match := _LOGGING.match(message):
            level = "WARNING" if match.group(1) == "WARN" else match.group(1)
            request_id = match.group(3) if match.group(3) not in ("", "None") else request_id
            body = match.group(4)
            data = _parse_json(body)
            if data is not None:
                record["data"] = data
                body = self._dump(data)
            text = f"[{level}] {body}"
            severity = "error" if level in ERROR_LEVELS else "warning" if level == "WARNING" else "normal"
        elif (platform := _platform_event(message)) is not None:
            kind, severity, text, record = platform
            request_id = str(record.pop("request_id", "") or request_id)
            if kind == "start":
                self._current[stream_key] = request_id
            elif kind == "end":
                self._current.pop(stream_key, None)
        elif (data := _parse_json(message)) is not None:
            kind = "json"
            record["data"] = data
            if isinstance(data, dict):
                level = str(data.get("level") or data.get("levelname") or "") or None
                request_id = str(data.get("requestId") or data.get("aws_request_id") or request_id)
            text = self._dump(data)
            if level and level.upper() in ERROR_LEVELS:
                severity = "error"
        elif _TIMED_OUT.match(message):
            severity, text = "error", message[message.index("Task timed out") :]
        elif _is_error_text(message):
            severity = "error"
        record = {
            "function": event.source.key,
            "function_name": event.source.function_name,
            "log_group": event.source.group,
            "log_stream": event.stream,
            "timestamp": iso_time(event.timestamp),
            "timestamp_ms": event.timestamp,
            "id": event.event_id or None,
            "request_id": request_id or None,
            "kind": kind,
            "level": level,
            "message": message,
            **record,
        }
        short = request_id[:8] if request_id else "-" * 8
        label = f"{event.source.key:<{self.label_width}} " if self.labels else ""
        stamp = iso_time(event.timestamp).replace("T", " ").removesuffix("Z")
        return Line(f"{stamp} {label}{short} {text}", severity, record)

    def _dump(self, data: Json) -> str:
        if self.pretty:
            return json.dumps(data, indent=2, ensure_ascii=False)
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def formatter_for(sources: Sequence[Source], *, pretty: bool = False) -> Formatter:
    return Formatter(labels=len(sources) > 1, label_width=max((len(s.key) for s in sources), default=0), pretty=pretty)


def iso_time(ms: int) -> str:
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------- tailing


class _Seen:
    """What the tail has shown. A polled event is known by its event id, so two identical lines written in the
    same millisecond are two events. Live-tail results carry no id: they are matched by content against what
    was shown (the n-th copy of a line in a session is new only when fewer than n copies were shown), so the
    history fetched around a session does not repeat what the session streams. Forgets what is older than the
    look-back window."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str, str], int] = {}  # (group, stream, event id) -> timestamp
        self._copies: dict[tuple[str | int, tuple[str, str, int, str]], int] = {}  # (view, content) -> copies seen
        self._shown: dict[tuple[str, str, int, str], int] = {}  # content -> copies shown
        self.newest = 0

    def add(self, event: LogEvent, *, session: int = 0) -> bool:
        """True when `event` is new. `session` numbers the live-tail session a result came from."""
        if event.event_id:
            ident = (event.source.group, event.stream, event.event_id)
            if ident in self._ids:
                return False
            self._ids[ident] = event.timestamp
            view: str | int = "polled"
        else:
            view = session
        key = event.key
        copies = self._copies[view, key] = self._copies.get((view, key), 0) + 1
        if copies <= self._shown.get(key, 0):
            return False
        self._shown[key] = copies
        if event.timestamp > self.newest:
            self.newest = event.timestamp
            if len(self._shown) > 5000:
                self._forget(self.newest - 5 * LATE_ARRIVAL_MS)
        return True

    def _forget(self, horizon: int) -> None:
        self._ids = {k: t for k, t in self._ids.items() if t >= horizon}
        self._copies = {k: n for k, n in self._copies.items() if k[1][2] >= horizon}
        self._shown = {k: n for k, n in self._shown.items() if k[2] >= horizon}


@dataclass
class Tailer:
    """Follows `sources` until interrupted (KeyboardInterrupt propagates): live tail, else polling."""

    api: LogsReadApi
    sources: Sequence[Source]
    emit: Callable[[LogEvent], None]
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    pattern: str | None = None
    notice: Callable[[str], None] = lambda _text: None
    poll_interval: float = POLL_INTERVAL_S
    renew_after_s: float = LIVE_TAIL_RENEW_S
    seen: _Seen = field(default_factory=_Seen)
    _sessions: Iterator[int] = field(default_factory=lambda: itertools.count(1), init=False, repr=False)

    def run(self, *, since_ms: int, live: bool = True) -> None:
        """`live=False` goes straight to polling (the local emulator's StartLiveTail is a one-off snapshot)."""
        if live:
            reason = self.live(since_ms=since_ms)
            self.notice(f"live tail unavailable ({reason}); polling FilterLogEvents every {self.poll_interval:g} s")
            since_ms = max(since_ms, self.seen.newest - LATE_ARRIVAL_MS) if self.seen.newest else since_ms
        self.poll(since_ms=since_ms)

    def _show(self, events: Iterable[LogEvent], *, session: int = 0) -> int:
        shown = 0
        for event in events:
            if self.seen.add(event, session=session):
                self.emit(event)
                shown += 1
        return shown

    # -- polling: FilterLogEvents -------------------------------------------------------------

    def poll(self, *, since_ms: int) -> None:
        """Poll forever: every page of every group from the cursor; dedupe; sleep after an empty poll; back off
        on throttling. The cursor moves only after a whole poll succeeded, so a page boundary loses nothing."""
        cursor = since_ms
        throttled = 0
        while True:
            try:
                events = fetch(self.api, self.sources, start_ms=cursor, pattern=self.pattern)
            except AwsError as error:
                if error.code not in THROTTLING_CODES:
                    raise
                self.sleep(THROTTLE_BACKOFF_S[min(throttled, len(THROTTLE_BACKOFF_S) - 1)])
                throttled += 1
                continue
            throttled = 0
            shown = self._show(events)
            if events:
                cursor = max(cursor, max(e.timestamp for e in events) - LATE_ARRIVAL_MS)
            if not shown:
                self.sleep(self.poll_interval)

    # -- live: StartLiveTail ------------------------------------------------------------------

    def live(self, *, since_ms: int) -> str:
        """Stream with StartLiveTail (one session per 10 groups, each read by a thread). Returns only when live
        tail is unavailable, with the reason; history since `since_ms` is fetched once the sessions are open,
        and again after each reconnect, so nothing falls between sessions."""
        from fnship.aws.logs_read_api import LIVE_TAIL_MAX_GROUPS

        by_arn: dict[str, list[Source]] = {}  # a shared custom group: several functions' sources
        for source in self.sources:
            arn = self.api.group_arn(source.group)
            if arn is None:
                self.notice(f"log group {source.group} does not exist yet; it is polled instead")
                return f"log group {source.group} does not exist"
            by_arn.setdefault(arn, []).append(source)
        arns = list(by_arn)
        chunks = [arns[i : i + LIVE_TAIL_MAX_GROUPS] for i in range(0, len(arns), LIVE_TAIL_MAX_GROUPS)]
        inbox: queue.Queue = queue.Queue()
        stop = threading.Event()
        readers = [
            threading.Thread(target=self._read_session, args=(chunk, inbox, stop), daemon=True) for chunk in chunks
        ]
        for reader in readers:
            reader.start()
        waiting = len(chunks)
        try:
            while True:
                try:
                    kind, value = inbox.get(timeout=0.5)
                except queue.Empty:
                    continue
                if kind == "unavailable":
                    return str(value)
                if kind == "error":
                    raise value
                if kind == "started":
                    if waiting:
                        waiting -= 1
                        if waiting == 0:
                            self._show(fetch(self.api, self.sources, start_ms=since_ms, pattern=self.pattern))
                    else:  # a reconnect: fill the moments between the sessions
                        start = max(since_ms, self.seen.newest - LATE_ARRIVAL_MS)
                        self._show(fetch(self.api, self.sources, start_ms=start, pattern=self.pattern))
                elif kind == "result":
                    session, raw = value
                    candidates = by_arn.get(raw["logGroupIdentifier"]) or _by_name(self.sources, raw)
                    stream = str(raw.get("logStreamName", ""))
                    found = next((source for source in candidates if source.owns(stream)), None)
                    if found is not None:
                        self._show([_event(found, raw)], session=session)
        finally:
            stop.set()

    def _read_session(self, arns: list[str], inbox: queue.Queue, stop: threading.Event) -> None:
        """Read sessions over `arns` one after another until stopped. A session that ends by itself within
        seconds, again and again, is no live tail (an emulator answering with a one-off snapshot): give up."""
        from fnship.aws.logs_read_api import LiveTailEnded, LiveTailUnavailable

        early_ends = 0
        while not stop.is_set():
            session = next(self._sessions)
            opened = self.clock()
            updates = self.api.live_tail(arns, pattern=self.pattern)
            renewing = False
            try:
                for update in updates:
                    if stop.is_set():
                        return
                    if update.started:
                        inbox.put(("started", None))
                    for result in update.results:
                        inbox.put(("result", (session, result)))
                    if self.clock() - opened >= self.renew_after_s:
                        renewing = True
                        break  # renew before AWS ends the session at its cap
            except LiveTailUnavailable as exc:
                inbox.put(("unavailable", str(exc)))
                return
            except LiveTailEnded as exc:
                if exc.code != "SessionTimeoutException":
                    self.notice(f"live tail session ended ({exc}); reconnecting")
            except FnError as exc:
                inbox.put(("error", exc))
                return
            finally:
                close = getattr(updates, "close", None)
                if close:
                    close()
            if renewing or self.clock() - opened >= MIN_SESSION_S:
                early_ends = 0
                continue
            early_ends += 1
            if early_ends >= MAX_EARLY_ENDS:
                inbox.put(("unavailable", "live tail sessions end as soon as they start"))
                return
            self.sleep(float(2**early_ends))


def _by_name(sources: Sequence[Source], result: LiveTailResult) -> list[Source]:
    ident = str(result.get("logGroupIdentifier", ""))
    return [s for s in sources if ident == s.group or ident.endswith(f":log-group:{s.group}")]
