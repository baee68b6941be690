"""`httpApi` events (routes of the service's API Gateway HTTP API, a Lambda proxy integration to the alias each)
and `provider.httpApi` (CORS, JWT authorizers, payload format). Parse, render, sample event in one place. Pure."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace

from fnship.jsonvalue import JsonObject
from fnship.kinds.http_api import HttpApi, HttpApiAuthorizer, HttpApiRoute
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import EventContext, http_method, http_path, http_route, parse_cors, text_of
from fnship.manifest.types import EventSettings, EventSpec, HttpApiSpec, JwtAuthorizer, KeyPath
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.api import APIGATEWAY, HTTP_API, api_name, route_name
from fnship.model.triggers.common import (
    Target,
    cors_configuration,
    execute_api_arn,
    permission,
    trigger_address,
)
from fnship.triggers.base import Shared, TriggerType

HTTP_API_KEYS = frozenset({"method", "path", "authorizer"})
HTTP_API_AUTHORIZER_KEYS = frozenset({"name", "scopes"})
PROVIDER_HTTP_API_KEYS = frozenset({"cors", "authorizers", "payload"})
FUNCTION_HTTP_API_KEYS = frozenset({"payload"})
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
PAYLOAD_FORMATS = ("1.0", "2.0")
AUTHORIZER_KEYS = frozenset({"type", "identitySource", "issuerUrl", "audience"})


@dataclass(frozen=True)
class HttpApiEvent(EventSettings):
    """A route of the service's HTTP API: `GET /todos/{id}`, or the catch-all `$default` (method ANY, path `*`)."""

    route_key: str
    method: str
    path: str
    authorizer: str | None  # a name under provider.httpApi.authorizers
    scopes: tuple[str, ...]
    payload_format: str  # "1.0" or "2.0": the event API Gateway sends the function and how it reads the answer


