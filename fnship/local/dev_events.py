"""`fn dev`'s events: the service deployed to the embedded emulator, whose Lambda service hands the invocations of
this service's functions (SQS batches from its poller, S3 and SNS notifications, stream records) to this `fn dev`
(fnship/local/function_host.py); and the service's schedules fired here, at their times and on demand.
"""

from __future__ import annotations

import calendar
import contextlib
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from fnship.errors import FnError
from fnship.jsonvalue import Json
from fnship.local.dev import INVOKE_PATH, DevService, Printer

EVENT_TYPES = frozenset({"sqs", "sns", "s3", "stream", "schedule", "eventBridge"})


def has_events(service: DevService) -> bool:
    return any(
        event.type in EVENT_TYPES for key in service.functions() for event in service.manifest.functions[key].events
    )


def prepare_sources(service: DevService, printer: Printer) -> None:
    """What the service's events name but does not create, made in the emulator: its SQS queues and the
    buckets it marks `existing: true` (on AWS they exist already; in a fresh emulator they do not)."""
    aws = service.loaded.aws
    for key in service.functions():
        for event in service.manifest.functions[key].events:
            try:
                if event.type == "sqs":
                    from fnship.triggers.sqs import SqsEvent  # (loaded: it parsed the event)

                    name = event.settings_as(SqsEvent).arn.rsplit(":", 1)[1]
                    fifo = name.endswith(".fifo")
                    aws.client("sqs").create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})
                elif event.type == "s3":
                    from fnship.triggers.s3 import S3Event

                    bucket = event.settings_as(S3Event)
                    if bucket.existing:
                        with contextlib.suppress(Exception):  # already there
                            aws.client("s3").create_bucket(Bucket=bucket.bucket)
            except Exception as exc:  # a source we cannot make: the deploy says what is missing
                printer(f"warning: {key}: cannot create the {event.type} source in the emulator: {exc}", "warning")


def deploy(service: DevService, printer: Printer) -> bool:
    """Plan and apply the service against the emulator (all at once: no canary waits in development)."""
    from fnship import pipeline
    from fnship.manifest.strategy import ALL_AT_ONCE

    try:
        outcome = pipeline.deploy(
            service.loaded,
            pipeline.Hooks(confirm=lambda _plan: True),
            only=service.only,
            strategy=ALL_AT_ONCE,
        )
        if outcome.error is not None:
            raise outcome.error
    except FnError as error:
        printer(f"error: deploying to the emulator failed: {error.message}", "error")
        if error.hint:
            printer(f"  hint: {error.hint}", "error")
        return False
    if outcome.plan.empty:
        printer("emulator: the service is deployed and unchanged", "meta")
        return True
    added, changed, destroyed = outcome.plan.counts().values()
    printer(f"emulator: deployed ({added} to add, {changed} to change, {destroyed} to destroy)", "meta")
    return True


def register(service: DevService, base: str, *, unregister: bool = False) -> None:
    """Ask the emulator to hand this service's functions' invocations to this `fn dev` (or to stop)."""
    endpoint = service.loaded.aws.target.endpoint_url
    names = [service.manifest.functions[key].name for key in service.functions()]
    body = {"url": base + INVOKE_PATH, "functions": names}
    action = "unregister" if unregister else "register"
    request = urllib.request.Request(f"{endpoint}/__fnship/dev/{action}", data=json.dumps(body).encode(), method="POST")
    # The emulator's own http:// endpoint, built by fnship (no user-given scheme).
    with urllib.request.urlopen(request, timeout=10):  # nosec B310
        pass


