"""`schedule` and `eventBridge` events: an EventBridge rule per event, targeting the alias. Parse, render, sample
event in one place. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict

from fnship.arns import arn
from fnship.jsonvalue import JsonObject
from fnship.kinds.event_rule import EventRule, RuleTarget
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import EventContext, flag, json_value, short_or_mapping, text_of
from fnship.manifest.schedule import check_expression
from fnship.manifest.types import EventSettings, EventSpec, KeyPath, Value
from fnship.model import names
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, permission, slug, trigger_address
from fnship.triggers.base import TriggerType

SCHEDULE_KEYS = frozenset({"rate", "enabled", "input", "inputPath", "name", "description", "method"})
EVENT_BRIDGE_KEYS = frozenset(
    {"pattern", "schedule", "eventBus", "input", "inputPath", "name", "description", "enabled"}
)
RULE_NAME = re.compile(r"^[\.\-_A-Za-z0-9]{1,64}$")
RULE_DESCRIPTION_MAX = 512


@dataclass(frozen=True)
class RuleEvent(EventSettings):
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


class _RuleInput(TypedDict):
    input: str | None
    input_path: str | None


def _input(raw: Mapping[str, object], path: KeyPath, check: Checker) -> _RuleInput:
    """`input` (a mapping sent as JSON, or a string) and `inputPath`: at most one of them."""
    out: _RuleInput = {"input": None, "input_path": None}
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


def _rule_name(raw: Mapping[str, object], path: KeyPath, check: Checker) -> str | None:
    name = text_of(raw, "name", path, check)
    if name is not None and not RULE_NAME.match(name):
        check.error(
            (*path, "name"), f"{show(name)} is not a rule name: 1-64 letters, digits, '.', '-' or '_'", at_key=False
        )
        return None
    return name


def _description(raw: Mapping[str, object], path: KeyPath, check: Checker) -> str:
    text = text_of(raw, "description", path, check) or ""
    if len(text) > RULE_DESCRIPTION_MAX:
        check.error((*path, "description"), f"is {len(text)} characters; EventBridge allows {RULE_DESCRIPTION_MAX}")
    return text


# `method: scheduler`'s own keys (fnship/triggers/scheduler.py), accepted here and refused for a rule.
SCHEDULER_ONLY_KEYS = frozenset(
    {"timezone", "flexibleTimeWindow", "startDate", "endDate", "state", "retryPolicy", "deadLetterQueueArn", "roleArn"}
)


def parse_schedule(value: Value, path: KeyPath, ctx: EventContext, index: int) -> Sequence[EventSettings]:
    check = ctx.check
    found = short_or_mapping(
        value,
        path,
        check,
        key="rate",
        keys=SCHEDULE_KEYS | SCHEDULER_ONLY_KEYS,
        what="a rate()/cron() expression or a mapping (rate, ...)",
    )
    if found is None:
        return []
    raw, rate_path = found
    rates = raw["rate"] if isinstance(raw["rate"], list) else [raw["rate"]]
    method = "eventBus"
    if raw.get("method") is not None:
        method = check.want_choice(raw["method"], (*path, "method"), ("eventBus", "scheduler"), what="a method") \
            or method  # fmt: skip
    if method == "scheduler":
        from fnship.triggers.scheduler import parse_scheduler  # its own trigger type (fnship/triggers/scheduler.py)

        written = [
            (text.strip(), where)
            for i, rate in enumerate(rates)
            if (text := check.want_str(rate, where := (*rate_path, i) if isinstance(raw["rate"], list) else rate_path))
            is not None
        ]
        return parse_scheduler(raw, written, path, ctx)
    for key in sorted(set(raw) & SCHEDULER_ONLY_KEYS):
        check.error(
            (*path, key),
            f"{key} is for method: scheduler (an EventBridge rule's schedule runs in UTC, from now on)",
            "add method: scheduler to make an EventBridge Scheduler schedule",
            at_key=True,
        )
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
    enabled, description = flag(raw, "enabled", path, check, True), _description(raw, path, check)
    given = _input(raw, path, check)
    return [RuleEvent(schedule=expression, pattern=None, event_bus=None, name=name, enabled=enabled,
                      description=description, **given) for expression in expressions]  # fmt: skip


def parse_event_bridge(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[RuleEvent]:
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


EVENTS = "events.amazonaws.com"
RULE_NAME_MAX = 64


def rule_arn(*, region: str, account_id: str, bus: str | None, name: str) -> str:
    path = f"{bus}/{name}" if bus else name
    return arn("events", f"rule/{path}", region=region, account_id=account_id)


def _render_rule(target: Target, event_type: str, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(RuleEvent)
    physical = s.name or names.shorten(f"{target.function_name}-{name}", RULE_NAME_MAX)
    spec = EventRule(
        schedule=s.schedule,
        pattern=s.pattern,
        event_bus=s.event_bus,
        state="ENABLED" if s.enabled else "DISABLED",
        description=s.description,
        target=RuleTarget(arn=target.alias_arn, input=s.input, input_path=s.input_path),
        tags=dict(target.tags),
    )
    rule = Resource.of(
        trigger_address(target, event_type, name),
        physical,
        spec,
        depends_on=(target.alias_address, Address.permission(target.function_key, event_type, name)),
        scope=target.scope(event_type, name),
    )
    arn = rule_arn(region=target.region, account_id=target.account_id, bus=s.event_bus, name=physical)
    return [permission(target, event_type, name, principal=EVENTS, source_arn=arn), rule]


def schedule_name(event: EventSpec) -> str:
    given = event.settings_as(RuleEvent).name
    return slug(given) if given else "schedule"


def event_bridge_name(event: EventSpec) -> str:
    given = event.settings_as(RuleEvent).name
    return slug(given) if given else "rule"


def render_schedule(target: Target, event: EventSpec, name: str) -> list[Resource]:
    return _render_rule(target, "schedule", event, name)


def render_event_bridge(target: Target, event: EventSpec, name: str) -> list[Resource]:
    return _render_rule(target, "eventBridge", event, name)


def schedule(where: Where) -> JsonObject:
    """EventBridge scheduled event (`schedule: rate(...)`).
    https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html"""
    return {
        "version": "0",
        "id": stable_id("schedule"),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": where.account_id,
        "time": where.iso[:19] + "Z",
        "region": where.region,
        "resources": [f"arn:aws:events:{where.region}:{where.account_id}:rule/example-rule"],
        "detail": {},
    }


SCHEDULE = TriggerType(
    parse=parse_schedule,
    name=schedule_name,
    render=render_schedule,
    samples={"schedule": schedule},
    kinds=("event_rule", "permission"),
)
EVENT_BRIDGE = TriggerType(
    parse=parse_event_bridge, name=event_bridge_name, render=render_event_bridge, kinds=("event_rule", "permission")
)
