"""The `event_rule` kind (`schedule` and `eventBridge` events): an EventBridge rule targeting the alias.

A rule cannot change its name or event bus: a change to one replaces it, the new rule first (then the old one
goes), so the schedule never has a gap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.jsonvalue import JsonValue
from fnship.kinds.base import Context, Kind, compact_json, function_scoped, tag_delta
from fnship.model.address import Address
from fnship.model.resources import Found, Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, Reads, source_arn

if TYPE_CHECKING:
    from fnship.aws.events_api import RuleAnswer

TARGET_ID = "fnship"


@dataclass(frozen=True)
class RuleTarget:
    """The rule's one target: the alias, with the event as EventBridge sends it or as the manifest says."""

    arn: str
    input: str | None  # constant JSON instead of the event
    input_path: str | None
    id: str = TARGET_ID


@dataclass(frozen=True, kw_only=True)
class EventRule(Spec):
    """An EventBridge rule (its name is the resource's name) on the default bus or a named one."""

    kind: ClassVar[str] = "event_rule"
    schedule: str | None  # rate() / cron()
    pattern: str | None  # compact JSON
    event_bus: str | None  # None: the default bus
    state: str  # ENABLED | DISABLED
    description: str
    target: RuleTarget | None  # None when ours is gone (live)
    tags: Mapping[str, str]
    arn: str | None = field(default=None, compare=False)  # assigned by EventBridge: live only


def from_aws(answer: RuleAnswer) -> EventRule:
    """DescribeRule's answer with the rule's targets (`Targets`) and tags (`Tags`) as the spec."""
    target = next((t for t in answer["Targets"] if t.get("Id") == TARGET_ID), None)
    found = answer["Rule"]
    return EventRule(
        schedule=found.get("ScheduleExpression"),
        pattern=compact_json(found.get("EventPattern")),
        event_bus=None if found.get("EventBusName") in (None, "default") else found["EventBusName"],
        state=found.get("State") or "",
        description=found.get("Description") or "",
        target=None
        if target is None
        else RuleTarget(arn=target["Arn"], input=target.get("Input"), input_path=target.get("InputPath")),
        tags=answer["Tags"],
        arn=found.get("Arn"),
    )


def event_rule_put(context: Context, step: Step) -> None:
    resource, live = context.desired_at(step.address), context.plan.live.get(step.address)
    spec, events = resource.spec_as(EventRule), context.aws.events
    settings: dict[str, JsonValue] = {"State": spec.state, "Description": spec.description}
    if spec.schedule:
        settings["ScheduleExpression"] = spec.schedule
    if spec.pattern:
        settings["EventPattern"] = spec.pattern
    arn = events.put_rule(resource.name, bus=spec.event_bus, settings=settings, tags=spec.tags)
    was = live.spec_as(EventRule) if live is not None else None
    if live is not None and was is not None and (live.name, was.event_bus) == (resource.name, spec.event_bus):
        # PutRule leaves an existing rule's tags as they are.
        add, remove = tag_delta(was.tags, spec.tags)
        if add or remove:
            events.set_tags(arn, add=add, remove=remove)
    assert spec.target is not None, f"{resource.address} has no target"
    target = {"Id": spec.target.id, "Arn": spec.target.arn}
    if spec.target.input is not None:
        target["Input"] = spec.target.input
    if spec.target.input_path is not None:
        target["InputPath"] = spec.target.input_path
    events.put_target(resource.name, bus=spec.event_bus, target=target)


def event_rule_delete(context: Context, step: Step) -> None:
    live = context.live_at(step.address)
    context.aws.events.delete_rule(live.name, bus=live.spec_as(EventRule).event_bus)


def rule_depends(resource: Resource) -> tuple[str, ...]:
    scope = resource.in_scope()
    permission = Address.permission(scope.function_key, scope.event_type, scope.trigger_name)
    return (*function_scoped(resource), permission)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_event_rule(aws: Reads, stub: Resource) -> list[Resource]:
    # A desired rule names its bus; a discovered one was found by its permission's SourceArn.
    bus = stub.spec_as(EventRule).event_bus if stub.spec is not None else stub.found.event_bus if stub.found else None
    found = aws.events.get_rule_or_none(stub.name, bus=bus)
    if found is None:
        return []
    return [Resource.of(stub.address, stub.name, from_aws(found), scope=stub.scope)]


def discover_rules(aws: Reads, on: OnAlias) -> list[Resource]:
    """Rules targeting the alias, from the statements of `schedule` and `eventBridge` events on its policy
    (SourceArn: the rule, on its bus)."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type in ("schedule", "eventBridge") and source:
            bus, _, rule = source.split(":rule/", 1)[1].rpartition("/")
            address = Address.trigger(on.function_key, event_type, name)
            stubs.append(Resource(address, "event_rule", rule, scope=target.scope(event_type, name),
                                  found=Found(event_bus=bus or None)))  # fmt: skip
    return stubs


KIND = Kind(
    name="event_rule",
    handlers={
        "event_rule.create": event_rule_put,
        "event_rule.update": event_rule_put,
        "event_rule.delete": event_rule_delete,
    },  # fmt: skip
    replace_on=frozenset({"name", "event_bus"}),
    create_before_destroy=True,
    depends=rule_depends,
    movable=True,
    read=read_event_rule,
    discover_on_alias=discover_rules,
)
