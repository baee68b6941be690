"""Every way into a deployed service: its HTTP API's URL and routes, its REST API's URL and methods, each
function URL. Read-only AWS calls, through the kinds' own lookups (fnship/kinds)."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, TypedDict

from fnship.kinds.http_api import find_http_api, integrations, routes
from fnship.kinds.rest_api import find_rest_api, integration_target, rest_resources
from fnship.model.triggers import api as api_model

if TYPE_CHECKING:
    from fnship.plan.reads import Reads


class Route(TypedDict):
    route: str  # `GET /items` (an HTTP API's route key, a REST API's method and path)
    function: str | None  # the key of the function it invokes (None: not one of the service's)


class ApiEndpoint(TypedDict):
    id: str
    url: str
    routes: list[Route]


class Endpoints(TypedDict):
    http_api: ApiEndpoint | None
    rest_api: ApiEndpoint | None
    function_urls: dict[str, str]  # function key -> its URL


def read_endpoints(
    aws: Reads,
    *,
    service: str,
    stage: str,
    region: str,
    functions: list[tuple[str, str, str]],
    apis: Collection[str] = ("http_api", "rest_api"),
    urls: Collection[str] | None = None,
) -> Endpoints:
    """`aws` is a reading (plan/reads.py `Reads`); `functions` are (key, physical name, alias); `apis` the kinds
    of API to look for, `urls` the keys of the functions to ask for a URL (all when None)."""
    owner = (service, stage)
    aws.owner = owner
    if aws.api_aliases is None:
        aws.api_aliases = [(fname, alias) for _key, fname, alias in functions]
    name = api_model.api_name(service=service, stage=stage)
    by_alias = {f"{fname}:{alias}": key for key, fname, alias in functions}
    result: Endpoints = {"http_api": None, "rest_api": None, "function_urls": {}}
    http = find_http_api(aws, name, owner) if "http_api" in apis else None
    if http is not None:
        by_id = integrations(aws, http["ApiId"])
        found: list[Route] = []
        for route in sorted(routes(aws, http["ApiId"]), key=lambda r: r["RouteKey"]):
            target = by_id.get(str(route.get("Target", "")).removeprefix("integrations/"), {})
            uri = str(target.get("IntegrationUri", ""))
            found.append({"route": route["RouteKey"], "function": by_alias.get(_function_alias(uri))})
        endpoint = http.get("ApiEndpoint") or f"https://{http['ApiId']}.execute-api.{region}.amazonaws.com"
        result["http_api"] = {"id": http["ApiId"], "url": endpoint, "routes": found}
    rest = find_rest_api(aws, name, owner) if "rest_api" in apis else None
    if rest is not None:
        methods: list[Route] = []
        for item in sorted(rest_resources(aws, rest["id"]), key=lambda r: r["path"]):
            for method, spec in sorted((item.get("resourceMethods") or {}).items()):
                integration = integration_target((spec.get("methodIntegration") or {}).get("uri"))
                if method == "OPTIONS" and not integration:
                    continue
                function = by_alias.get(_function_alias(integration))
                methods.append({"route": f"{method} {item['path']}", "function": function})
        result["rest_api"] = {
            "id": rest["id"],
            "url": f"https://{rest['id']}.execute-api.{region}.amazonaws.com/{stage}",
            "routes": methods,
        }
    for key, fname, alias in functions:
        if urls is not None and key not in urls:
            continue
        found_url = aws.alias_url(fname, alias)
        if found_url is not None:
            result["function_urls"][key] = found_url.get("FunctionUrl")
    return result


def _function_alias(arn: str | None) -> str:
    """`arn:<partition>:lambda:r:a:function:NAME:ALIAS` -> `NAME:ALIAS`."""
    if not arn or ":function:" not in arn:
        return ""
    return arn.split(":function:", 1)[1]
