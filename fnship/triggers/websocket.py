"""`websocket` events: routes of the service's API Gateway WebSocket API (one per service and stage, its stage
named after the stage, auto-deploying), a Lambda proxy integration to the alias each, Lambda REQUEST authorizers
on `$connect`, and `provider.websocketsApiName`, `websocketsApiRouteSelectionExpression`, `websocketsDescription`.
The role may post to the API's connections (`execute-api:ManageConnections` on this API only). Parse, render,
grants, sample events in one place. Pure.

https://www.serverless.com/framework/docs/providers/aws/events/websocket
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from fnship.arns import arn
from fnship.jsonvalue import Json, JsonObject
from fnship.kinds.role import ReferencedStatement
from fnship.kinds.websocket_api import (
    WEBSOCKET_API,
    WebsocketApi,
    WebsocketAuthorizer,
    WebsocketRoute,
    route_name,
    websocket_api_name,
)
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import EventContext, flag, text_of, want_arn
from fnship.manifest.types import EventSettings, EventSpec, KeyPath, Value
from fnship.model.address import Address
from fnship.model.resources import Ref, Resource
from fnship.model.triggers.api import APIGATEWAY, external_authorizer_permission
from fnship.model.triggers.common import Target, permission, slug, trigger_address
from fnship.triggers.base import Shared, TriggerType

WEBSOCKET_KEYS = frozenset({"route", "routeResponseSelectionExpression", "authorizer"})
AUTHORIZER_KEYS = frozenset({"name", "arn", "identitySource", "managedExternally"})
CONNECT = "$connect"
DEFAULT_ROUTE_SELECTION = "$request.body.action"  # Serverless v3's
DEFAULT_DESCRIPTION = "Serverless Websockets"  # Serverless v3's
DEFAULT_IDENTITY_SOURCE = ("route.request.header.Auth",)  # Serverless v3's
# API Gateway supports only this one for WebSocket routes:
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-selection-expressions.html
ROUTE_RESPONSE_SELECTION = "$default"
ROUTE_KEY = re.compile(r"^[^\s]{1,128}$")
MANAGE_CONNECTIONS = ("execute-api:ManageConnections",)


@dataclass(frozen=True)
class WebsocketAuthorizerSpec:
    """A Lambda REQUEST authorizer: a function of this service (`function_key`) or one given by ARN."""

    name: str
    function_key: str | None
    arn: str | None
    identity_source: tuple[str, ...]
    managed_externally: bool = False  # by ARN: its statement for API Gateway is someone else's to make


@dataclass(frozen=True)
class WebsocketEvent(EventSettings):
    """A route of the service's WebSocket API, and the API's settings (`provider.websockets*`)."""

    route_key: str
    route_response_selection_expression: str | None
    authorizer: WebsocketAuthorizerSpec | None
    api_name: str | None  # None: Serverless's `{stage}-{service}-websockets`
    route_selection_expression: str
    description: str


def _authorizer(value: object, path: KeyPath, ctx: EventContext) -> WebsocketAuthorizerSpec | None:
    check = ctx.check
    if isinstance(value, str):
        raw: Mapping[str, Value] = {"arn": value} if value.startswith("arn:") else {"name": value}
        at = {"name": path, "arn": path}
    else:
        found = check.want_mapping(value, path, what="a function name, an ARN or a mapping (name, arn, identitySource)")
        if found is None:
            return None
        check.keys(found, path, AUTHORIZER_KEYS)
        raw, at = found, {"name": (*path, "name"), "arn": (*path, "arn")}
    sources: tuple[str, ...] = DEFAULT_IDENTITY_SOURCE
    if raw.get("identitySource") is not None:
        sources = tuple(check.want_str_list(raw["identitySource"], (*path, "identitySource"), single_ok=True) or ())
    if raw.get("arn") is not None:
        found_arn = want_arn(raw["arn"], at["arn"], check, services=("lambda",), what="Lambda function")
        if found_arn is None:
            return None
        named = str(raw.get("name") or found_arn.split(":function:", 1)[-1].split(":")[0])
        managed = flag(raw, "managedExternally", path, check, False)
        return WebsocketAuthorizerSpec(name=named, function_key=None, arn=found_arn, identity_source=sources,
                                       managed_externally=managed)  # fmt: skip
    name = check.want_str(raw.get("name"), at["name"]) if raw.get("name") is not None else None
    if not name:
        check.error(path, "name (a function of this service) or arn is required", at_key=True)
        return None
    if name not in ctx.function_keys:
        known = ", ".join(sorted(ctx.function_keys))
        check.error(at["name"], f"{show(name)} is not a function of this service (functions: {known})",
                    "give the authorizer function's key, or its ARN as `arn`")  # fmt: skip
        return None
    return WebsocketAuthorizerSpec(name=name, function_key=name, arn=None, identity_source=sources)


def _provider_text(provider: Mapping[str, Value], key: str) -> str | None:
    value = provider.get(key)
    return value if isinstance(value, str) and value else None


def parse_websocket(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[WebsocketEvent]:
    check = ctx.check
    if isinstance(value, str):
        raw: Mapping[str, Value] = {"route": value}
        route_path = path
    else:
        found = check.want_mapping(value, path, what="a route key or a mapping (route, authorizer, ...)")
        if found is None:
            return []
        check.keys(found, path, WEBSOCKET_KEYS)
        if found.get("route") is None:
            check.error(path, "route is required ($connect, $disconnect, $default or a custom route key)", at_key=True)
            return []
        raw, route_path = found, (*path, "route")
    route = check.want_str(raw["route"], route_path)
    if route is None:
        return []
    if not ROUTE_KEY.match(route):
        check.error(route_path, f"{show(route)} is not a route key: 1-128 characters, no spaces")
        return []
    if route.startswith("$") and route not in ("$connect", "$disconnect", "$default"):
        check.error(route_path, f"{show(route)} is not a predefined route: $connect, $disconnect or $default")
        return []
    response = text_of(raw, "routeResponseSelectionExpression", path, check)
    if response is not None and response != ROUTE_RESPONSE_SELECTION:
        check.error((*path, "routeResponseSelectionExpression"),
                    f"{show(response)} is not supported: WebSocket routes take only $default")  # fmt: skip
        response = None
    authorizer = None
    if raw.get("authorizer") is not None:
        if route != CONNECT:
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
            check.error((*path, "authorizer"), f"an authorizer is only for the $connect route, not {route}",
                        "API Gateway authorizes a WebSocket connection once, when it opens", at_key=True)  # fmt: skip
            return []
        authorizer = _authorizer(raw["authorizer"], (*path, "authorizer"), ctx)
    return [
        WebsocketEvent(
            route_key=route,
            route_response_selection_expression=response,
            authorizer=authorizer,
            api_name=_provider_text(ctx.provider, "websocketsApiName"),
            route_selection_expression=_provider_text(ctx.provider, "websocketsApiRouteSelectionExpression")
            or DEFAULT_ROUTE_SELECTION,
            description=_provider_text(ctx.provider, "websocketsDescription") or DEFAULT_DESCRIPTION,
        )
    ]


def check_service(events: list[tuple[str, EventSpec]], check: Checker, provider: Mapping[str, Value]) -> None:
    """A route key belongs to one function (the API is shared); one authorizer per name; the provider's
    WebSocket settings are strings."""
    for key in ("websocketsApiName", "websocketsApiRouteSelectionExpression", "websocketsDescription"):
        if provider.get(key) is not None:
            check.want_str(provider[key], ("provider", key))
    expression = provider.get("websocketsApiRouteSelectionExpression")
    if isinstance(expression, str) and not expression.startswith("$request."):
        check.error(("provider", "websocketsApiRouteSelectionExpression"),
                    f"{show(expression)} is not a route selection expression (like $request.body.action)")  # fmt: skip
    routes: dict[str, str] = {}
    authorizers: dict[str, WebsocketAuthorizerSpec] = {}
    for key, event in events:
        s = event.settings_as(WebsocketEvent)
        where = ("functions", key, "events", event.index, "websocket")
        if s.route_key in routes:
            check.error(where, f"websocket route {s.route_key} is already served by function {routes[s.route_key]}",
                        "each route goes to one function")  # fmt: skip
        routes.setdefault(s.route_key, key)
        if s.authorizer is not None:
            seen = authorizers.setdefault(s.authorizer.name, s.authorizer)
            if seen != s.authorizer:
                check.error(where, f"authorizer {s.authorizer.name} is defined twice, differently")


def name(event: EventSpec) -> str:
    return route_name(event.settings_as(WebsocketEvent).route_key)


def _source_arn(target: Target, route_key: str) -> Ref:
    """`arn:aws:execute-api:R:A:{api-id}/*/{route key}`: this API's route, whichever stage."""
    where = arn("execute-api", f"{{value}}/*/{route_key}", region=target.region, account_id=target.account_id)
    return Ref(WEBSOCKET_API, "id", where)


