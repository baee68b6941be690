"""API Gateway's and function URLs' side of a request, for `fn dev`. Pure: no AWS, no sockets, no processes.

The route table of a service (HTTP API routes, REST API methods under /<stage>, function URLs under
/__url/<function>), matched with API Gateway's precedence; the Lambda event of a request in payload format 2.0
or 1.0; the function's answer mapped back to an HTTP response as API Gateway maps it; CORS as configured.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from fnship.jsonvalue import Json, JsonMapping, JsonObject, JsonValue

if TYPE_CHECKING:
    from fnship.manifest.types import Cors, JwtAuthorizer, Manifest
    from fnship.triggers.rest import RestCors

LOCAL_ACCOUNT = "123456789012"
URL_PREFIX = "/__url/"
# API Gateway's payload limit (HTTP and REST APIs): 10 MB; a function URL takes what a synchronous invoke takes.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
API_BODY_LIMIT = 10 * 1024 * 1024
URL_BODY_LIMIT = 6 * 1024 * 1024
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "+json", "+xml",
              "application/x-www-form-urlencoded")  # fmt: skip


@dataclass(frozen=True)
class Route:
    """Where requests go: one HTTP API route, one REST method or one function URL."""

    kind: str  # "httpApi" | "http" | "url"
    function: str  # the manifest key
    method: str  # GET, ..., or ANY
    path: str  # the template, `/todos/{id}`, `/{proxy+}`; "*" for the `$default` route and URLs
    payload_version: str = "2.0"
    authorizer: str | None = None  # an httpApi JWT authorizer's name
    scopes: tuple[str, ...] = ()
    cors: Cors | RestCors | None = None  # REST: this method's `cors:` (RestCors); URL: the URL's cors (Cors)

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "*" else f"{self.method} {self.path}"

    def specificity(self) -> tuple:
        """Higher is more specific: literal segments beat `{param}`, which beat `{proxy+}`, left to right; then
        a method beats ANY; `$default` is last."""
        if self.path == "*":
            return ((-1,), 0)
        ranks = []
        for segment in _segments(self.path):
            ranks.append(0 if segment.endswith("+}") else 1 if segment.startswith("{") else 2)
        return (tuple(ranks), 0 if self.method == "ANY" else 1)


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]
    raw_path: str  # the path the function sees (without /<stage> or /__url/<function>)


@dataclass
class RouteTable:
    stage: str
    http_api: list[Route] = field(default_factory=list)
    rest: list[Route] = field(default_factory=list)
    urls: dict[str, Route] = field(default_factory=dict)  # manifest key -> URL route
    http_api_cors: Cors | None = None
    authorizers: Mapping[str, JwtAuthorizer] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str, str]]:
        """(method, path as served here, function) for the table `fn dev` prints at start."""
        rows = [(r.method, "/*" if r.path == "*" else r.path, r.function) for r in self.http_api]
        rows += [(r.method, f"/{self.stage}{r.path}", r.function) for r in self.rest]
        rows += [("ANY", f"{URL_PREFIX}{key}/*", r.function) for key, r in self.urls.items()]
        return rows

    def resolve(self, method: str, path: str) -> tuple[Match | None, str]:
        """The route a request goes to, and which surface answered ("httpApi", "http", "url")."""
        if path.startswith(URL_PREFIX):
            key, _, rest = path[len(URL_PREFIX) :].partition("/")
            route = self.urls.get(key)
            return (Match(route, {}, "/" + rest) if route else None), "url"
        prefix = f"/{self.stage}"
        if self.rest and (path == prefix or path.startswith(prefix + "/")):
            found = best_match(self.rest, method, path[len(prefix) :] or "/")
            if found is not None:
                return found, "http"
            # Both APIs share this server: under /<stage> the REST API answers, unless an HTTP API route (other
            # than its catch-all) has that very path.
            other = best_match(self.http_api, method, path)
            if other is None or other.route.path == "*":
                return None, "http"
            return other, "httpApi"
        return best_match(self.http_api, method, path), "httpApi"


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def match_path(template: str, path: str) -> dict[str, str] | None:
    """The path parameters when `path` fits `template` (`/a/{id}`, `/a/{proxy+}`), else None."""
    if template == "*":
        return {}
    want, got = _segments(template), _segments(path)
    params: dict[str, str] = {}
    for index, segment in enumerate(want):
        if segment.startswith("{") and segment.endswith("+}"):
            rest = got[index:]
            if not rest:
                return None  # a greedy parameter needs at least one segment
            params[segment[1:-2]] = "/".join(rest)
            return params
        if index >= len(got):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            params[segment[1:-1]] = got[index]
        elif segment != got[index]:
            return None
    return params if len(got) == len(want) else None


def best_match(routes: Sequence[Route], method: str, path: str) -> Match | None:
    candidates = []
    for route in routes:
        if route.method not in ("ANY", method.upper()):
            continue
        params = match_path(route.path, path)
        if params is not None:
            candidates.append((route.specificity(), route, params))
    if not candidates:
        return None
    _, route, params = max(candidates, key=lambda item: item[0])
    return Match(route, params, path)


def route_table(manifest: Manifest, *, only: Sequence[str] = ()) -> RouteTable:
    """Every HTTP route of the service (of the functions in `only`, when given), from the manifest's typed event
    specs (manifest/events/)."""
    http_api = manifest.provider.http_api
    table = RouteTable(stage=manifest.stage, http_api_cors=http_api.cors, authorizers=dict(http_api.authorizers))
    for key, spec in manifest.functions.items():
        if only and key not in only:
            continue
        for event in spec.events:
            # (each type's module is imported where its events are read: it is loaded already, it parsed them)
            if event.type == "httpApi":
                from fnship.triggers.http_api import HttpApiEvent

                settings = event.settings_as(HttpApiEvent)
                table.http_api.append(
                    Route(
                        "httpApi",
                        key,
                        settings.method,
                        settings.path,
                        # `provider.httpApi.payload` or the function's `httpApi.payload` (the manifest resolves which)
                        payload_version=settings.payload_format,
                        authorizer=settings.authorizer,
                        scopes=tuple(settings.scopes),
                    )
                )
            elif event.type == "http":
                from fnship.triggers.rest import RestEvent

                rest = event.settings_as(RestEvent)
                table.rest.append(Route("http", key, rest.method, rest.path, "1.0", cors=rest.cors))
            elif event.type == "url":
                from fnship.triggers.url import UrlEvent

                url = event.settings_as(UrlEvent)
                table.urls[key] = Route("url", key, "ANY", "*", "2.0", cors=url.cors)
    return table


# -- the request -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpRequest:
    """What the server received, independent of the HTTP library."""

    method: str
    path: str
    query_string: str  # raw, without `?`
    headers: Sequence[tuple[str, str]]  # as received, repeated names kept
    body: bytes
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def _is_text(content_type: str | None) -> bool:
    if not content_type:
        return True
    lowered = content_type.lower()
    return any(marker in lowered for marker in TEXT_TYPES)


def _body(request: HttpRequest, *, binary_as_base64: bool) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    if binary_as_base64 and not _is_text(request.header("content-type")):
        return base64.b64encode(request.body).decode(), True
    return request.body.decode("utf-8", "replace"), False


def _context_time(now: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))


def event_v2(
    request: HttpRequest,
    match: Match,
    *,
    api_id: str,
    stage: str = "$default",
    now: float,
    request_id: str | None = None,
    authorizer: JsonMapping | None = None,
    domain: str | None = None,
) -> JsonObject:
    """Payload format 2.0: duplicate headers and query values joined with commas, cookies apart."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        lowered = name.lower()
        if lowered == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[lowered] = f"{headers[lowered]},{value}" if lowered in headers else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.query_string, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    body, encoded = _body(request, binary_as_base64=True)
    domain = domain or request.header("host") or "localhost"
    context: JsonObject = {
        "accountId": LOCAL_ACCOUNT if match.route.kind != "url" else "anonymous",
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": match.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": request_id or str(uuid.uuid4()),
        "routeKey": match.route.route_key if match.route.kind != "url" else "$default",
        "stage": stage,
        "time": _context_time(now),
        "timeEpoch": int(now * 1000),
    }
    if authorizer:
        context["authorizer"] = _json(authorizer)
    event: JsonObject = {
        "version": "2.0",
        "routeKey": match.route.route_key if match.route.kind != "url" else "$default",
        "rawPath": match.raw_path,
        "rawQueryString": request.query_string,
        "headers": dict(headers),
        "requestContext": context,
        "isBase64Encoded": encoded,
    }
    if cookies:
        event["cookies"] = list(cookies)
    if query:
        event["queryStringParameters"] = dict(query)
    if body is not None:
        event["body"] = body
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    if match.route.kind != "url":
        event["stageVariables"] = None
    return event


