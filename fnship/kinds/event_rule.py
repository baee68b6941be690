"""The `event_rule` kind (`schedule` and `eventBridge` events): an EventBridge rule targeting the alias.

A rule cannot change its name or event bus: a change to one replaces it, the new rule first (then the old one
goes), so the schedule never has a gap."""

from __future__ import annotations

from typing import Any

from fnship.kinds.base import Context, Kind, function_scoped, tag_delta
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import trigger_address
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, compact_json, source_arn

TARGET_ID = "fnship"


def event_rule_put(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    attrs, events = resource.attrs, context.aws.events
    settings: dict[str, Any] = {"State": attrs["state"], "Description": attrs["description"]}
    if attrs["schedule"]:
        settings["ScheduleExpression"] = attrs["schedule"]
    if attrs["pattern"]:
        settings["EventPattern"] = attrs["pattern"]
    arn = events.put_rule(resource.name, bus=attrs["event_bus"], settings=settings, tags=attrs["tags"])
    same_rule = live is not None and (live.name, live.attrs["event_bus"]) == (resource.name, attrs["event_bus"])
    if same_rule:
        # PutRule leaves an existing rule's tags as they are.
        add, remove = tag_delta(live.attrs.get("tags"), attrs["tags"])
        if add or remove:
            events.set_tags(arn, add=add, remove=remove)
    target = {"Id": attrs["target"]["id"], "Arn": attrs["target"]["arn"]}
    if attrs["target"]["input"] is not None:
        target["Input"] = attrs["target"]["input"]
    if attrs["target"]["input_path"] is not None:
        target["InputPath"] = attrs["target"]["input_path"]
    events.put_target(resource.name, bus=attrs["event_bus"], target=target)


def event_rule_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    context.aws.events.delete_rule(live.name, bus=live.attrs["event_bus"])


def rule_depends(resource: Any) -> tuple[str, ...]:
    extras = resource.extras
    key, kind, name = extras.get("function_key"), extras.get("event_type"), extras.get("trigger_name")
    permission = (Address.permission(key, kind, name),) if key and kind and name else ()
    return (*function_scoped(resource), *permission)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_event_rule(aws: Any, stub: Resource) -> list[Resource]:
    found = aws.events.get_rule_or_none(stub.name, bus=stub.extras.get("event_bus"))
    if found is None:
        return []
    target = next((t for t in found["Targets"] if t.get("Id") == "fnship"), None)
    attrs = {
        "schedule": found.get("ScheduleExpression"),
        "pattern": compact_json(found.get("EventPattern")),
        "event_bus": None if found.get("EventBusName") in (None, "default") else found["EventBusName"],
        "state": found.get("State"),
        "description": found.get("Description") or "",
        "target": None
        if target is None
        else {
            "id": "fnship",
            "arn": target["Arn"],
            "input": target.get("Input"),
            "input_path": target.get("InputPath"),
        },
        "tags": found["Tags"],
    }
    extras = {**stub.extras, "arn": found.get("Arn")}
    return [Resource(stub.address, "event_rule", stub.name, attrs, extras=extras)]


def discover_rules(aws: Any, on: OnAlias) -> list[Resource]:
    """Rules targeting the alias, from the statements of `schedule` and `eventBridge` events on its policy
    (SourceArn: the rule, on its bus)."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type in ("schedule", "eventBridge") and source:
            bus, _, rule = source.split(":rule/", 1)[1].rpartition("/")
            extras = {**target.extras(event_type, name), "event_bus": bus or None}
            stubs.append(Resource(trigger_address(target, event_type, name), "event_rule", rule, {}, extras=extras))
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
