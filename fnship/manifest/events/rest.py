"""`http` events (API Gateway REST API methods, Lambda proxy integration). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
from fnship.manifest.types import KeyPath

HTTP_KEYS = frozenset({"method", "path", "cors", "integration"})
REST_CORS_KEYS = frozenset({"origin", "origins", "headers", "allowCredentials", "maxAge"})


@dataclass(frozen=True)
class RestCors:
    """A REST API method's CORS (`cors: true` or its mapping): answered by a mock OPTIONS preflight."""

    origins: tuple[str, ...]
    headers: tuple[str, ...]
    allow_credentials: bool
    max_age: int | None


@dataclass(frozen=True)
class RestEvent:
    """A method of the service's REST API (Lambda proxy integration)."""

    method: str
    path: str
    cors: RestCors | None


def parse_http(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[RestEvent]:
    check = ctx.check
    cors_value: Any = None
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
    method = http_method(method_text, where if isinstance(value, str) else (*path, "method"), check)
    route_path = http_path(path_text if path_text.startswith("/") else "/" + path_text, where, check)
    if method is None or route_path is None:
        return []
    return [RestEvent(method, route_path, _rest_cors(cors_value, (*path, "cors"), check))]


def _rest_cors(value: Any, path: KeyPath, check: Checker) -> RestCors | None:
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
