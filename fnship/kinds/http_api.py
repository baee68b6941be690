"""The HTTP API kinds: `http_api` (one per service and stage, with its `$default` auto-deploy stage), its JWT
authorizers (`http_api_authorizer`) and each function's routes (`http_api_route`, a Lambda proxy integration to
the alias). Routes and authorizers go with the API when it is deleted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fnship.kinds.base import Context, Kind, function_scoped, tag_delta
from fnship.model.address import Address
from fnship.model.resources import Resource, Spec
from fnship.plan.diff import Step

HTTP_API = Address.http_api()


def http_api_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    api = context.aws.http_apis
    created = api.create_api(resource.name, cors=resource.attrs["cors"], tags=resource.attrs["tags"])
    api.ensure_default_stage(created["ApiId"])
    context.outputs[step.address] = {"id": created["ApiId"], "endpoint": created.get("ApiEndpoint")}


def http_api_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    api, api_id = context.aws.http_apis, live.extras["id"]
    if resource.attrs["cors"] != live.attrs["cors"]:
        api.set_cors(api_id, resource.attrs["cors"])
    if not live.attrs["default_stage"]:
        api.ensure_default_stage(api_id)
    add, remove = tag_delta(live.attrs.get("tags"), resource.attrs["tags"])
    if add or remove:
        api.set_tags(api_id, add=add, remove=remove)


def http_api_delete(context: Context, step: Step) -> None:
    context.aws.http_apis.delete_api(context.live(step).extras["id"])


def jwt_config(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "IdentitySource": list(attrs["identity_source"]),
        "JwtConfiguration": {"Issuer": attrs["issuer"], "Audience": list(attrs["audience"])},
    }


def http_api_authorizer_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    api_id = context.require(HTTP_API)
    made = context.aws.http_apis.create_jwt_authorizer(api_id, name=resource.name, config=jwt_config(resource.attrs))
    context.outputs[step.address] = {"authorizer_id": made}


def http_api_authorizer_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    context.aws.http_apis.update_jwt_authorizer(
        live.extras["api_id"], live.extras["authorizer_id"], config=jwt_config(resource.attrs)
    )


def http_api_authorizer_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    context.aws.http_apis.delete_authorizer(live.extras["api_id"], live.extras["authorizer_id"])


@dataclass(frozen=True, kw_only=True)
class HttpApiRoute(Spec):
    """A route of the service's HTTP API with its Lambda proxy integration (the route key is the resource's name)."""

    kind: ClassVar[str] = "http_api_route"
    route_key: str  # `GET /todos/{id}` or `$default`
    target: str | None  # the alias ARN the integration invokes
    payload_format: str | None  # "1.0" | "2.0"
    authorizer: str | None  # a JWT authorizer's name
    scopes: tuple[str, ...]  # sorted
    # Assigned by API Gateway: live only.
    api_id: str | None = field(default=None, compare=False)
    route_id: str | None = field(default=None, compare=False)
    integration_id: str | None = field(default=None, compare=False)


def route_from_aws(
    route: Mapping[str, Any], integration: Mapping[str, Any], *, authorizer: str | None, api_id: str
) -> HttpApiRoute:
    """A GetRoutes item and its GetIntegrations item as the spec; `authorizer` is the name of its JWT authorizer."""
    return HttpApiRoute(
        route_key=route["RouteKey"],
        target=integration.get("IntegrationUri"),
        payload_format=integration.get("PayloadFormatVersion"),
        authorizer=authorizer,
        scopes=tuple(sorted(route.get("AuthorizationScopes") or [])),
        api_id=api_id,
        route_id=route["RouteId"],
        integration_id=integration.get("IntegrationId"),
    )


def route_settings(context: Context, spec: HttpApiRoute, integration_id: str) -> dict[str, Any]:
    settings: dict[str, Any] = {"Target": f"integrations/{integration_id}", "AuthorizationType": "NONE"}
    if spec.authorizer:
        settings.update(
            AuthorizationType="JWT",
            AuthorizerId=context.require(Address.http_api_authorizer(spec.authorizer), "authorizer_id"),
            AuthorizationScopes=list(spec.scopes),
        )
    return settings


def http_api_route_create(context: Context, step: Step) -> None:
    spec = context.desired_spec(step, HttpApiRoute)
    api, api_id = context.aws.http_apis, context.require(HTTP_API)
    integration = api.create_lambda_integration(api_id, target_arn=spec.target, payload_format=spec.payload_format)
    api.create_route(api_id, route_key=spec.route_key, settings=route_settings(context, spec, integration))


def http_api_route_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, HttpApiRoute), context.live_spec(step, HttpApiRoute)
    api, api_id, integration = context.aws.http_apis, live.api_id, live.integration_id
    if integration is None:
        integration = api.create_lambda_integration(api_id, target_arn=spec.target, payload_format=spec.payload_format)
    elif (spec.target, spec.payload_format) != (live.target, live.payload_format):
        api.update_lambda_integration(api_id, integration, target_arn=spec.target, payload_format=spec.payload_format)
    api.update_route(api_id, live.route_id, settings=route_settings(context, spec, integration))


def http_api_route_delete(context: Context, step: Step) -> None:
    live = context.live_spec(step, HttpApiRoute)
    api = context.aws.http_apis
    api.delete_route(live.api_id, live.route_id)
    if live.integration_id:
        api.delete_integration(live.api_id, live.integration_id)


def part_of_api(_resource: Any) -> str:
    return HTTP_API


def route_depends(resource: Resource) -> tuple[str, ...]:
    authorizer = resource.spec_as(HttpApiRoute).authorizer
    return (HTTP_API, *function_scoped(resource), *([Address.http_api_authorizer(authorizer)] if authorizer else []))


HTTP_API_KIND = Kind(
    name="http_api",
    handlers={
        "http_api.create": http_api_create,
        "http_api.update": http_api_update,
        "http_api.delete": http_api_delete,
    },
    stable_outputs=frozenset({"id"}),
)
AUTHORIZER_KIND = Kind(
    name="http_api_authorizer",
    handlers={
        "http_api_authorizer.create": http_api_authorizer_create,
        "http_api_authorizer.update": http_api_authorizer_update,
        "http_api_authorizer.delete": http_api_authorizer_delete,
    },
    depends=lambda _resource: (HTTP_API,),
    parent=part_of_api,
    stable_outputs=frozenset({"authorizer_id"}),
)
ROUTE_KIND = Kind(
    name="http_api_route",
    handlers={
        "http_api_route.create": http_api_route_create,
        "http_api_route.update": http_api_route_update,
        "http_api_route.delete": http_api_route_delete,
    },
    depends=route_depends,
    parent=part_of_api,
)
