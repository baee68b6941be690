"""`httpApi` events (routes of the service's API Gateway HTTP API, a Lambda proxy integration to the alias each)
and `provider.httpApi` (CORS, JWT authorizers, payload format). Parse, render, sample event in one place. Pure."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from fnship.arns import arn
from fnship.jsonvalue import JsonObject
from fnship.kinds.http_api import HttpApi, HttpApiAuthorizer, HttpApiRoute
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import (
    EventContext,
    flag,
    http_method,
    http_path,
    http_route,
    parse_cors,
    text_of,
    want_arn,
    want_bounded,
)
from fnship.manifest.types import (
    EventSettings,
    EventSpec,
    HttpApiSpec,
    JwtAuthorizer,
    KeyPath,
    RequestAuthorizer,
    Value,
)
from fnship.model.address import Address
from fnship.model.resources import Ref, Resource
from fnship.model.triggers.api import APIGATEWAY, HTTP_API, api_name, external_authorizer_permission, route_name
from fnship.model.triggers.common import (
    Target,
    cors_configuration,
    execute_api_arn,
    permission,
    slug,
    trigger_address,
)
from fnship.triggers.base import Shared, TriggerType

# The event type of the statement that lets API Gateway invoke a Lambda authorizer of this service (its statement
# id is `fnship-httpApiAuthorizer-<name>`).
AUTHORIZER_EVENT = "httpApiAuthorizer"
HTTP_API_KEYS = frozenset({"method", "path", "authorizer"})
HTTP_API_AUTHORIZER_KEYS = frozenset({"name", "scopes", "type", "id"})
PROVIDER_HTTP_API_KEYS = frozenset({"cors", "authorizers", "payload", "id"})
FUNCTION_HTTP_API_KEYS = frozenset({"payload"})
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
PAYLOAD_FORMATS = ("1.0", "2.0")
AUTHORIZER_KEYS = frozenset({"type", "identitySource", "issuerUrl", "audience"})
REQUEST_AUTHORIZER_KEYS = frozenset(
    {"type", "name", "functionName", "functionArn", "identitySource", "resultTtlInSeconds", "enableSimpleResponses",
     "payloadVersion", "managedExternally"}
)  # fmt: skip
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
AUTHORIZER_TTL_S = (0, 3600)
IDENTITY_SOURCE = re.compile(r"^\$(request\.(header|querystring)\.[^\s.]+|context\.\S+|stageVariables\.\S+)$")


@dataclass(frozen=True)
class HttpApiEvent(EventSettings):
    """A route of the service's HTTP API: `GET /todos/{id}`, or the catch-all `$default` (method ANY, path `*`)."""

    route_key: str
    method: str
    path: str
    authorizer: str | None  # a name under provider.httpApi.authorizers
    scopes: tuple[str, ...]
    payload_format: str  # "1.0" or "2.0": the event API Gateway sends the function and how it reads the answer
    authorization: str = "NONE"  # NONE | JWT | CUSTOM (a Lambda request authorizer) | AWS_IAM
    api_id: str | None = None  # provider.httpApi.id: the existing API the route goes on


