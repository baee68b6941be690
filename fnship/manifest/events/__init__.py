"""`functions.<key>.events`, `url:`, `provider.httpApi` and the trigger-related function settings -> typed,
validated data (EventSpec with each type's frozen spec, FunctionSettings, HttpApiSpec). Pure: no AWS, no filesystem.

Each event type's spec dataclass and parser live in its trigger module (fnship/triggers/<type>.py), one line per
type in the trigger table (explicit: an unknown type is a diagnostic). Each parser checks its keys and values
against AWS's limits and returns the event's spec in the model's vocabulary, with AWS's defaults filled in so the
planner compares like with like.
"""

from __future__ import annotations

from collections.abc import Mapping

from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import EventContext, Parser
from fnship.manifest.events.settings import parse_settings
from fnship.manifest.types import EventSpec, KeyPath, Value

__all__ = ["EventContext", "event_parsers", "parse_events", "parse_settings"]


def event_parsers() -> dict[str, Parser]:
    """Event type -> its parser, from the trigger table (fnship/triggers): an unknown type is a diagnostic.
    It imports every trigger type's module; parse_events looks up only the types a manifest uses."""
    from fnship.triggers import TRIGGERS  # imported here: the trigger modules use this package's parse helpers

    return {name: trigger.parse for name, trigger in TRIGGERS.items() if trigger.parse is not None}


def event_parser(kind: str) -> Parser | None:
    """The parser of one event type (None for an unknown type, or one not written under `events:`), importing
    only that type's module."""
    from fnship.triggers import TRIGGERS  # imported here: the trigger modules use this package's parse helpers

    trigger = TRIGGERS.get(kind)
    return trigger.parse if trigger is not None else None


# Serverless event types fnship does not deploy (yet): named so the message says so instead of "unknown".
UNSUPPORTED_EVENTS = frozenset(
    {"websocket", "alb", "alexaSkill", "alexaSmartHome", "iot", "iotFleetProvisioning", "cloudwatchEvent",
     "cloudwatchLog", "cognitoUserPool", "msk", "activemq", "rabbitmq", "kafka"}
)  # fmt: skip


def parse_events(raw: Mapping[str, Value], path: KeyPath, ctx: EventContext) -> tuple[EventSpec, ...]:
    """Every event under `functions.<key>.events`, plus `url:`, validated and normalized."""
    check = ctx.check
    specs: list[EventSpec] = []
    events = raw.get("events")
    if events is not None and (items := check.want_list(events, (*path, "events"))) is not None:
        for index, event in enumerate(items):
            where = (*path, "events", index)
            if not (isinstance(event, dict) and len(event) == 1):
                check.error(
                    where,
                    f"an event must be a mapping with one key (its type, e.g. `- sqs: ...`), got {show(event)}",
                )
                continue
            kind, value = next(iter(event.items()))
            parser = event_parser(kind)
            if parser is None:
                _unknown_event(kind, (*where, kind), check, known=list(event_parsers()))
                continue
            for settings in parser(value, (*where, kind), ctx, index):
                # A parser may hand an event to another trigger type (`schedule` with `method: scheduler`).
                specs.append(EventSpec(str(getattr(settings, "EVENT_TYPE", kind)), index, settings))
    if raw.get("url") not in (None, False):
        from fnship.triggers.url import parse_url

        url = parse_url(raw["url"], (*path, "url"), check)
        if url is not None:
            specs.append(EventSpec("url", -1, url))
    _check_duplicates(specs, path, check)
    return tuple(specs)


def _unknown_event(kind: str, path: KeyPath, check: Checker, *, known: list[str]) -> None:
    if kind == "url":
        check.error(path, "url is a function setting, not an event", "write `url: true` under the function")
    elif kind in UNSUPPORTED_EVENTS:
        check.error(
            path,
            f"event type '{kind}' is not supported by fnship",
            "supported: " + ", ".join(known),
            at_key=True,
        )
    else:
        import difflib

        close = difflib.get_close_matches(kind, known, n=1)
        check.error(
            path,
            f"unknown event type '{kind}'" + (f"; did you mean '{close[0]}'?" if close else ""),
            "supported: " + ", ".join(known),
            at_key=True,
        )


def _mapped_source(spec: EventSpec) -> str | None:
    """The queue or stream an event source mapping event reads; None for the other types. (Each type's module is
    imported where its event is read: it is loaded already, it parsed the event.)"""
    if spec.type == "sqs":
        from fnship.triggers.sqs import SqsEvent

        return spec.settings_as(SqsEvent).arn
    if spec.type == "stream":
        from fnship.triggers.stream import StreamEvent

        return spec.settings_as(StreamEvent).arn
    return None


def _check_duplicates(specs: list[EventSpec], path: KeyPath, check: Checker) -> None:
    """AWS refuses a second mapping of the same queue or stream to one function."""
    seen: dict[str, int] = {}
    for spec in specs:
        arn = _mapped_source(spec)
        if arn is not None:
            if arn in seen:
                check.error(
                    (*path, "events", spec.index),
                    f"{arn} is already mapped to this function by event {seen[arn]}",
                    "Lambda allows one event source mapping per queue or stream and function",
                )
            seen.setdefault(arn, spec.index)
