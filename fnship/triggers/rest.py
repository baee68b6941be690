"""`http` events (methods of the service's API Gateway REST API, a Lambda proxy integration to the alias each), its
paths, CORS preflights and stage. Parse, render, sample event in one place. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from fnship.jsonvalue import JsonObject
from fnship.kinds.rest_api import Preflight, RestApi, RestMethod, RestStage
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import (
    DEFAULT_CORS_HEADERS,
    EventContext,
    flag,
    http_method,
    http_path,
    http_route,
    want_bounded,
)
from fnship.manifest.types import EventSettings, EventSpec, KeyPath
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.api import APIGATEWAY, REST_API, api_name, route_name
from fnship.model.triggers.common import (
    Target,
    execute_api_arn,
    permission,
    trigger_address,
)
from fnship.triggers.base import Shared, TriggerType

HTTP_KEYS = frozenset({"method", "path", "cors", "integration", "response"})
RESPONSE_KEYS = frozenset({"transferMode"})
# https://docs.aws.amazon.com/apigateway/latest/api/API_PutIntegration.html (responseTransferMode)
TRANSFER_MODES = ("BUFFERED", "STREAM")
REST_CORS_KEYS = frozenset({"origin", "origins", "headers", "allowCredentials", "maxAge"})


@dataclass(frozen=True)
class RestCors:
    """A REST API method's CORS (`cors: true` or its mapping): answered by a mock OPTIONS preflight."""

    origins: tuple[str, ...]
    headers: tuple[str, ...]
    allow_credentials: bool
    max_age: int | None


@dataclass(frozen=True)
class RestEvent(EventSettings):
    """A method of the service's REST API (Lambda proxy integration)."""

    method: str
    path: str
    cors: RestCors | None
    transfer_mode: str = "BUFFERED"  # `response.transferMode: STREAM`: API Gateway streams the function's answer


