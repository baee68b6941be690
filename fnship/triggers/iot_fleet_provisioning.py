"""`iotFleetProvisioning` events: an AWS IoT fleet provisioning template (its body, provisioning role and state)
whose pre-provisioning hook is the alias, and the statement that lets IoT invoke it (pinned to the template, as
AWS asks). One per function, as in Serverless v3. Parse, render, sample event in one place. Pure.

https://www.serverless.com/framework/docs/providers/aws/events/iot-fleet-provisioning
https://docs.aws.amazon.com/iot/latest/developerguide/pre-provisioning-hook.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fnship.arns import arn
from fnship.jsonvalue import JsonObject
from fnship.kinds.iot_provisioning_template import IotProvisioningTemplate
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import EventContext, flag, json_value, text_of, want_arn
from fnship.manifest.types import EventSettings, EventSpec, KeyPath, Value
from fnship.model import names
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, permission, trigger_address
from fnship.triggers.base import TriggerType

FLEET_KEYS = frozenset({"templateBody", "provisioningRoleArn", "enabled", "templateName"})
# https://docs.aws.amazon.com/iot/latest/apireference/API_CreateProvisioningTemplate.html
TEMPLATE_NAME = re.compile(r"^[0-9A-Za-z_-]{1,36}$")
TEMPLATE_NAME_MAX = 36
TEMPLATE_BODY_MAX = 10240
IOT = "iot.amazonaws.com"
NAME = "template"  # the trigger's name: a function has one template


@dataclass(frozen=True)
class FleetProvisioningEvent(EventSettings):
    template_body: str  # compact JSON
    provisioning_role_arn: str
    enabled: bool
    template_name: str | None


def parse_fleet_provisioning(
    value: object, path: KeyPath, ctx: EventContext, index: int
) -> list[FleetProvisioningEvent]:
    check = ctx.check
    raw = check.want_mapping(value, path, what="a mapping (templateBody, provisioningRoleArn, ...)")
    if raw is None:
        return []
    check.keys(raw, path, FLEET_KEYS)
    body = None
    if raw.get("templateBody") is None:
        check.error(path, "templateBody is required (the provisioning template, a mapping)", at_key=True)
    else:
        found = check.want_mapping(raw["templateBody"], (*path, "templateBody"), what="a provisioning template")
        body = json_value(found, (*path, "templateBody"), check) if found is not None else None
        if body is not None and len(body) > TEMPLATE_BODY_MAX:
            check.error(
                (*path, "templateBody"), f"is {len(body)} characters as JSON; AWS IoT allows {TEMPLATE_BODY_MAX}"
            )
    role = None
    if raw.get("provisioningRoleArn") is None:
        check.error(path, "provisioningRoleArn is required (the role AWS IoT provisions devices with)", at_key=True)
    else:
        role = want_arn(raw["provisioningRoleArn"], (*path, "provisioningRoleArn"), check, services=("iam",),
                        what="IAM role")  # fmt: skip
    name = text_of(raw, "templateName", path, check)
    if name is not None and not TEMPLATE_NAME.match(name):
        check.error((*path, "templateName"), f"{show(name)} is not a template name: 1-36 letters, digits, '_', '-'")
        name = None
    if body is None or role is None:
        return []
    return [FleetProvisioningEvent(body, role, flag(raw, "enabled", path, check, True), name)]


def check_service(events: list[tuple[str, EventSpec]], check: Checker, _provider: Mapping[str, Value]) -> None:
    """Serverless v3 allows one template per function; a template name is the account's once."""
    functions: set[str] = set()
    for key, event in events:
        if key in functions:
            check.error(("functions", key, "events", event.index, "iotFleetProvisioning"),
                        f"function {key} already has an iotFleetProvisioning event",
                        "a function is the pre-provisioning hook of one template")  # fmt: skip
        functions.add(key)


def template_name(target: Target, event: EventSpec) -> str:
    return event.settings_as(FleetProvisioningEvent).template_name or names.shorten(
        target.function_name, TEMPLATE_NAME_MAX
    )


def name(_event: EventSpec) -> str:
    return NAME


def render(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(FleetProvisioningEvent)
    physical = template_name(target, event)
    template_arn = arn("iot", f"provisioningtemplate/{physical}", region=target.region, account_id=target.account_id)
    statement = permission(target, "iotFleetProvisioning", name, principal=IOT, source_arn=template_arn)
    template = Resource.of(
        trigger_address(target, "iotFleetProvisioning", name),
        physical,
        IotProvisioningTemplate(
            template_body=s.template_body,
            provisioning_role_arn=s.provisioning_role_arn,
            enabled=s.enabled,
            hook=target.alias_arn,
            tags=dict(target.tags),
        ),
        depends_on=(target.alias_address, Address.permission(target.function_key, "iotFleetProvisioning", name)),
        scope=target.scope("iotFleetProvisioning", name),
    )
    return [statement, template]


def iot_fleet_provisioning(where: Where) -> JsonObject:
    """What AWS IoT sends a pre-provisioning hook when a device calls RegisterThing."""
    return {
        "claimCertificateId": stable_id("claim-certificate").replace("-", ""),
        "certificateId": stable_id("device-certificate").replace("-", ""),
        "certificatePem": "-----BEGIN CERTIFICATE-----\nEXAMPLE\n-----END CERTIFICATE-----\n",
        "templateArn": f"arn:aws:iot:{where.region}:{where.account_id}:provisioningtemplate/example-template",
        "clientId": stable_id("device-client"),
        "parameters": {"SerialNumber": "ABC123", "DeviceLocation": "Seattle"},
    }


TRIGGER = TriggerType(
    parse=parse_fleet_provisioning,
    name=name,
    render=render,
    samples={"iotFleetProvisioning": iot_fleet_provisioning},
    kinds=("iot_provisioning_template", "permission"),
    check_service=check_service,
)