def parse_http_api(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[HttpApiEvent]:
    check = ctx.check
    authorizer: str | None = None
    scopes: tuple[str, ...] = ()
    if isinstance(value, str):
        if value.strip() == "*":
            return [HttpApiEvent("$default", "ANY", "*", None, (), ctx.http_api.payload_format)]
        route = http_route(value, path, check)
        if route is None:
            return []
        method_text, path_text = route
        where = path
    else:
        raw = check.want_mapping(value, path, what="'METHOD /path', '*' or a mapping (method, path)")
        if raw is None:
            return []
        check.keys(raw, path, HTTP_API_KEYS)
        method_text = check.want_str(raw.get("method", "*"), (*path, "method")) or "*"
        if raw.get("path") is None:
            check.error(path, "path is required (or write the event as `httpApi: '*'`)", at_key=True)
            return []
        path_text = check.want_str(raw["path"], (*path, "path")) or "/"
        where = (*path, "path")
        if raw.get("authorizer") is not None:
            authorizer, scopes = _http_api_authorizer(raw["authorizer"], (*path, "authorizer"), ctx)
    if method_text == "*" and path_text == "*":
        return [HttpApiEvent("$default", "ANY", "*", authorizer, scopes, ctx.http_api.payload_format)]
    method = http_method(method_text, where, check)
    route_path = http_path(path_text, where, check)
    if method is None or route_path is None:
        return []
    route_key = f"{method} {route_path}"
    return [HttpApiEvent(route_key, method, route_path, authorizer, scopes, ctx.http_api.payload_format)]


def _http_api_authorizer(value: object, path: KeyPath, ctx: EventContext) -> tuple[str | None, tuple[str, ...]]:
    check = ctx.check
    if isinstance(value, str):
        name, scopes = value, []
    else:
        raw = check.want_mapping(value, path, what="an authorizer name or a mapping (name, scopes)")
        if raw is None:
            return None, ()
        check.keys(raw, path, HTTP_API_AUTHORIZER_KEYS)
        name = check.want_str(raw.get("name"), (*path, "name")) or ""
        scopes = check.want_str_list(raw["scopes"], (*path, "scopes")) or [] if raw.get("scopes") is not None else []
        path = (*path, "name")
    if name and name not in ctx.http_api.authorizers:
        known = ", ".join(ctx.http_api.authorizers) or "(none)"
        check.error(path, f"authorizer {show(name)} is not defined in provider.httpApi.authorizers (defined: {known})")
        return None, ()
    return name or None, tuple(sorted(scopes))


def parse_provider_http_api(value: object, path: KeyPath, check: Checker) -> HttpApiSpec:
    if value is None:
        return HttpApiSpec()
    raw = check.want_mapping(value, path)
    if raw is None:
        return HttpApiSpec()
    check.keys(raw, path, PROVIDER_HTTP_API_KEYS)
    authorizers: dict[str, JwtAuthorizer] = {}
    if raw.get("authorizers") is not None:
        found = check.want_mapping(raw["authorizers"], (*path, "authorizers")) or {}
        for name, spec in found.items():
            parsed = _jwt_authorizer(spec, (*path, "authorizers", name), check)
            if parsed is not None:
                authorizers[name] = parsed
    return HttpApiSpec(
        cors=parse_cors(raw.get("cors"), (*path, "cors"), check),
        authorizers=authorizers,
        payload_format=_payload_format(raw, path, check) or "2.0",
    )


def parse_function_http_api(value: object, path: KeyPath, check: Checker, provider: HttpApiSpec) -> HttpApiSpec:
    """`functions.<key>.httpApi` (`payload` only, as in Serverless v3): the provider's HTTP API settings with the
    function's payload format, which its routes use."""
    if value is None:
        return provider
    raw = check.want_mapping(value, path, what="a mapping (payload)")
    if raw is None:
        return provider
    check.keys(raw, path, FUNCTION_HTTP_API_KEYS)
    return replace(provider, payload_format=_payload_format(raw, path, check) or provider.payload_format)


def _payload_format(raw: Mapping[str, object], path: KeyPath, check: Checker) -> str | None:
    if raw.get("payload") is None:
        return None
    value = raw["payload"]
    # YAML reads an unquoted 1.0 as a float: str() gives back what was written.
    text = str(value) if isinstance(value, (str, float)) else None
    if text not in PAYLOAD_FORMATS:
        check.error(
            (*path, "payload"),
            f"{show(value)} is not an HTTP API payload format",
            "write '1.0' or '2.0' (quoted)",
        )
        return None
    return text


def _jwt_authorizer(value: object, path: KeyPath, check: Checker) -> JwtAuthorizer | None:
    raw = check.want_mapping(value, path, what="a mapping (identitySource, issuerUrl, audience)")
    if raw is None:
        return None
    check.keys(raw, path, AUTHORIZER_KEYS)
    if raw.get("type") is not None and str(raw["type"]).lower() != "jwt":
        check.error((*path, "type"), f"{show(raw['type'])} is not supported: fnship creates JWT authorizers only")
        return None
    issuer = text_of(raw, "issuerUrl", path, check)
    if issuer is None:
        check.error(path, "issuerUrl is required for a JWT authorizer", at_key=True)
    elif not issuer.startswith("https://"):
        check.error((*path, "issuerUrl"), f"{show(issuer)} must be an https:// URL")
    audience = check.want_str_list(raw.get("audience"), (*path, "audience"), single_ok=True)
    if raw.get("audience") is None:
        check.error(path, "audience is required for a JWT authorizer", at_key=True)
    source = "$request.header.Authorization"
    if raw.get("identitySource") is not None:
        source = check.want_str(raw["identitySource"], (*path, "identitySource")) or source
    if issuer is None or audience is None:
        return None
    return JwtAuthorizer(identity_source=(source,), issuer=issuer, audience=tuple(sorted(audience)))


def http_api_route_name(event: EventSpec) -> str:
    settings = event.settings_as(HttpApiEvent)
    return route_name(settings.method, settings.path)


def render_http_api_route(target: Target, event: EventSpec, name: str) -> list[Resource]:
    settings = event.settings_as(HttpApiEvent)
    spec = HttpApiRoute(
        route_key=settings.route_key,
        target=target.alias_arn,
        payload_format=settings.payload_format,
        authorizer=settings.authorizer,
        scopes=tuple(settings.scopes),
    )
    route = Resource.of(
        trigger_address(target, "httpApi", name),
        settings.route_key,
        spec,
        depends_on=(
            HTTP_API,
            target.alias_address,
            Address.permission(target.function_key, "httpApi", name),
            *([Address.http_api_authorizer(settings.authorizer)] if settings.authorizer else []),
        ),
        scope=target.scope("httpApi", name),
    )
    source = execute_api_arn(target, HTTP_API, settings.method, settings.path)
    return [permission(target, "httpApi", name, principal=APIGATEWAY, source_arn=source), route]


def shared_http_api(
    *, service: str, stage: str, spec: HttpApiSpec, routes: list[Resource], tags: Mapping[str, str]
) -> list[Resource]:
    """The HTTP API (with its `$default` auto-deploy stage) and the JWT authorizers its routes use."""
    if not routes:
        return []
    api = Resource.of(
        HTTP_API,
        api_name(service=service, stage=stage),
        HttpApi(cors=cors_configuration(spec.cors), default_stage=True, tags=dict(tags)),
    )
    used = sorted({name for route in routes if (name := route.spec_as(HttpApiRoute).authorizer)})
    authorizers = [
        Resource.of(
            Address.http_api_authorizer(name),
            name,
            HttpApiAuthorizer(
                type="JWT",
                identity_source=tuple(spec.authorizers[name].identity_source),
                issuer=spec.authorizers[name].issuer,
                audience=tuple(spec.authorizers[name].audience),
            ),
            depends_on=(HTTP_API,),
        )
        for name in used
    ]
    return [api, *authorizers]


def http_api(where: Where) -> JsonObject:
    """Serverless's `httpApi` event: API Gateway HTTP API (payload format 2.0).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html"""
    return {
        "version": "2.0",
        "routeKey": "POST /hello",
        "rawPath": "/hello",
        "rawQueryString": "name=world",
        "headers": {"content-type": "application/json", "host": f"example.execute-api.{where.region}.amazonaws.com"},
        "queryStringParameters": {"name": "world"},
        "requestContext": {
            "accountId": where.account_id,
            "apiId": "example",
            "domainName": f"example.execute-api.{where.region}.amazonaws.com",
            "domainPrefix": "example",
            "http": {
                "method": "POST",
                "path": "/hello",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "curl/8.0",
            },
            "requestId": stable_id("httpapi-request"),
            "routeKey": "POST /hello",
            "stage": "$default",
            "time": "14/Nov/2023:22:13:20 +0000",
            "timeEpoch": where.now_ms,
        },
        "body": base64.b64encode(json.dumps({"hello": "world"}).encode()).decode(),
        "isBase64Encoded": True,
    }


def shared(_events: list[tuple[Target, EventSpec]], rendered: list[Resource], context: Shared) -> list[Resource]:
    routes = [r for r in rendered if r.kind == "http_api_route"]
    return shared_http_api(service=context.service, stage=context.stage, spec=context.http_api, routes=routes,
                           tags=context.tags)  # fmt: skip


TRIGGER = TriggerType(
    parse=parse_http_api,
    name=http_api_route_name,
    render=render_http_api_route,
    shared=shared,
    samples={"httpApi": http_api},
    kinds=("http_api_route", "permission", "http_api", "http_api_authorizer"),
)
