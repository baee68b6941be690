"""`iot` events: an AWS IoT topic rule (SQL and its version) whose action invokes the alias, and the statement that
lets IoT invoke it (SourceArn the rule). Parse, render, sample event in one place. Pure.

https://www.serverless.com/framework/docs/providers/aws/events/iot
https://docs.aws.amazon.com/iot/latest/developerguide/lambda-rule-action.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fnship.arns import arn
from fnship.jsonvalue import JsonObject
from fnship.kinds.iot_topic_rule import IotTopicRule
from fnship.local.events import Where
from fnship.manifest.checks import show
from fnship.manifest.events.common import EventContext, flag, text_of
from fnship.manifest.types import EventSettings, EventSpec, KeyPath
from fnship.model import names
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, permission, slug, trigger_address
from fnship.triggers.base import TriggerType

IOT_KEYS = frozenset({"sql", "sqlVersion", "name", "enabled", "description"})
SQL_VERSIONS = ("2015-10-08", "2016-03-23", "beta")
DEFAULT_SQL_VERSION = "2015-10-08"  # what AWS IoT uses when none is given
# https://docs.aws.amazon.com/iot/latest/apireference/API_CreateTopicRule.html
RULE_NAME = re.compile(r"^[a-zA-Z0-9_]{1,128}$")
RULE_NAME_MAX = 128
DESCRIPTION_MAX = 2028  # https://docs.aws.amazon.com/iot/latest/apireference/API_TopicRulePayload.html
IOT = "iot.amazonaws.com"


@dataclass(frozen=True)
class IotEvent(EventSettings):
    """A topic rule: its SQL statement and version, its name when given, and whether it runs."""

    sql: str
    sql_version: str
    name: str | None
    enabled: bool
    description: str


def parse_iot(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[IotEvent]:
    check = ctx.check
    raw = check.want_mapping(value, path, what="a mapping (sql, sqlVersion, name, enabled, description)")
    if raw is None:
        return []
    check.keys(raw, path, IOT_KEYS)
    sql = text_of(raw, "sql", path, check)
    if sql is None:
        if raw.get("sql") is None:
            check.error(path, "sql (the rule's SELECT statement) is required", at_key=True)
        return []
    version = DEFAULT_SQL_VERSION
    if raw.get("sqlVersion") is not None:
        version = (
            check.want_choice(raw["sqlVersion"], (*path, "sqlVersion"), SQL_VERSIONS, what="an IoT SQL version")
            or version
        )
    name = text_of(raw, "name", path, check)
    if name is not None and not RULE_NAME.match(name):
        check.error((*path, "name"), f"{show(name)} is not an IoT rule name: 1-128 letters, digits and '_'")
        name = None
    description = text_of(raw, "description", path, check) or ""
    if len(description) > DESCRIPTION_MAX:
        check.error((*path, "description"), f"is {len(description)} characters; AWS IoT allows {DESCRIPTION_MAX}")
    return [
        IotEvent(
            sql=sql.replace("\n", " ").strip(),  # v3 joins a multi-line statement
            sql_version=version,
            name=name,
            enabled=flag(raw, "enabled", path, check, True),
            description=description,
        )
    ]


def rule_name(target: Target, event: EventSpec, name: str) -> str:
    """The name given, else one made of the function's name and the trigger's (IoT allows only letters, digits
    and '_' in it)."""
    if event.settings_as(IotEvent).name:
        return str(event.settings_as(IotEvent).name)
    return names.shorten(re.sub(r"[^A-Za-z0-9_]", "_", f"{target.function_name}_{name}"), RULE_NAME_MAX)


def iot_name(event: EventSpec) -> str:
    given = event.settings_as(IotEvent).name
    return slug(given) if given else "rule"


def render(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(IotEvent)
    physical = rule_name(target, event, name)
    spec = IotTopicRule(
        sql=s.sql,
        sql_version=s.sql_version,
        description=s.description,
        enabled=s.enabled,
        function_arns=(target.alias_arn,),
        tags=dict(target.tags),
    )
    rule = Resource.of(
        trigger_address(target, "iot", name),
        physical,
        spec,
        depends_on=(target.alias_address, Address.permission(target.function_key, "iot", name)),
        scope=target.scope("iot", name),
    )
    rule_arn = arn("iot", f"rule/{physical}", region=target.region, account_id=target.account_id)
    return [permission(target, "iot", name, principal=IOT, source_arn=rule_arn), rule]


def iot(where: Where) -> JsonObject:
    """What a rule's Lambda action sends: the SELECT's result, here a device's reading on its topic.
    https://docs.aws.amazon.com/iot/latest/developerguide/lambda-rule-action.html"""
    return {"deviceId": "thermostat-01", "temperature": 24.5, "humidity": 41, "timestamp": where.now_ms}


TRIGGER = TriggerType(
    parse=parse_iot, name=iot_name, render=render, samples={"iot": iot}, kinds=("iot_topic_rule", "permission")
)
