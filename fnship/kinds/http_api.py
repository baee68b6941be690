"""The HTTP API kinds: `http_api` (one per service and stage, with its `$default` auto-deploy stage), its JWT
authorizers (`http_api_authorizer`) and each function's routes (`http_api_route`, a Lambda proxy integration to
the alias). Routes and authorizers go with the API when it is deleted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fnship.kinds.base import Context, Kind, function_scoped, tag_delta
from fnship.model.address import Address
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


def route_settings(context: Context, attrs: Mapping[str, Any], integration_id: str) -> dict[str, Any]:
    settings: dict[str, Any] = {"Target": f"integrations/{integration_id}", "AuthorizationType": "NONE"}
    if attrs["authorizer"]:
        settings.update(
            AuthorizationType="JWT",
            AuthorizerId=context.require(Address.http_api_authorizer(attrs["authorizer"]), "authorizer_id"),
            AuthorizationScopes=list(attrs["scopes"]),
        )
    return settings


def http_api_route_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    api, api_id = context.aws.http_apis, context.require(HTTP_API)
    integration = api.create_lambda_integration(
        api_id, target_arn=attrs["target"], payload_format=attrs["payload_format"]
    )
    api.create_route(api_id, route_key=attrs["route_key"], settings=route_settings(context, attrs, integration))


def http_api_route_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    attrs, api = resource.attrs, context.aws.http_apis
    api_id, integration = live.extras["api_id"], live.extras["integration_id"]
    if integration is None:
        integration = api.create_lambda_integration(
            api_id, target_arn=attrs["target"], payload_format=attrs["payload_format"]
        )
    elif (attrs["target"], attrs["payload_format"]) != (live.attrs["target"], live.attrs["payload_format"]):
        api.update_lambda_integration(
            api_id, integration, target_arn=attrs["target"], payload_format=attrs["payload_format"]
        )
    api.update_route(api_id, live.extras["route_id"], settings=route_settings(context, attrs, integration))


def http_api_route_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    api = context.aws.http_apis
    api.delete_route(live.extras["api_id"], live.extras["route_id"])
    if live.extras.get("integration_id"):
        api.delete_integration(live.extras["api_id"], live.extras["integration_id"])


def part_of_api(_resource: Any) -> str:
    return HTTP_API


def route_depends(resource: Any) -> tuple[str, ...]:
    authorizer = resource.attrs.get("authorizer") if resource.attrs else None
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