def parse_http_api(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[HttpApiEvent]:
    check = ctx.check
    authorizer: str | None = None
    scopes: tuple[str, ...] = ()
    authorization = "NONE"
    if isinstance(value, str):
        if value.strip() == "*":
            return [HttpApiEvent("$default", "ANY", "*", None, (), ctx.http_api.payload_format,
                                 api_id=ctx.http_api.api_id)]  # fmt: skip
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
            authorizer, scopes, authorization = _http_api_authorizer(raw["authorizer"], (*path, "authorizer"), ctx)
    payload = ctx.http_api.payload_format
    if method_text == "*" and path_text == "*":
        return [HttpApiEvent("$default", "ANY", "*", authorizer, scopes, payload, authorization, ctx.http_api.api_id)]
    method = http_method(method_text, where, check)
    route_path = http_path(path_text, where, check)
    if method is None or route_path is None:
        return []
    route_key = f"{method} {route_path}"
    return [
        HttpApiEvent(route_key, method, route_path, authorizer, scopes, payload, authorization, ctx.http_api.api_id)
    ]


def _http_api_authorizer(value: object, path: KeyPath, ctx: EventContext) -> tuple[str | None, tuple[str, ...], str]:
    """(authorizer name, scopes, the route's authorizationType) of an event's `authorizer`."""
    check = ctx.check
    if isinstance(value, str):
        name, scopes = value, []
    else:
        raw = check.want_mapping(value, path, what="an authorizer name or a mapping (name, scopes, type)")
        if raw is None:
            return None, (), "NONE"
        check.keys(raw, path, HTTP_API_AUTHORIZER_KEYS)
        if raw.get("id") is not None:
            check.error((*path, "id"), "an authorizer by id is not supported by fnship",
                        "define it under provider.httpApi.authorizers and name it")  # fmt: skip
            return None, (), "NONE"
        if raw.get("name") is None and str(raw.get("type") or "").lower() == "aws_iam":
            return None, (), "AWS_IAM"
        name = check.want_str(raw.get("name"), (*path, "name")) or ""
        scopes = check.want_str_list(raw["scopes"], (*path, "scopes")) or [] if raw.get("scopes") is not None else []
        path = (*path, "name")
    if name and name not in ctx.http_api.authorizers:
        known = ", ".join(ctx.http_api.authorizers) or "(none)"
        check.error(path, f"authorizer {show(name)} is not defined in provider.httpApi.authorizers (defined: {known})")
        return None, (), "NONE"
    if not name:
        return None, (), "NONE"
    if isinstance(ctx.http_api.authorizers[name], RequestAuthorizer):
        if scopes:
            check.error(path, "scopes apply to JWT authorizers only (AWS checks them against the token's scopes)")
        return name, (), "CUSTOM"
    return name, tuple(sorted(scopes)), "JWT"


def parse_provider_http_api(value: object, path: KeyPath, check: Checker) -> HttpApiSpec:
    if value is None:
        return HttpApiSpec()
    raw = check.want_mapping(value, path)
    if raw is None:
        return HttpApiSpec()
    check.keys(raw, path, PROVIDER_HTTP_API_KEYS)
    authorizers: dict[str, JwtAuthorizer | RequestAuthorizer] = {}
    if raw.get("authorizers") is not None:
        found = check.want_mapping(raw["authorizers"], (*path, "authorizers")) or {}
        for name, spec in found.items():
            where = (*path, "authorizers", name)
            if isinstance(spec, dict) and str(spec.get("type") or "").lower() == "request":
                parsed: JwtAuthorizer | RequestAuthorizer | None = _request_authorizer(spec, where, check)
            else:
                parsed = _jwt_authorizer(spec, where, check)
            if parsed is not None:
                authorizers[name] = parsed
    api_id = text_of(raw, "id", path, check)
    if api_id is not None:
        # Serverless v3 refuses both on an API it does not own (EXTERNAL_HTTP_API_CORS_CONFIG, ..._AUTHORIZERS_CONFIG).
        for key in ("cors", "authorizers"):
            if raw.get(key):
                check.error((*path, key), f"cannot set up {key} for an externally configured HTTP API (provider."
                            "httpApi.id)", "configure it on that API, or remove provider.httpApi.id")  # fmt: skip
    return HttpApiSpec(
        cors=parse_cors(raw.get("cors"), (*path, "cors"), check),
        authorizers=authorizers,
        api_id=api_id,
        payload_format=_payload_format(raw, path, check) or "2.0",
    )


def _request_authorizer(raw: Mapping[str, Value], path: KeyPath, check: Checker) -> RequestAuthorizer | None:
    """A Lambda (`type: request`) authorizer, with Serverless v3's rules: `functionName` or `functionArn` (not
    both), an identity source when it caches."""
    check.keys(raw, path, REQUEST_AUTHORIZER_KEYS)
    function_key = text_of(raw, "functionName", path, check)
    function_arn = text_of(raw, "functionArn", path, check)
    if (function_key is None) == (function_arn is None):
        check.error(path, 'either "functionArn" or "functionName" (not both) needs to be set on a request authorizer')
        return None
    if function_arn is not None:
        function_arn = want_arn(function_arn, (*path, "functionArn"), check, services=("lambda",),
                                what="Lambda function")  # fmt: skip
    sources: list[str] = []
    if raw.get("identitySource") is not None:
        sources = check.want_str_list(raw["identitySource"], (*path, "identitySource"), single_ok=True) or []
    for source in sources:
        if not IDENTITY_SOURCE.match(source):
            check.error((*path, "identitySource"), f"{show(source)} is not an identity source",
                        "write $request.header.<name>, $request.querystring.<name>, $context.<name> or "
                        "$stageVariables.<name>")  # fmt: skip
    ttl = 0
    if raw.get("resultTtlInSeconds") is not None:
        ttl = want_bounded(raw["resultTtlInSeconds"], (*path, "resultTtlInSeconds"), check, AUTHORIZER_TTL_S,
                           unit="seconds") or 0  # fmt: skip
    if ttl and not sources:
        check.error((*path, "resultTtlInSeconds"), 'a request authorizer that caches needs "identitySource": it is '
                    "the cache key")  # fmt: skip
    version = "2.0"
    if raw.get("payloadVersion") is not None:
        version = str(raw["payloadVersion"])
        if version not in PAYLOAD_FORMATS:
            check.error((*path, "payloadVersion"), f"{show(raw['payloadVersion'])} is not an authorizer payload "
                        "version", "write '1.0' or '2.0' (quoted)")  # fmt: skip
    simple = flag(raw, "enableSimpleResponses", path, check, False)
    if simple and version != "2.0":
        check.error((*path, "enableSimpleResponses"), "simple responses need payloadVersion '2.0' (AWS refuses them "
                    "with '1.0')")  # fmt: skip
    managed = flag(raw, "managedExternally", path, check, False)
    return RequestAuthorizer(function_key, function_arn, tuple(sources), ttl, simple, version, managed)


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
        authorization=settings.authorization,
        api_id=settings.api_id,
    )
    route = Resource.of(
        trigger_address(target, "httpApi", name),
        settings.route_key,
        spec,
        depends_on=(
            *([] if settings.api_id else [HTTP_API]),
            target.alias_address,
            Address.permission(target.function_key, "httpApi", name),
            *([Address.http_api_authorizer(settings.authorizer)] if settings.authorizer else []),
        ),
        scope=target.scope("httpApi", name),
    )
    source: str | Ref = execute_api_arn(target, HTTP_API, settings.method, settings.path)
    if settings.api_id and isinstance(source, Ref):  # an existing API: its id is known now
        source = source.template.replace("{value}", settings.api_id)
    return [permission(target, "httpApi", name, principal=APIGATEWAY, source_arn=source), route]


