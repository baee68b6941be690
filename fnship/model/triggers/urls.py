"""`url:` on a function: a function URL on the alias, public (`NONE`) or IAM-authorized. Pure."""

from __future__ import annotations

from dataclasses import replace

from fnship.kinds.function_url import FunctionUrl
from fnship.manifest.types import EventSpec
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, cors_configuration, permission, trigger_address


def url_name(event: EventSpec) -> str:
    return "url"


def render_url(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings
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
