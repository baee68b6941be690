"""`schedule` and `eventBridge` events: an EventBridge rule targeting the function. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import EventContext, flag, json_value, short_or_mapping, text_of
from fnship.manifest.schedule import check_expression
from fnship.manifest.types import KeyPath

SCHEDULE_KEYS = frozenset({"rate", "enabled", "input", "inputPath", "name", "description"})
EVENT_BRIDGE_KEYS = frozenset(
    {"pattern", "schedule", "eventBus", "input", "inputPath", "name", "description", "enabled"}
)
RULE_NAME = re.compile(r"^[\.\-_A-Za-z0-9]{1,64}$")
RULE_DESCRIPTION_MAX = 512


@dataclass(frozen=True)
class RuleEvent:
    """An EventBridge rule targeting the function: a schedule (`schedule` events, `eventBridge.schedule`) or an
    event pattern, on the default bus or `event_bus`."""

    schedule: str | None
    pattern: str | None  # compact JSON
    event_bus: str | None  # None: the default bus
    name: str | None  # the rule's physical name when given
    enabled: bool
    description: str
    input: str | None
    input_path: str | None


def _input(raw: Mapping[str, Any], path: KeyPath, check: Checker) -> dict[str, Any]:
    """`input` (a mapping sent as JSON, or a string) and `inputPath`: at most one of them."""
    out: dict[str, Any] = {"input": None, "input_path": None}
    if raw.get("input") is not None and raw.get("inputPath") is not None:
        check.error((*path, "inputPath"), "give either input or inputPath, not both", at_key=True)
    value = raw.get("input")
    if isinstance(value, (dict, list)):
        out["input"] = json_value(value, (*path, "input"), check)
    elif value is not None:
        out["input"] = check.want_str(value, (*path, "input"))
    if raw.get("inputPath") is not None:
        out["input_path"] = check.want_str(raw["inputPath"], (*path, "inputPath"))
    return out


def _rule_name(raw: Mapping[str, Any], path: KeyPath, check: Checker) -> str | None:
    name = text_of(raw, "name", path, check)
    if name is not None and not RULE_NAME.match(name):
        check.error(
            (*path, "name"), f"{show(name)} is not a rule name: 1-64 letters, digits, '.', '-' or '_'", at_key=False
        )
        return None
    return name


def _description(raw: Mapping[str, Any], path: KeyPath, check: Checker) -> str:
    text = text_of(raw, "description", path, check) or ""
    if len(text) > RULE_DESCRIPTION_MAX:
        check.error((*path, "description"), f"is {len(text)} characters; EventBridge allows {RULE_DESCRIPTION_MAX}")
    return text


def parse_schedule(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[RuleEvent]:
    check = ctx.check
    found = short_or_mapping(
        value, path, check, key="rate", keys=SCHEDULE_KEYS, what="a rate()/cron() expression or a mapping (rate, ...)"
    )
    if found is None:
        return []
    raw, rate_path = found
    rates = raw["rate"] if isinstance(raw["rate"], list) else [raw["rate"]]
    expressions = []
    for rate_index, rate in enumerate(rates):
        where = (*rate_path, rate_index) if isinstance(raw["rate"], list) else rate_path
        text = check.want_str(rate, where)
        if text is None:
            continue
        problem = check_expression(text.strip())
        if problem:
            check.error(
                where,
                f"{show(text)} is not a valid schedule expression: {problem}",
                "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html",
            )
            continue
        expressions.append(text.strip())
    name = _rule_name(raw, path, check)
    if name and len(rates) > 1:
        check.error((*path, "name"), "a name cannot be given to a schedule with several rates", at_key=True)
    common = {
        "enabled": flag(raw, "enabled", path, check, True),
        "description": _description(raw, path, check),
        **_input(raw, path, check),
    }
    return [RuleEvent(schedule=expression, pattern=None, event_bus=None, name=name, **common)
            for expression in expressions]  # fmt: skip


def parse_event_bridge(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[RuleEvent]:
    check = ctx.check
    raw = check.want_mapping(value, path, what="a mapping (pattern, eventBus, input, ...)")
    if raw is None:
        return []
    check.keys(raw, path, EVENT_BRIDGE_KEYS)
    pattern = None
    if raw.get("pattern") is not None:
        found = check.want_mapping(raw["pattern"], (*path, "pattern"), what="an event pattern (a mapping)")
        pattern = json_value(found, (*path, "pattern"), check) if found is not None else None
    schedule = None
    if raw.get("schedule") is not None:
        text = check.want_str(raw["schedule"], (*path, "schedule"))
        problem = check_expression(text.strip()) if text else None
        if problem:
            check.error((*path, "schedule"), f"{show(text)} is not a valid schedule expression: {problem}")
        elif text:
            schedule = text.strip()
    if raw.get("pattern") is None and raw.get("schedule") is None:
        check.error(path, "pattern (or schedule) is required", at_key=True)
    bus = None
    if raw.get("eventBus") is not None:
        bus_value = raw["eventBus"]
        if isinstance(bus_value, dict):
            check.error((*path, "eventBus"), "give the event bus's name or ARN; fnship does not create event buses")
        else:
            bus = check.want_str(bus_value, (*path, "eventBus"))
            if bus and bus.startswith("arn:") and ":event-bus/" not in bus:
                check.error((*path, "eventBus"), f"{show(bus)} is not an event bus ARN")
                bus = None
    if bus and bus.startswith("arn:"):
        bus = bus.split(":event-bus/", 1)[1]
    return [
        RuleEvent(
            schedule=schedule,
            pattern=pattern,
            event_bus=None if bus in (None, "default") else bus,
            name=_rule_name(raw, path, check),
            enabled=flag(raw, "enabled", path, check, True),
            description=_description(raw, path, check),
            **_input(raw, path, check),
        )
    ]
