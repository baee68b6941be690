"""`url:` on a function: a function URL on the alias, public (`NONE`) or IAM-authorized. Parse and render in one
place. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace

from fnship.kinds.function_url import FunctionUrl
from fnship.manifest.checks import Checker
from fnship.manifest.events.common import parse_cors
from fnship.manifest.types import Cors, EventSettings, EventSpec, KeyPath
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, cors_configuration, permission, trigger_address
from fnship.triggers.base import TriggerType

URL_KEYS = frozenset({"authorizer", "cors", "invokeMode"})
INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")


@dataclass(frozen=True)
class UrlEvent(EventSettings):
    """A function URL on the alias: public (`NONE`) or IAM-authorized (`AWS_IAM`)."""

    auth_type: str
    cors: Cors | None
    invoke_mode: str


def parse_url(value: object, path: KeyPath, check: Checker) -> UrlEvent | None:
    if value is True:
        return UrlEvent("NONE", None, "BUFFERED")
    raw = check.want_mapping(value, path, what="true or a mapping (authorizer, cors, invokeMode)")
    if raw is None:
        return None
    check.keys(raw, path, URL_KEYS)
    auth = "NONE"
    if raw.get("authorizer") is not None:
        chosen = check.want_choice(
            raw["authorizer"], (*path, "authorizer"), ("aws_iam",), what="a function URL authorizer"
        )
        auth = "AWS_IAM" if chosen else auth
    mode = "BUFFERED"
    if raw.get("invokeMode") is not None:
        mode = check.want_choice(raw["invokeMode"], (*path, "invokeMode"), INVOKE_MODES, what="an invoke mode") or mode
    return UrlEvent(auth, parse_cors(raw.get("cors"), (*path, "cors"), check), mode)


def url_name(event: EventSpec) -> str:
    return "url"


def render_url(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(UrlEvent)
    url = Resource.of(
        trigger_address(target, "url", target.alias),
        target.alias,
        FunctionUrl(auth_type=s.auth_type, cors=cors_configuration(s.cors), invoke_mode=s.invoke_mode),
        depends_on=(target.alias_address,),
        scope=target.scope("url", target.alias),
    )
    if s.auth_type != "NONE":
        return [url]
    # The URL is created once anyone may invoke through it: the statements go first.
    # A public URL needs both statements since October 2025; `*` is the principal because the URL is public,
    # and the conditions limit each statement to calls that come through the function URL:
    # https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html#urls-auth-none
    public = [
        permission(target, "url", target.alias, principal="*", source_arn=None, action="lambda:InvokeFunctionUrl",
                   url_auth_type="NONE", source_account=False),
        permission(target, "url", f"{target.alias}-invoke", principal="*", source_arn=None,
                   via_function_url=True, source_account=False),
    ]  # fmt: skip
    return [*public, replace(url, depends_on=(*url.depends_on, *(p.address for p in public)))]


TRIGGER = TriggerType(parse=None, name=url_name, render=render_url, kinds=("function_url", "permission"))
