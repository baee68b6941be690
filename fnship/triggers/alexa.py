"""`alexaSkill` and `alexaSmartHome` events: a statement on the alias's policy that lets the Alexa service invoke it,
for one skill (its id as the statement's EventSourceToken). Nothing else is created: the skill itself is made in
the Alexa developer console. Parse, render, sample events in one place. Pure.

https://developer.amazon.com/en-US/docs/alexa/custom-skills/host-a-custom-skill-as-an-aws-lambda-function.html
https://www.serverless.com/framework/docs/providers/aws/events/alexa-skill
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fnship.jsonvalue import JsonObject
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import EventContext, flag
from fnship.manifest.types import EventSettings, EventSpec, KeyPath
from fnship.model.resources import Resource
from fnship.model.triggers.common import INVOKE, Target, permission, slug
from fnship.triggers.base import TriggerType

ALEXA_KEYS = frozenset({"appId", "enabled"})
# Serverless v3's `awsAlexaEventToken`: what Lambda takes as an EventSourceToken.
APP_ID = re.compile(r"^[a-zA-Z0-9._\-]{1,256}$")
SKILL_PRINCIPAL = "alexa-appkit.amazon.com"
SMART_HOME_PRINCIPAL = "alexa-connectedhome.amazon.com"
# v3 writes a disabled event as a statement with this action: it stays on the policy but allows nothing.
DISABLED_ACTION = "lambda:DisableInvokeFunction"
# What Serverless v3 says of `- alexaSkill` written without a skill id.
ANY_SKILL_WARNING = (
    "an alexaSkill event without appId lets any Alexa skill invoke the function (Serverless v3 deprecation "
    "ALEXA_SKILL_EVENT_WITHOUT_APP_ID: support for it will be removed); write `alexaSkill: <your skill id>`"
)


@dataclass(frozen=True)
class AlexaEvent(EventSettings):
    """The skill allowed to invoke the alias (None: any skill, `- alexaSkill` alone), and whether it may."""

    app_id: str | None
    enabled: bool


def _app_id(value: object, path: KeyPath, check: Checker) -> str | None:
    text = check.want_str(value, path)
    if text is not None and not APP_ID.match(text):
        check.error(path, f"{show(text)} is not an Alexa skill id: letters, digits, '.', '_' and '-'")
        return None
    return text


def _parse(value: object, path: KeyPath, check: Checker, *, what: str) -> list[AlexaEvent]:
    if isinstance(value, dict):
        check.keys(value, path, ALEXA_KEYS)
        if value.get("appId") is None:
            check.error(path, "appId (the skill id) is required", at_key=True)
            return []
        app_id = _app_id(value["appId"], (*path, "appId"), check)
        enabled = flag(value, "enabled", path, check, True)
    elif isinstance(value, str):
        app_id, enabled = _app_id(value, path, check), True
    else:
        check.error(path, f"must be the {what}'s id or a mapping (appId, enabled), got {show(value)}")
        return []
    return [AlexaEvent(app_id=app_id, enabled=enabled)] if app_id is not None else []


def parse_alexa_skill(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[AlexaEvent]:
    if value is None:  # `- alexaSkill` alone: accepted, as v3 does, with its warning
        ctx.check.notes.append(f"{'.'.join(map(str, path[:-1]))}: {ANY_SKILL_WARNING}")
        return [AlexaEvent(app_id=None, enabled=True)]
    return _parse(value, path, ctx.check, what="skill")


def parse_alexa_smart_home(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[AlexaEvent]:
    return _parse(value, path, ctx.check, what="smart home skill")


def name(event: EventSpec) -> str:
    """The skill id's last part (`amzn1.ask.skill.<uuid>` -> the uuid); `any` for a bare `- alexaSkill`."""
    app_id = event.settings_as(AlexaEvent).app_id
    return slug(app_id.rsplit(".", 1)[-1]) if app_id else "any"


def _render(target: Target, event: EventSpec, name: str, *, event_type: str, principal: str) -> list[Resource]:
    s = event.settings_as(AlexaEvent)
    # No SourceArn or SourceAccount: Alexa calls from Amazon's own account; the skill id is what pins the caller.
    statement = permission(
        target,
        event_type,
        name,
        principal=principal,
        source_arn=None,
        action=INVOKE if s.enabled else DISABLED_ACTION,
        source_account=False,
        event_source_token=s.app_id,
    )
    return [statement]


def render_alexa_skill(target: Target, event: EventSpec, name: str) -> list[Resource]:
    return _render(target, event, name, event_type="alexaSkill", principal=SKILL_PRINCIPAL)


def render_alexa_smart_home(target: Target, event: EventSpec, name: str) -> list[Resource]:
    return _render(target, event, name, event_type="alexaSmartHome", principal=SMART_HOME_PRINCIPAL)


SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"


def alexa_skill(where: Where) -> JsonObject:
    """A custom skill's LaunchRequest.
    https://developer.amazon.com/en-US/docs/alexa/custom-skills/request-and-response-json-reference.html"""
    application: JsonObject = {"applicationId": SKILL_ID}
    user: JsonObject = {"userId": f"amzn1.ask.account.{stable_id('alexa-user')}"}
    return {
        "version": "1.0",
        "session": {
            "new": True,
            "sessionId": f"amzn1.echo-api.session.{stable_id('alexa-session')}",
            "application": application,
            "attributes": {},
            "user": user,
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": f"amzn1.ask.device.{stable_id('alexa-device')}", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": {
            "type": "LaunchRequest",
            "requestId": f"amzn1.echo-api.request.{stable_id('alexa-request')}",
            "timestamp": where.iso[:19] + "Z",
            "locale": "en-US",
        },
    }


def alexa_smart_home(where: Where) -> JsonObject:
    """A smart home skill's Discover directive.
    https://developer.amazon.com/en-US/docs/alexa/device-apis/alexa-discovery.html"""
    return {
        "directive": {
            "header": {
                "namespace": "Alexa.Discovery",
                "name": "Discover",
                "payloadVersion": "3",
                "messageId": stable_id("alexa-smart-home"),
            },
            "payload": {"scope": {"type": "BearerToken", "token": "access-token-from-skill"}},
        }
    }


ALEXA_SKILL = TriggerType(
    parse=parse_alexa_skill,
    name=name,
    render=render_alexa_skill,
    samples={"alexaSkill": alexa_skill},
    kinds=("permission",),
)
ALEXA_SMART_HOME = TriggerType(
    parse=parse_alexa_smart_home,
    name=name,
    render=render_alexa_smart_home,
    samples={"alexaSmartHome": alexa_smart_home},
    kinds=("permission",),
)
