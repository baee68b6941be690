"""The `iot_topic_rule` kind (`iot` events): an AWS IoT topic rule whose one action invokes the alias.

ReplaceTopicRule rewrites the whole rule, so every change is an update in place; a rule given another name is a new
one (made first, then the old one goes). https://docs.aws.amazon.com/iot/latest/developerguide/iot-rules.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.jsonvalue import JsonObject
from fnship.kinds.base import Context, Kind, function_scoped
from fnship.model.address import Address
from fnship.model.resources import Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, Reads, source_arn

if TYPE_CHECKING:
    from mypy_boto3_iot.type_defs import TopicRuleTypeDef

EVENT_TYPE = "iot"


@dataclass(frozen=True, kw_only=True)
class IotTopicRule(Spec):
    """A topic rule (its name is the resource's name) whose only action invokes `function_arn`."""

    kind: ClassVar[str] = "iot_topic_rule"
    sql: str
    sql_version: str
    description: str
    enabled: bool
    function_arns: tuple[str, ...]  # the Lambda actions' targets: the alias (one), as we write it
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)  # set on create; IoT has no upsert of them


def from_aws(found: TopicRuleTypeDef) -> IotTopicRule:
    """GetTopicRule's `rule` as the spec."""
    actions = found.get("actions") or []
    return IotTopicRule(
        sql=found.get("sql") or "",
        sql_version=found.get("awsIotSqlVersion") or "",
        description=found.get("description") or "",
        enabled=not found.get("ruleDisabled", False),
        function_arns=tuple(action["lambda"]["functionArn"] for action in actions if "lambda" in action),
    )


def rule_payload(spec: IotTopicRule) -> JsonObject:
    """The spec as CreateTopicRule/ReplaceTopicRule's topicRulePayload (the SQL version always sent: AWS's
    default differs from the emulator's)."""
    return {
        "sql": spec.sql,
        "awsIotSqlVersion": spec.sql_version,
        "description": spec.description,
        "ruleDisabled": not spec.enabled,
        "actions": [{"lambda": {"functionArn": arn}} for arn in spec.function_arns],
    }


def iot_topic_rule_create(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    spec = resource.spec_as(IotTopicRule)
    context.aws.iot.create_topic_rule(resource.name, rule_payload(spec), tags=spec.tags)


def iot_topic_rule_update(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    context.aws.iot.replace_topic_rule(resource.name, rule_payload(resource.spec_as(IotTopicRule)))


def iot_topic_rule_delete(context: Context, step: Step) -> None:
    context.aws.iot.delete_topic_rule(context.live_at(step.address).name)


def rule_depends(resource: Resource) -> tuple[str, ...]:
    scope = resource.in_scope()
    return (*function_scoped(resource), Address.permission(scope.function_key, EVENT_TYPE, scope.trigger_name))


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_iot_topic_rule(aws: Reads, stub: Resource) -> list[Resource]:
    found = aws.iot.get_topic_rule_or_none(stub.name)
    if found is None:
        return []
    return [Resource.of(stub.address, stub.name, from_aws(found), scope=stub.scope)]


def discover_iot_topic_rules(aws: Reads, on: OnAlias) -> list[Resource]:
    """Rules invoking the alias, from the statements of `iot` events on its policy (SourceArn: the rule)."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == EVENT_TYPE and source and ":rule/" in source:
            address = Address.trigger(on.function_key, event_type, name)
            rule = source.split(":rule/", 1)[1]
            stubs.append(Resource(address, "iot_topic_rule", rule, scope=target.scope(event_type, name)))
    return stubs


KIND = Kind(
    name="iot_topic_rule",
    handlers={
        "iot_topic_rule.create": iot_topic_rule_create,
        "iot_topic_rule.update": iot_topic_rule_update,
        "iot_topic_rule.delete": iot_topic_rule_delete,
    },
    replace_on=frozenset({"name"}),
    create_before_destroy=True,
    depends=rule_depends,
    read=read_iot_topic_rule,
    discover_on_alias=discover_iot_topic_rules,
)