def parse_http(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[RestEvent]:
    check = ctx.check
    cors_value: object = None
    transfer_mode = "BUFFERED"
    if isinstance(value, str):
        route = http_route(value, path, check)
        if route is None:
            return []
        method_text, path_text = route
        where = path
    else:
        raw = check.want_mapping(value, path, what="'METHOD /path' or a mapping (method, path, cors)")
        if raw is None:
            return []
        check.keys(raw, path, HTTP_KEYS)
        for key in ("method", "path"):
            if raw.get(key) is None:
                check.error(path, f"{key} is required", at_key=True)
                return []
        method_text = check.want_str(raw["method"], (*path, "method")) or "GET"
        path_text = check.want_str(raw["path"], (*path, "path")) or "/"
        where = (*path, "path")
        integration = raw.get("integration")
        if integration is not None and str(integration).lower() not in ("lambda-proxy", "aws_proxy", "lambda_proxy"):
            check.error(
                (*path, "integration"),
                f"{show(integration)} is not supported: fnship uses the Lambda proxy integration",
                "remove `integration:` (lambda-proxy is the default)",
            )
        cors_value = raw.get("cors")
        if raw.get("response") is not None:
            transfer_mode = _transfer_mode(raw["response"], (*path, "response"), check)
    method = http_method(method_text, where if isinstance(value, str) else (*path, "method"), check)
    route_path = http_path(path_text if path_text.startswith("/") else "/" + path_text, where, check)
    if method is None or route_path is None:
        return []
    return [RestEvent(method, route_path, _rest_cors(cors_value, (*path, "cors"), check), transfer_mode)]


def _transfer_mode(value: object, path: KeyPath, check: Checker) -> str:
    """`response: {transferMode: STREAM}`: API Gateway invokes the function with InvokeWithResponseStream and streams
    its answer to the client. https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html"""
    raw = check.want_mapping(value, path, what="a mapping like {transferMode: STREAM}")
    if raw is None:
        return "BUFFERED"
    check.keys(raw, path, RESPONSE_KEYS)
    if raw.get("transferMode") is None:
        return "BUFFERED"
    written = check.want_str(raw["transferMode"], (*path, "transferMode"))
    if written is None:
        return "BUFFERED"
    if written.upper() not in TRANSFER_MODES:
        check.error(
            (*path, "transferMode"), f"{show(written)} is not a response transfer mode; allowed: BUFFERED, STREAM"
        )
        return "BUFFERED"
    return written.upper()


def _rest_cors(value: object, path: KeyPath, check: Checker) -> RestCors | None:
    if value is None or value is False:
        return None
    if value is True:
        return RestCors(("*",), DEFAULT_CORS_HEADERS, False, None)
    raw = check.want_mapping(value, path, what="true or a mapping (origins, headers, allowCredentials, maxAge)")
    if raw is None:
        return None
    check.keys(raw, path, REST_CORS_KEYS)
    origins = ["*"]
    for key in ("origin", "origins"):
        if raw.get(key) is not None:
            origins = check.want_str_list(raw[key], (*path, key), single_ok=True) or origins
    headers = list(DEFAULT_CORS_HEADERS)
    if raw.get("headers") is not None:
        headers = check.want_str_list(raw["headers"], (*path, "headers"), single_ok=True) or headers
    max_age = None
    if raw.get("maxAge") is not None:
        max_age = want_bounded(raw["maxAge"], (*path, "maxAge"), check, (0, 86400), unit="seconds")
    return RestCors(tuple(origins), tuple(headers), flag(raw, "allowCredentials", path, check, False), max_age)


def rest_method_name(event: EventSpec) -> str:
    settings = event.settings_as(RestEvent)
    return route_name(settings.method, settings.path)


def render_rest_method(target: Target, event: EventSpec, name: str) -> list[Resource]:
    settings = event.settings_as(RestEvent)
    method = Resource.of(
        trigger_address(target, "http", name),
        f"{settings.method} {settings.path}",
        RestMethod(
            method=settings.method,
            path=settings.path,
            integration="AWS_PROXY",
            target=target.alias_arn,
            transfer_mode=settings.transfer_mode,
        ),  # fmt: skip
        depends_on=(REST_API, target.alias_address, Address.permission(target.function_key, "http", name)),
        scope=target.scope("http", name),
    )
    source = execute_api_arn(target, REST_API, settings.method, settings.path)
    return [permission(target, "http", name, principal=APIGATEWAY, source_arn=source), method]


def rest_paths(methods: list[Resource], cors_by_path: Mapping[str, RestCors | None]) -> dict[str, Preflight | None]:
    """Every resource path the methods need (ancestors included), with the CORS preflight each answers."""
    paths: dict[str, Preflight | None] = {}
    allowed: dict[str, set[str]] = {}
    for method in (m.spec_as(RestMethod) for m in methods):
        parts = [p for p in method.path.split("/") if p]
        for end in range(1, len(parts) + 1):
            paths.setdefault("/" + "/".join(parts[:end]), None)
        allowed.setdefault(method.path, set()).add(method.method)
    for path, cors in cors_by_path.items():
        if cors:
            methods_here = sorted(allowed.get(path, set()) | {"OPTIONS"})
            paths[path] = rest_cors_headers(cors, methods_here)
    return dict(sorted(paths.items()))


def rest_cors_headers(cors: RestCors, methods: list[str]) -> dict[str, str]:
    """The preflight (OPTIONS, mock integration) response headers, as API Gateway stores them (quoted)."""
    methods = ["*"] if "ANY" in methods else methods
    headers = {
        "Access-Control-Allow-Origin": ",".join(cors.origins),
        "Access-Control-Allow-Headers": ",".join(cors.headers),
        "Access-Control-Allow-Methods": ",".join(methods),
    }
    if cors.allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    if cors.max_age is not None:
        headers["Access-Control-Max-Age"] = str(cors.max_age)
    return {f"method.response.header.{k}": f"'{v}'" for k, v in sorted(headers.items())}


def shared_rest_api(
    *,
    service: str,
    stage: str,
    methods: list[Resource],
    cors_by_path: Mapping[str, RestCors | None],
    tags: Mapping[str, str],
) -> list[Resource]:
    """The REST API with its path tree, and its stage. The stage's `revision` digests every method and path, so
    any change to them plans one new deployment, made after every method change (see plan/steps.py)."""
    if not methods:
        return []
    paths = rest_paths(methods, cors_by_path)
    api = Resource.of(
        REST_API, api_name(service=service, stage=stage), RestApi(endpoint_type="EDGE", paths=paths, tags=dict(tags))
    )
    digest_source = {
        "paths": paths,
        # (a streamed method adds its mode: stages of services that stream nothing keep their revision)
        "methods": sorted(
            (m.method, m.path, m.target, *(["STREAM"] if m.transfer_mode == "STREAM" else []))
            for m in (r.spec_as(RestMethod) for r in methods)
        ),
    }
    revision = hashlib.sha256(json.dumps(digest_source, sort_keys=True).encode()).hexdigest()[:16]
    stage_resource = Resource.of(
        Address.rest_stage(stage),
        stage,
        RestStage(revision=revision),
        depends_on=(REST_API, *(m.address for m in methods)),
    )
    return [api, stage_resource]


def http(where: Where) -> JsonObject:
    """Serverless's `http` event: API Gateway REST API, Lambda proxy integration (payload format 1.0).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html"""
    return {
        "resource": "/hello",
        "path": "/hello",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "Host": f"example.execute-api.{where.region}.amazonaws.com"},
        "multiValueHeaders": {
            "Content-Type": ["application/json"],
            "Host": [f"example.execute-api.{where.region}.amazonaws.com"],
        },
        "queryStringParameters": {"name": "world"},
        "multiValueQueryStringParameters": {"name": ["world"]},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": where.account_id,
            "apiId": "example",
            "resourcePath": "/hello",
            "httpMethod": "POST",
            "path": "/dev/hello",
            "stage": "dev",
            "requestId": stable_id("http-request"),
            "requestTimeEpoch": where.now_ms,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "curl/8.0"},
            "protocol": "HTTP/1.1",
        },
        "body": json.dumps({"hello": "world"}),
        "isBase64Encoded": False,
    }