def event_v1(
    request: HttpRequest,
    match: Match,
    *,
    api_id: str,
    stage: str,
    now: float,
    request_id: str | None = None,
    authorizer: JsonMapping | None = None,
    binary_as_base64: bool = False,
) -> JsonObject:
    """Payload format 1.0: a REST API's Lambda proxy event, or an HTTP API route's when it asks for 1.0. An HTTP
    API's differs from a REST API's: header names are lowercase, a binary body is base64, `resourceId` is null, and
    `requestContext.authorizer` is `{claims, scopes}` (null without a JWT authorizer).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html"""
    http_api = match.route.kind == "httpApi"
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        key = name.lower() if http_api else name
        headers[key] = value  # the last value, as API Gateway does
        multi_headers.setdefault(key, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query_string, keep_blank_values=True):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    body, encoded = _body(request, binary_as_base64=binary_as_base64 or http_api)
    rest = match.route.kind == "http"
    resource = match.route.path if match.route.path != "*" else "$default"
    domain = request.header("host") or "localhost"
    identity: JsonObject = {
        "accessKey": None,
        "accountId": None,
        "caller": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "sourceIp": request.source_ip,
        "user": None,
        "userAgent": request.header("user-agent") or "",
        "userArn": None,
    }
    if http_api:
        identity.update(cognitoAuthenticationProvider=None, cognitoAuthenticationType=None, principalOrgId=None)
    context: JsonObject = {
        "accountId": LOCAL_ACCOUNT,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "extendedRequestId": request_id,
        "httpMethod": request.method,
        "identity": identity,
        "path": f"/{stage}{match.raw_path}" if rest else match.raw_path,
        "protocol": request.protocol,
        "requestId": request_id or str(uuid.uuid4()),
        "requestTime": _context_time(now),
        "requestTimeEpoch": int(now * 1000),
        "resourceId": None if http_api else "local",
        "resourcePath": resource,
        "stage": stage,
    }
    if http_api:
        jwt = (authorizer or {}).get("jwt")
        jwt = jwt if isinstance(jwt, Mapping) else {}
        context["authorizer"] = {"claims": _json(jwt.get("claims")), "scopes": _json(jwt.get("scopes"))}
    elif authorizer:
        context["authorizer"] = _json(authorizer)
    return {
        "version": "1.0",
        "resource": resource,
        "path": match.raw_path,
        "httpMethod": request.method,
        "headers": dict(headers),
        "multiValueHeaders": {name: list(values) for name, values in multi_headers.items()},
        "queryStringParameters": dict(query) or None,
        "multiValueQueryStringParameters": {name: list(values) for name, values in multi_query.items()} or None,
        "pathParameters": dict(match.path_parameters) or None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": encoded,
    }


