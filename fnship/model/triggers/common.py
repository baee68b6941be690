"""What every trigger renderer shares: the function it targets, names, permissions on the alias. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fnship.arns import arn
from fnship.jsonvalue import JsonValue
from fnship.kinds.base import normalize_cors
from fnship.kinds.permission import Permission
from fnship.manifest.types import Cors
from fnship.model import names
from fnship.model.address import Address
from fnship.model.resources import FunctionScope, Ref, Resource

PERMISSION_SID_PREFIX = "fnship-"
INVOKE = "lambda:InvokeFunction"


@dataclass(frozen=True)
class Target:
    """The function (behind its alias) that a trigger invokes, and where it lives."""

    service: str
    stage: str
    region: str
    account_id: str
    function_key: str
    function_name: str
    alias: str
    timeout: int
    tags: Mapping[str, str]  # ownership tags (service, stage, function) for what we create

    @property
    def function_arn(self) -> str:
        return names.function_arn(region=self.region, account_id=self.account_id, function_name=self.function_name)

    @property
    def alias_address(self) -> Address:
        return Address.alias(self.function_key, self.alias)

    @property
    def alias_arn(self) -> str:
        """Every trigger targets this, so a traffic shift or a rollback moves all traffic together."""
        return f"{self.function_arn}:{self.alias}"

    def scope(self, event_type: str = "", name: str = "") -> FunctionScope:
        """What a trigger (or permission, URL) of this function carries: the alias it belongs to, its type and name."""
        return FunctionScope(
            self.function_key,
            self.function_name,
            self.alias,
            self.alias_arn,
            event_type,
            name,
            self.service,
            self.stage,
        )


def slug(text: str) -> str:
    """A name usable in addresses, statement ids and rule names: lowercase letters, digits and hyphens."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return cleaned or "root"


def trigger_address(target: Target, event_type: str, name: str) -> str:
    return Address.trigger(target.function_key, event_type, name)


def permission_sid(event_type: str, name: str) -> str:
    """The statement id on the alias policy: it also tells discovery which trigger the statement belongs to."""
    return f"{PERMISSION_SID_PREFIX}{event_type}-{name}"


def parse_sid(sid: str) -> tuple[str, str] | None:
    """`fnship-httpApi-get-todos` -> ("httpApi", "get-todos"); None for statements that are not ours."""
    if not sid.startswith(PERMISSION_SID_PREFIX):
        return None
    event_type, _, name = sid[len(PERMISSION_SID_PREFIX) :].partition("-")
    return (event_type, name) if event_type and name else None


def permission(
    target: Target,
    event_type: str,
    name: str,
    *,
    principal: str,
    source_arn: str | Ref | None,
    action: str = INVOKE,
    url_auth_type: str | None = None,
    via_function_url: bool = False,
    source_account: bool = True,
) -> Resource:
    """A statement on the alias's resource policy. SourceArn and SourceAccount pin it to our source, so no
    other account's bucket, topic or API can use it (the confused deputy problem):
    https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-services.html"""
    spec = Permission(
        action=action,
        principal=principal,
        source_arn=source_arn,
        source_account=target.account_id if source_account else None,
        function_url_auth_type=url_auth_type,
        invoked_via_function_url=via_function_url,
    )
    return Resource.of(
        Address.permission(target.function_key, event_type, name),
        permission_sid(event_type, name),
        spec,
        depends_on=(target.alias_address,),
        scope=target.scope(event_type, name),
    )


def execute_api_arn(target: Target, api: Address, method: str, path: str) -> Ref:
    """The SourceArn of an API Gateway route: `{api-id}/*/{METHOD}/{path}`, path parameters as `*`.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html"""
    if path in ("*", "$default"):
        resource = "$default"
    else:
        verb = "*" if method == "ANY" else method
        parts = ["*" if part.startswith("{") else part for part in path.strip("/").split("/") if part]
        resource = f"{verb}/{'/'.join(parts)}"
    return Ref(
        api, "id", arn("execute-api", f"{{value}}/*/{resource}", region=target.region, account_id=target.account_id)
    )


def cors_configuration(cors: Cors | None) -> dict[str, JsonValue] | None:
    """Our CORS settings as the CorsConfiguration of an HTTP API or a function URL, normalized: the form the
    live reader produces from AWS's answer too (unset keys dropped, lists sorted)."""
    if not cors:
        return None
    config: dict[str, JsonValue] = {
        "AllowOrigins": list(cors.allow_origins),
        "AllowHeaders": list(cors.allow_headers),
        "AllowMethods": list(cors.allow_methods),
        "ExposeHeaders": list(cors.expose_headers),
        "AllowCredentials": cors.allow_credentials,
        "MaxAge": cors.max_age,
    }
    return normalize_cors(config)
