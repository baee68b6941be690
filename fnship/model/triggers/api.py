"""`httpApi` (API Gateway HTTP API) and `http` (API Gateway REST API) events. Pure.

One HTTP API and one REST API per service and stage, shared by every function's routes. Each route or method
is its own trigger resource (Lambda proxy integration to the alias), with a permission on the alias scoped to
that route's execute-api ARN.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from fnship.manifest.events.rest import RestCors
from fnship.manifest.types import EventSpec, HttpApiSpec
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import (
    Target,
    cors_configuration,
    execute_api_arn,
    permission,
    slug,
    trigger_address,
)

HTTP_API = Address.http_api()
REST_API = Address.rest_api()
APIGATEWAY = "apigateway.amazonaws.com"


def api_name(*, service: str, stage: str) -> str:
    """Serverless names both APIs `{stage}-{service}`."""
    return f"{stage}-{service}"


def api_extras(*, service: str, stage: str) -> dict[str, Any]:
    """What the live reader needs to find the API: its name and the ownership it must carry."""
    return {"owner": (service, stage), "api_name": api_name(service=service, stage=stage)}


def route_name(method: str, path: str) -> str:
    """`GET /todos/{id}` -> `get-todos-id`; the catch-all `$default` route -> `default`."""
    if path == "*":
        return "default"
    return slug(f"{method} {path}") if path != "/" else slug(f"{method} root")


def http_api_route_name(event: EventSpec) -> str:
    return route_name(event.settings.method, event.settings.path)


def render_http_api_route(target: Target, event: EventSpec, name: str) -> list[Resource]:
    settings = event.settings
    route = Resource(
        address=trigger_address(target, "httpApi", name),
        kind="http_api_route",
        name=settings.route_key,
        attrs={
            "route_key": settings.route_key,
            "target": target.alias_arn,
            "payload_format": settings.payload_format,
            "authorizer": settings.authorizer,
            "scopes": list(settings.scopes),
        },
        depends_on=(
            HTTP_API,
            target.alias_address,
            Address.permission(target.function_key, "httpApi", name),
            *([Address.http_api_authorizer(settings.authorizer)] if settings.authorizer else []),
        ),
        extras={**target.extras("httpApi", name), **api_extras(service=target.service, stage=target.stage)},
    )
    source = execute_api_arn(target, HTTP_API, settings.method, settings.path)
    return [permission(target, "httpApi", name, principal=APIGATEWAY, source_arn=source), route]


def rest_method_name(event: EventSpec) -> str:
    return route_name(event.settings.method, event.settings.path)


def render_rest_method(target: Target, event: EventSpec, name: str) -> list[Resource]:
    settings = event.settings
    method = Resource(
        address=trigger_address(target, "http", name),
        kind="rest_method",
        name=f"{settings.method} {settings.path}",
        attrs={
            "method": settings.method,
            "path": settings.path,
            "integration": "AWS_PROXY",
            "target": target.alias_arn,
        },
        depends_on=(REST_API, target.alias_address, Address.permission(target.function_key, "http", name)),
        extras={**target.extras("http", name), **api_extras(service=target.service, stage=target.stage)},
    )
    source = execute_api_arn(target, REST_API, settings.method, settings.path)
    return [permission(target, "http", name, principal=APIGATEWAY, source_arn=source), method]


def shared_http_api(
    *, service: str, stage: str, spec: HttpApiSpec, routes: list[Resource], tags: Mapping[str, str]
) -> list[Resource]:
    """The HTTP API (with its `$default` auto-deploy stage) and the JWT authorizers its routes use."""
    if not routes:
        return []
    api = Resource(
        address=HTTP_API,
        kind="http_api",
        name=api_name(service=service, stage=stage),
        attrs={"cors": cors_configuration(spec.cors), "default_stage": True, "tags": dict(tags)},
        extras={**api_extras(service=service, stage=stage), "shared": True},
    )
    used = sorted({route.attrs["authorizer"] for route in routes if route.attrs["authorizer"]})
    authorizers = [
        Resource(
            address=Address.http_api_authorizer(name),
            kind="http_api_authorizer",
            name=name,
            attrs={
                "type": "JWT",
                "identity_source": list(spec.authorizers[name].identity_source),
                "issuer": spec.authorizers[name].issuer,
                "audience": list(spec.authorizers[name].audience),
            },
            depends_on=(HTTP_API,),
            extras={**api_extras(service=service, stage=stage), "shared": True},
        )
        for name in used
    ]
    return [api, *authorizers]


def rest_paths(methods: list[Resource], cors_by_path: Mapping[str, Any]) -> dict[str, Any]:
    """Every resource path the methods need (ancestors included), with the CORS preflight each answers."""
    paths: dict[str, Any] = {}
    allowed: dict[str, set[str]] = {}
    for method in methods:
        parts = [p for p in method.attrs["path"].split("/") if p]
        for end in range(1, len(parts) + 1):
            paths.setdefault("/" + "/".join(parts[:end]), None)
        allowed.setdefault(method.attrs["path"], set()).add(method.attrs["method"])
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
    *, service: str, stage: str, methods: list[Resource], cors_by_path: Mapping[str, Any], tags: Mapping[str, str]
) -> list[Resource]:
    """The REST API with its path tree, and its stage. The stage's `revision` digests every method and path, so
    any change to them plans one new deployment, made after every method change (see plan/steps.py)."""
    if not methods:
        return []
    paths = rest_paths(methods, cors_by_path)
    api = Resource(
        address=REST_API,
        kind="rest_api",
        name=api_name(service=service, stage=stage),
        attrs={"endpoint_type": "EDGE", "paths": paths, "tags": dict(tags)},
        extras={**api_extras(service=service, stage=stage), "shared": True},
    )
    digest_source = {
        "paths": paths,
        "methods": sorted((m.attrs["method"], m.attrs["path"], m.attrs["target"]) for m in methods),
    }
    revision = hashlib.sha256(json.dumps(digest_source, sort_keys=True).encode()).hexdigest()[:16]
    stage_resource = Resource(
        address=Address.rest_stage(stage),
        kind="rest_stage",
        name=stage,
        attrs={"revision": revision},
        depends_on=(REST_API, *(m.address for m in methods)),
        extras={**api_extras(service=service, stage=stage), "shared": True},
    )
    return [api, stage_resource]
