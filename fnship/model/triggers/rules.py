"""`schedule` and `eventBridge` events: an EventBridge rule per event, targeting the alias. Pure."""

from __future__ import annotations

from fnship.arns import arn
from fnship.kinds.event_rule import EventRule, RuleTarget
from fnship.manifest.types import EventSpec
from fnship.model import names
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, permission, slug, trigger_address

EVENTS = "events.amazonaws.com"
RULE_NAME_MAX = 64


def rule_arn(*, region: str, account_id: str, bus: str | None, name: str) -> str:
    path = f"{bus}/{name}" if bus else name
    return arn("events", f"rule/{path}", region=region, account_id=account_id)


def _render_rule(target: Target, event_type: str, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings
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
    return slug(event.settings.name) if event.settings.name else "schedule"


def event_bridge_name(event: EventSpec) -> str:
    return slug(event.settings.name) if event.settings.name else "rule"


def render_schedule(target: Target, event: EventSpec, name: str) -> list[Resource]:
    return _render_rule(target, "schedule", event, name)


def render_event_bridge(target: Target, event: EventSpec, name: str) -> list[Resource]:
    return _render_rule(target, "eventBridge", event, name)