def shared_http_api(
    *,
    service: str,
    stage: str,
    spec: HttpApiSpec,
    routes: list[Resource],
    tags: Mapping[str, str],
    functions: Mapping[str, Target] | None = None,
) -> list[Resource]:
    """The HTTP API (with its `$default` auto-deploy stage) and the authorizers its routes use (a Lambda authorizer
    of this service with the statement that lets API Gateway invoke it for this API's authorizers only). Nothing
    for an existing API (`provider.httpApi.id`): its routes go on it."""
    if not routes or spec.api_id:
        return []
    api = Resource.of(
        HTTP_API,
        api_name(service=service, stage=stage),
        HttpApi(cors=cors_configuration(spec.cors), default_stage=True, tags=dict(tags)),
    )
    used = sorted({name for route in routes if (name := route.spec_as(HttpApiRoute).authorizer)})
    authorizers: list[Resource] = []
    for name in used:
        found = spec.authorizers[name]
        depends: list[str] = [HTTP_API]
        if isinstance(found, RequestAuthorizer):
            function = (functions or {}).get(found.function_key) if found.function_key else None
            arn_of = function.alias_arn if function is not None else found.function_arn
            authorizer = HttpApiAuthorizer(type="REQUEST", identity_source=found.identity_source, issuer=None,
                                           audience=(), function_arn=arn_of, ttl=found.ttl,
                                           simple_responses=found.simple_responses,
                                           payload_version=found.payload_version)  # fmt: skip
            if function is not None:
                source = Ref(HTTP_API, "id", arn("execute-api", "{value}/authorizers/*", region=function.region,
                                                 account_id=function.account_id))  # fmt: skip
                authorizers.append(permission(function, AUTHORIZER_EVENT, slug(name), principal=APIGATEWAY,
                                              source_arn=source))  # fmt: skip
                depends.append(Address.permission(function.function_key, AUTHORIZER_EVENT, slug(name)))
            elif found.function_arn and not found.managed_externally:
                statement = external_authorizer_permission(found.function_arn, name, api=HTTP_API, api_kind="http",
                                                           service=service, stage=stage)  # fmt: skip
                authorizers.append(statement)
                depends.append(statement.address)
        else:
            authorizer = HttpApiAuthorizer(type="JWT", identity_source=tuple(found.identity_source),
                                           issuer=found.issuer, audience=tuple(found.audience))  # fmt: skip
        authorizers.append(Resource.of(Address.http_api_authorizer(name), name, authorizer, depends_on=depends))
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
                           tags=context.tags, functions=context.functions)  # fmt: skip


TRIGGER = TriggerType(
    parse=parse_http_api,
    name=http_api_route_name,
    render=render_http_api_route,
    shared=shared,
    samples={"httpApi": http_api},
    kinds=("http_api_route", "permission", "http_api", "http_api_authorizer"),
)