def handle_invoke(service: DevService, name: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """The emulator's request to run function `name` (physical) on an event: the answer, the error type."""
    key = next((k for k, spec in service.manifest.functions.items() if spec.name == name), None)
    if key is None:
        return 404, [], json.dumps({"message": f"{name} is not a function of this service"}).encode()
    service.refresh()
    result = service.invoke(key, body)
    headers = [("Content-Type", "application/json")]
    if result.error_type:
        headers.append(("X-Fn-Error-Type", result.error_type))
    return 200, headers, result.payload


# -- schedules ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    function: str
    expression: str
    name: str
    input: Json  # the event to send (None: EventBridge's scheduled event)


def schedules(service: DevService) -> list[Schedule]:
    found = []
    for key in service.functions():
        spec = service.manifest.functions[key]
        for event in spec.events:
            if event.type not in ("schedule", "eventBridge"):
                continue
            from fnship.triggers.rules import RuleEvent  # (loaded: it parsed the event)

            rule = event.settings_as(RuleEvent)
            if rule.schedule and rule.enabled:
                raw = rule.input
                value = json.loads(raw) if isinstance(raw, str) and raw[:1] in "{[" else raw
                name = rule.name or f"{spec.name}-schedule-{event.index}"
                found.append(Schedule(key, rule.schedule, name, value))
    return found


def next_time(expression: str, after: float) -> float | None:
    """The next moment `expression` (rate() or cron(), UTC) fires after `after`; None for what is not computed
    here (cron's L, W and #: such a schedule fires on demand only)."""
    if expression.startswith("rate("):
        value, unit = expression[5:-1].split()
        seconds = int(value) * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]
        return after + seconds
    fields = expression[5:-1].split()
    if any(marker in field for field in fields for marker in ("L", "W", "#")):
        return None
    minutes, hours, days, months, weekdays, years = fields
    moment = (int(after) // 60 + 1) * 60
    limit = moment + 5 * 366 * 86400
    sets = (
        _values(minutes, 0, 59),
        _values(hours, 0, 23),
        _values(days, 1, 31),
        _values(months, 1, 12, names=MONTHS),
        _values(weekdays, 1, 7, names=DAYS),
        _values(years, 1970, 2199),
    )
    while moment < limit:
        t = time.gmtime(moment)
        weekday = (t.tm_wday + 1) % 7 + 1  # cron: 1 is Sunday
        if (
            t.tm_year in sets[5]
            and t.tm_mon in sets[3]
            and t.tm_mday in sets[2]
            and weekday in sets[4]
            and t.tm_hour in sets[1]
            and t.tm_min in sets[0]
        ):
            return float(moment)
        if t.tm_mon not in sets[3] or t.tm_mday not in sets[2] or weekday not in sets[4] or t.tm_year not in sets[5]:
            moment = calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0)) + 86400
        elif t.tm_hour not in sets[1]:
            moment = calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, 0, 0)) + 3600
        else:
            moment += 60
    return None


MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def _values(field: str, low: int, high: int, *, names: tuple[str, ...] = ()) -> set[int]:
    if field in ("*", "?"):
        return set(range(low, high + 1))

    def number(text: str) -> int:
        upper = text.upper()
        return names.index(upper) + 1 if upper in names else int(text)

    found: set[int] = set()
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = number(first), number(last)
        else:
            start = number(base)
            end = high if step else start
        found.update(range(start, end + 1, int(step) if step else 1))
    return found


class Scheduler:
    """Fires the service's schedules at their times, and all of them (or one function's) when asked."""

    def __init__(self, service: DevService, printer: Printer, *, clock: Callable[[], float] = time.time) -> None:
        self.service = service
        self.printer = printer
        self.clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="fn-dev-schedules")

    def start(self) -> None:
        for schedule in schedules(self.service):
            when = next_time(schedule.expression, self.clock())
            at = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(when)) if when else "on demand only"
            self.printer(f"  schedule {schedule.expression} -> {schedule.function} (next: {at})", "normal")
        self._thread.start()

    def fire_now(self, function: str | None = None) -> int:
        fired = 0
        for schedule in schedules(self.service):
            if function in (None, schedule.function):
                threading.Thread(target=self._fire, args=(schedule,), daemon=True).start()
                fired += 1
        if not fired:
            self.printer("no schedule to fire" + (f" for {function}" if function else ""), "warning")
        return fired

    def _event(self, schedule: Schedule) -> Json:
        if schedule.input is not None:
            return schedule.input
        from fnship.local.events import Where
        from fnship.triggers.rules import schedule as scheduled_event

        region = self.service.manifest.region
        event = scheduled_event(Where(region=region, now_ms=int(self.clock() * 1000)))
        event["id"] = str(uuid.uuid4())
        event["resources"] = [f"arn:aws:events:{region}:{event['account']}:rule/{schedule.name}"]
        return event

    def _fire(self, schedule: Schedule) -> None:
        self.printer(f"schedule {schedule.expression} fires {schedule.function}", "request")
        try:
            self.service.refresh()
            self.service.invoke(schedule.function, self._event(schedule))
        except Exception as exc:  # a failed run is the function's log; this is fn dev's own failure
            self.printer(f"error: firing {schedule.name} failed: {exc!r}", "error")

    def _run(self) -> None:
        due: dict[str, float | None] = {}
        while not self._stop.is_set():
            now = self.clock()
            for schedule in schedules(self.service):
                key = f"{schedule.function}/{schedule.name}/{schedule.expression}"
                if key not in due:
                    due[key] = next_time(schedule.expression, now)
                when = due[key]
                if when is not None and when <= now:
                    threading.Thread(target=self._fire, args=(schedule,), daemon=True).start()
                    due[key] = next_time(schedule.expression, now)
            self._wake.wait(1.0)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