def _json(value: JsonValue) -> Json:
    """A read-only JSON value as the mutable JSON an event holds (a copy)."""
    if isinstance(value, Mapping):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"not JSON: {value!r}")


# -- the answer ----------------------------------------------------------------------------------------------------
@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def error_response(status: int, message: str) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps({"message": message}).encode())


def bad_gateway(kind: str) -> HttpResponse:
    """A function error or an answer API Gateway cannot read: 502, the generic message.
    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html"""
    return error_response(502, "Internal Server Error" if kind != "http" else "Internal server error")


def map_response(payload: bytes, *, payload_version: str, kind: str) -> HttpResponse:
    """The function's answer as API Gateway turns it into HTTP. 2.0: a dict with statusCode is the response,
    any other JSON value is a 200 application/json body (a string is the body itself). 1.0: statusCode is
    required (else 502); headers and multiValueHeaders merge."""
    try:
        value: Json = json.loads(payload.decode("utf-8")) if payload.strip() else None  # any JSON value
    except (UnicodeDecodeError, ValueError):
        return bad_gateway(kind)
    if not isinstance(value, dict) or "statusCode" not in value:
        if payload_version == "1.0" and kind == "httpApi":
            # An HTTP API assumes nothing of a 1.0 answer without statusCode: 500.
            # https://repost.aws/knowledge-center/api-gateway-status-codes-http-api
            return error_response(500, "Internal Server Error")
        if payload_version == "1.0":
            return bad_gateway(kind)
        text = value if isinstance(value, str) else json.dumps(value)
        return HttpResponse(200, [("Content-Type", "application/json")], text.encode())
    code = value["statusCode"]
    if not isinstance(code, (str, int, float)):
        return bad_gateway(kind)
    try:
        status = int(code)
    except ValueError:
        return bad_gateway(kind)
    headers: list[tuple[str, str]] = []
    single = value.get("headers") or {}
    multi = value.get("multiValueHeaders") or {} if payload_version == "1.0" else {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        return bad_gateway(kind)
    for name, values in multi.items():
        for item in values if isinstance(values, list) else [values]:
            headers.append((str(name), _header_value(item)))
    multi_names = {str(name).lower() for name in multi}
    for name, item in single.items():
        if str(name).lower() not in multi_names:
            headers.append((str(name), _header_value(item)))
    cookies = (value.get("cookies") or []) if payload_version == "2.0" else []
    for cookie in cookies if isinstance(cookies, (list, dict, str)) else []:
        headers.append(("Set-Cookie", str(cookie)))
    raw_body = value.get("body")
    if raw_body is None:
        body = b""
    elif value.get("isBase64Encoded"):
        try:
            body = base64.b64decode(str(raw_body), validate=True)
        except ValueError:
            return bad_gateway(kind)
    else:
        body = (raw_body if isinstance(raw_body, str) else json.dumps(raw_body)).encode()
    return HttpResponse(status, headers, body)


def _header_value(value: Json) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- CORS ---------------------------------------------------------------------------------------------------------
def _allowed_origin(cors: Cors, origin: str | None) -> str | None:
    origins = cors.allow_origins
    if not origin:
        return None
    if "*" in origins:
        return "*" if not cors.allow_credentials else origin
    return origin if origin in origins else None


def preflight(cors: Cors, request: HttpRequest) -> HttpResponse:
    """An HTTP API's or a function URL's own answer to a CORS preflight (no function runs).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html"""
    headers: list[tuple[str, str]] = []
    origin = _allowed_origin(cors, request.header("origin"))
    if origin:
        headers.append(("Access-Control-Allow-Origin", origin))
        methods = list(cors.allow_methods or ["*"])
        wanted = request.header("access-control-request-method") or ""
        headers.append(("Access-Control-Allow-Methods", wanted if "*" in methods and wanted else ",".join(methods)))
        allowed_headers = list(cors.allow_headers)
        asked = request.header("access-control-request-headers")
        if "*" in allowed_headers and asked:
            headers.append(("Access-Control-Allow-Headers", asked))
        elif allowed_headers:
            headers.append(("Access-Control-Allow-Headers", ",".join(h.lower() for h in allowed_headers)))
        if cors.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if cors.max_age is not None:
            headers.append(("Access-Control-Max-Age", str(cors.max_age)))
    return HttpResponse(204, headers, b"")


def with_cors(response: HttpResponse, cors: Cors, request: HttpRequest) -> HttpResponse:
    """An HTTP API (or function URL) with CORS sets these headers on every answer, replacing the function's."""
    origin = _allowed_origin(cors, request.header("origin"))
    if not origin:
        return response
    managed = {"access-control-allow-origin", "access-control-expose-headers", "access-control-allow-credentials"}
    headers = [(n, v) for n, v in response.headers if n.lower() not in managed]
    headers.append(("Access-Control-Allow-Origin", origin))
    if cors.expose_headers:
        headers.append(("Access-Control-Expose-Headers", ",".join(cors.expose_headers)))
    if cors.allow_credentials:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if origin != "*":
        headers.append(("Vary", "Origin"))
    return HttpResponse(response.status, headers, response.body)


def rest_preflight(cors: RestCors, methods: Sequence[str]) -> HttpResponse:
    """A REST API path's OPTIONS method as Serverless deploys it for `cors:`: a mock integration answering fixed
    headers (the function's own answers carry whatever headers the function sets, as with lambda-proxy)."""
    allowed = ["*"] if "ANY" in methods else sorted({*methods, "OPTIONS"})
    headers = [
        ("Access-Control-Allow-Headers", ",".join(cors.headers)),
        ("Access-Control-Allow-Methods", ",".join(allowed)),
        ("Access-Control-Allow-Origin", ",".join(cors.origins)),
    ]
    if cors.allow_credentials:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors.max_age is not None:
        headers.append(("Access-Control-Max-Age", str(cors.max_age)))
    return HttpResponse(200, headers, b"")