def http_authorized(where: Where) -> JsonObject:
    """The `http` event of a method behind a Lambda authorizer: what the authorizer returned (its principalId and
    `context` keys, as strings, numbers or booleans) is in `requestContext.authorizer`, with `integrationLatency`.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html"""
    event = http(where)
    headers, multi, context = event["headers"], event["multiValueHeaders"], event["requestContext"]
    assert isinstance(headers, dict) and isinstance(multi, dict) and isinstance(context, dict)  # (http() makes them)
    headers["Authorization"] = "Bearer allow"
    multi["Authorization"] = ["Bearer allow"]
    context["authorizer"] = {
        "principalId": "user-123",
        "integrationLatency": 12,
        "tenant": "acme",
        "role": "admin",
        "verified": "true",
    }
    return event


def _method_arn(where: Where) -> str:
    return f"arn:aws:execute-api:{where.region}:{where.account_id}:example/dev/POST/hello"


def http_authorizer_token(where: Where) -> JsonObject:
    """What API Gateway sends a TOKEN Lambda authorizer: the identity source's value and the method's ARN.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html"""
    return {"type": "TOKEN", "authorizationToken": "Bearer allow", "methodArn": _method_arn(where)}


def http_authorizer_request(where: Where) -> JsonObject:
    """What API Gateway sends a REQUEST Lambda authorizer: the method's ARN and the request (no body).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html"""
    request = http(where)
    for key in ("body", "isBase64Encoded"):
        request.pop(key)
    return {"type": "REQUEST", "methodArn": _method_arn(where), **request}


def shared(events: list[tuple[Target, EventSpec]], rendered: list[Resource], context: Shared) -> list[Resource]:
    cors_by_path: dict[str, RestCors] = {}
    for _target, event in events:
        settings = event.settings_as(RestEvent)
        if settings.cors:
            cors_by_path.setdefault(settings.path, settings.cors)
    methods = [r for r in rendered if r.kind == "rest_method"]
    return shared_rest_api(service=context.service, stage=context.stage, methods=methods, cors_by_path=cors_by_path,
                           tags=context.tags)  # fmt: skip


TRIGGER = TriggerType(
    parse=parse_http,
    name=rest_method_name,
    render=render_rest_method,
    shared=shared,
    samples={
        "http": http,
        "http-authorized": http_authorized,
        "http-authorizer-token": http_authorizer_token,
        "http-authorizer-request": http_authorizer_request,
    },
    kinds=("rest_method", "permission", "rest_api", "rest_stage"),
)