def render(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(WebsocketEvent)
    spec = WebsocketRoute(
        route_key=s.route_key,
        target=target.alias_arn,
        route_response_selection_expression=s.route_response_selection_expression,
        authorizer=s.authorizer.name if s.authorizer else None,
    )
    route = Resource.of(
        trigger_address(target, "websocket", name),
        s.route_key,
        spec,
        depends_on=(
            WEBSOCKET_API,
            target.alias_address,
            Address.permission(target.function_key, "websocket", name),
            *([Address.websocket_authorizer(s.authorizer.name)] if s.authorizer else []),
        ),
        scope=target.scope("websocket", name),
    )
    source = _source_arn(target, s.route_key)
    return [permission(target, "websocket", name, principal=APIGATEWAY, source_arn=source), route]


def role_statements(event: EventSpec, target: Target) -> list[ReferencedStatement]:
    """The function may send to its API's connections (answer, push, disconnect), on no other API.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html"""
    where = arn("execute-api", "{value}/*/*/@connections/*", region=target.region, account_id=target.account_id)
    return [ReferencedStatement(actions=MANAGE_CONNECTIONS, resource=Ref(WEBSOCKET_API, "id", where))]


def shared(events: list[tuple[Target, EventSpec]], _rendered: list[Resource], context: Shared) -> list[Resource]:
    """The API (with its stage), its authorizers, and each authorizer function's statement for API Gateway."""
    first = events[0][1].settings_as(WebsocketEvent)
    api = Resource.of(
        WEBSOCKET_API,
        first.api_name or websocket_api_name(service=context.service, stage=context.stage),
        WebsocketApi(
            route_selection_expression=first.route_selection_expression,
            description=first.description,
            stage=context.stage,
            tags=dict(context.tags),
        ),
    )
    resources = [api]
    seen: set[str] = set()
    for _target, event in events:
        authorizer = event.settings_as(WebsocketEvent).authorizer
        if authorizer is None or authorizer.name in seen:
            continue
        seen.add(authorizer.name)
        function = context.functions.get(authorizer.function_key) if authorizer.function_key else None
        function_arn = function.alias_arn if function is not None else authorizer.arn
        depends: list[str] = [WEBSOCKET_API]
        if function is not None:
            # API Gateway invokes the authorizer function's alias: a statement on it, pinned to this API.
            source = Ref(WEBSOCKET_API, "id", arn("execute-api", "{value}/authorizers/*", region=function.region,
                                                  account_id=function.account_id))  # fmt: skip
            statement = permission(function, "websocketAuthorizer", slug(authorizer.name), principal=APIGATEWAY,
                                   source_arn=source)  # fmt: skip
            resources.append(statement)
            depends += [function.alias_address, statement.address]
        elif authorizer.arn and not authorizer.managed_externally:
            external = external_authorizer_permission(
                authorizer.arn,
                authorizer.name,
                api=WEBSOCKET_API,
                api_kind="ws",
                service=context.service,
                stage=context.stage,
            )
            resources.append(external)
            depends.append(external.address)
        resources.append(
            Resource.of(
                Address.websocket_authorizer(authorizer.name),
                authorizer.name,
                WebsocketAuthorizer(function_arn=function_arn, identity_source=authorizer.identity_source),
                depends_on=depends,
            )
        )
    return resources


def _context(where: Where, event_type: str, route_key: str) -> JsonObject:
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": "EXAMPLE=",
        "requestTime": "14/Nov/2023:22:13:20 +0000",
        "messageDirection": "IN",
        "stage": "dev",
        "connectedAt": where.now_ms - 5000,
        "requestTimeEpoch": where.now_ms,
        "identity": {"sourceIp": "127.0.0.1", "userAgent": "wscat/5.2"},
        "requestId": "EXAMPLE=",
        "domainName": f"example.execute-api.{where.region}.amazonaws.com",
        "connectionId": "L0SM9cOFvHcCIhw=",
        "apiId": "example",
    }


def websocket_connect(where: Where) -> JsonObject:
    """A client opening a connection (`$connect`), with the headers an authorizer reads.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html"""
    headers: dict[str, Json] = {
        "Host": f"example.execute-api.{where.region}.amazonaws.com",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Auth": "secret-token",
    }
    return {
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "requestContext": {**_context(where, "CONNECT", "$connect"), "messageId": None},
        "isBase64Encoded": False,
    }


def websocket_message(where: Where) -> JsonObject:
    """A message on a custom route (chosen by `$request.body.action`)."""
    return {
        "requestContext": {**_context(where, "MESSAGE", "sendMessage"), "messageId": stable_id("ws-message")[:16]},
        "body": json.dumps({"action": "sendMessage", "data": "hello"}),
        "isBase64Encoded": False,
    }


TRIGGER = TriggerType(
    parse=parse_websocket,
    name=name,
    render=render,
    shared=shared,
    samples={"websocket": websocket_message, "websocket-connect": websocket_connect},
    kinds=("websocket_route", "permission", "websocket_api", "websocket_authorizer"),
    check_service=check_service,
    role_statements=role_statements,
)
