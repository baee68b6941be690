"""The HTTP API kinds: `http_api` (one per service and stage, with its `$default` auto-deploy stage), its JWT
authorizers (`http_api_authorizer`) and each function's routes (`http_api_route`, a Lambda proxy integration to
the alias). Routes and authorizers go with the API when it is deleted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from fnship.jsonvalue import JsonMapping, JsonValue
from fnship.kinds.base import (
    Context,
    Kind,
    api_id_of,
    function_scoped,
    known,
    normalize_cors,
    reading_owner,
    service_api,
    tag_delta,
)
from fnship.model.address import Address
from fnship.model.resources import Found, Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, owned, source_arn

if TYPE_CHECKING:
    from mypy_boto3_apigatewayv2.type_defs import (
        GetApiResponseTypeDef,
        GetAuthorizerResponseTypeDef,
        IntegrationTypeDef,
        RouteTypeDef,
    )

    from fnship.plan.reads import Reads

HTTP_API = Address.http_api()


@dataclass(frozen=True, kw_only=True)
class HttpApi(Spec):
    """The service's HTTP API (its name is the resource's name) with its `$default` auto-deploy stage."""

    kind: ClassVar[str] = "http_api"
    cors: JsonMapping | None  # the CorsConfiguration as AWS spells it, normalized (kinds.base.normalize_cors)
    default_stage: bool  # whether the `$default` stage exists and auto-deploys
    tags: Mapping[str, str]
    # Assigned by API Gateway: live only.
    id: str | None = field(default=None, compare=False)
    endpoint: str | None = field(default=None, compare=False)


def http_api_from_aws(found: GetApiResponseTypeDef, *, default_stage: bool) -> HttpApi:
    """GetApi's answer as the spec; `default_stage`: whether GetStage found `$default` auto-deploying."""
    return HttpApi(
        cors=normalize_cors(found.get("CorsConfiguration")),
        default_stage=default_stage,
        tags=dict(found.get("Tags") or {}),
        id=found["ApiId"],
        endpoint=found.get("ApiEndpoint"),
    )


def http_api_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec, api = resource.spec_as(HttpApi), context.aws.http_apis
    created = api.create_api(resource.name, cors=spec.cors, tags=spec.tags)
    api.ensure_default_stage(created["ApiId"])
    context.outputs[step.address] = {"id": created["ApiId"], "endpoint": created.get("ApiEndpoint")}


def http_api_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, HttpApi), context.live_spec(step, HttpApi)
    api, api_id = context.aws.http_apis, known(live.id, f"the id of {step.address}")
    if spec.cors != live.cors:
        api.set_cors(api_id, spec.cors)
    if not live.default_stage:
        api.ensure_default_stage(api_id)
    add, remove = tag_delta(live.tags, spec.tags)
    if add or remove:
        api.set_tags(api_id, add=add, remove=remove)


def http_api_delete(context: Context, step: Step) -> None:
    context.aws.http_apis.delete_api(known(context.live_spec(step, HttpApi).id, f"the id of {step.address}"))


@dataclass(frozen=True, kw_only=True)
class HttpApiAuthorizer(Spec):
    """A JWT authorizer of the service's HTTP API (its name is the resource's name)."""

    kind: ClassVar[str] = "http_api_authorizer"
    type: str | None  # JWT
    identity_source: tuple[str, ...]
    issuer: str | None
    audience: tuple[str, ...]
    # Assigned by API Gateway: live only.
    api_id: str | None = field(default=None, compare=False)
    authorizer_id: str | None = field(default=None, compare=False)


def authorizer_from_aws(found: GetAuthorizerResponseTypeDef, *, api_id: str) -> HttpApiAuthorizer:
    """GetAuthorizer's answer as the spec."""
    jwt = found.get("JwtConfiguration") or {}
    return HttpApiAuthorizer(
        type=found.get("AuthorizerType"),
        identity_source=tuple(found.get("IdentitySource") or []),
        issuer=jwt.get("Issuer"),
        audience=tuple(sorted(jwt.get("Audience") or [])),
        api_id=api_id,
        authorizer_id=found["AuthorizerId"],
    )


def jwt_config(spec: HttpApiAuthorizer) -> dict[str, JsonValue]:
    return {
        "IdentitySource": list(spec.identity_source),
        "JwtConfiguration": {"Issuer": spec.issuer, "Audience": list(spec.audience)},
    }


def http_api_authorizer_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    api_id = context.require(HTTP_API)
    config = jwt_config(resource.spec_as(HttpApiAuthorizer))
    made = context.aws.http_apis.create_jwt_authorizer(api_id, name=resource.name, config=config)
    context.outputs[step.address] = {"authorizer_id": made}


def http_api_authorizer_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, HttpApiAuthorizer), context.live_spec(step, HttpApiAuthorizer)
    api_id, authorizer_id = _authorizer_ids(live, step)
    context.aws.http_apis.update_jwt_authorizer(api_id, authorizer_id, config=jwt_config(spec))


def http_api_authorizer_delete(context: Context, step: Step) -> None:
    context.aws.http_apis.delete_authorizer(*_authorizer_ids(context.live_spec(step, HttpApiAuthorizer), step))


def _authorizer_ids(live: HttpApiAuthorizer, step: Step) -> tuple[str, str]:
    return known(live.api_id, f"the API of {step.address}"), known(live.authorizer_id, f"the id of {step.address}")


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
    route: RouteTypeDef, integration: IntegrationTypeDef, *, authorizer: str | None, api_id: str
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


def route_settings(context: Context, spec: HttpApiRoute, integration_id: str) -> dict[str, JsonValue]:
    settings: dict[str, JsonValue] = {"Target": f"integrations/{integration_id}", "AuthorizationType": "NONE"}
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
    target, payload_format = _integration(spec, step)
    integration = api.create_lambda_integration(api_id, target_arn=target, payload_format=payload_format)
    api.create_route(api_id, route_key=spec.route_key, settings=route_settings(context, spec, integration))


def _integration(spec: HttpApiRoute, step: Step) -> tuple[str, str]:
    """(target, payload format) of a desired route's integration (the model sets both)."""
    return known(spec.target, f"the target of {step.address}"), known(
        spec.payload_format, f"the payload of {step.address}"
    )


def http_api_route_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, HttpApiRoute), context.live_spec(step, HttpApiRoute)
    api, integration = context.aws.http_apis, live.integration_id
    api_id, route_id = _route_ids(live, step)
    target, payload_format = _integration(spec, step)
    if integration is None:
        integration = api.create_lambda_integration(api_id, target_arn=target, payload_format=payload_format)
    elif (spec.target, spec.payload_format) != (live.target, live.payload_format):
        api.update_lambda_integration(api_id, integration, target_arn=target, payload_format=payload_format)
    api.update_route(api_id, route_id, settings=route_settings(context, spec, integration))


def _route_ids(live: HttpApiRoute, step: Step) -> tuple[str, str]:
    return known(live.api_id, f"the API of {step.address}"), known(live.route_id, f"the id of {step.address}")


def http_api_route_delete(context: Context, step: Step) -> None:
    live = context.live_spec(step, HttpApiRoute)
    api = context.aws.http_apis
    api_id, route_id = _route_ids(live, step)
    api.delete_route(api_id, route_id)
    if live.integration_id:
        api.delete_integration(api_id, live.integration_id)


def part_of_api(_resource: Resource) -> str:
    return HTTP_API


def route_depends(resource: Resource) -> tuple[str, ...]:
    authorizer = resource.spec_as(HttpApiRoute).authorizer
    return (HTTP_API, *function_scoped(resource), *([Address.http_api_authorizer(authorizer)] if authorizer else []))


# -- reading live state (read-only) ------------------------------------------------------------------------------


def find_http_api(aws: Reads, name: str, owner: tuple[str, str]) -> GetApiResponseTypeDef | None:
    """Our HTTP API: one of the ids the service's tags and statements name (plan/reads.py `api_ids`), read by
    id, with our name and our ownership tags."""
    for api_id in sorted(aws.api_ids().get("apis", ())):
        found = aws.once(("http_api", api_id), partial(aws.http_apis.get_api_or_none, api_id))
        if (
            found is not None
            and found.get("ProtocolType", "HTTP") == "HTTP"
            and found.get("Name") == name
            and owned(found.get("Tags"), owner)
        ):
            return found
    return None


def http_api_id(aws: Reads, stub: Resource) -> str | None:
    return api_id_of(aws, stub, find_http_api, lambda api: api["ApiId"])


def routes(aws: Reads, api_id: str) -> list[RouteTypeDef]:
    return aws.once(("routes", api_id), lambda: aws.http_apis.get_routes(api_id))


def integrations(aws: Reads, api_id: str) -> dict[str, IntegrationTypeDef]:
    return aws.once(
        ("integrations", api_id), lambda: {i["IntegrationId"]: i for i in aws.http_apis.get_integrations(api_id)}
    )


def _authorizer(aws: Reads, api_id: str, authorizer_id: str) -> GetAuthorizerResponseTypeDef | None:
    return aws.once(
        ("authorizer", api_id, authorizer_id), lambda: aws.http_apis.get_authorizer_or_none(api_id, authorizer_id)
    )


def read_http_api(aws: Reads, stub: Resource) -> list[Resource]:
    found = find_http_api(aws, stub.name, reading_owner(aws))
    if found is None:
        return []
    spec = http_api_from_aws(found, default_stage=aws.http_apis.has_default_stage(found["ApiId"]))
    return [Resource.of(stub.address, stub.name, spec)]


def _route_authorizers(aws: Reads, api_id: str) -> dict[str, GetAuthorizerResponseTypeDef]:
    """Authorizer name -> authorizer, for every authorizer a route uses. (Routes are where we find them:
    GetAuthorizers is the other way, which the moto server does not implement.)"""
    found: dict[str, GetAuthorizerResponseTypeDef] = {}
    for route in routes(aws, api_id):
        if route.get("AuthorizerId") and route.get("AuthorizationType") == "JWT":
            authorizer = _authorizer(aws, api_id, route["AuthorizerId"])
            if authorizer:
                found[authorizer["Name"]] = authorizer
    return found


def read_http_api_authorizer(aws: Reads, stub: Resource) -> list[Resource]:
    api_id = http_api_id(aws, stub)
    if api_id is None:
        return []
    found = _route_authorizers(aws, api_id).get(stub.name)
    if found is None:
        return []
    return [Resource.of(stub.address, stub.name, authorizer_from_aws(found, api_id=api_id))]


def read_http_api_route(aws: Reads, stub: Resource) -> list[Resource]:
    api_id = http_api_id(aws, stub)
    if api_id is None:
        return []
    by_id = integrations(aws, api_id)
    for route in routes(aws, api_id):
        integration = by_id.get(str(route.get("Target", "")).removeprefix("integrations/"), {})
        if not _is_route(stub, route["RouteKey"], integration.get("IntegrationUri")):
            continue
        authorizer = None
        if route.get("AuthorizerId") and route.get("AuthorizationType") == "JWT":
            found = _authorizer(aws, api_id, route["AuthorizerId"])
            authorizer = found["Name"] if found else route["AuthorizerId"]
        spec = route_from_aws(route, integration, authorizer=authorizer, api_id=api_id)
        return [Resource.of(stub.address, route["RouteKey"], spec, scope=stub.scope)]
    return []


def _is_route(stub: Resource, route_key: str, target: str | None) -> bool:
    """A desired route is found by its key; a discovered one (its key unknown) by its name and its target."""
    from fnship.model.triggers import api as api_model  # (fnship.model.triggers imports the kind modules)

    if stub.name:
        return route_key == stub.name
    scope = stub.in_scope()
    if target != scope.alias_arn:
        return False
    if route_key == "$default":
        return scope.trigger_name == "default"
    method, _, path = route_key.partition(" ")
    return api_model.route_name(method, path) == scope.trigger_name


def discover_http_api(aws: Reads) -> list[Resource]:
    """The service's HTTP API (its name, and our ownership tags on it)."""
    found = service_api(aws, find_http_api)
    return [Resource(HTTP_API, "http_api", found[0])] if found is not None else []


def discover_authorizers(aws: Reads) -> list[Resource]:
    """The authorizers the service's HTTP API's routes use."""
    found = service_api(aws, find_http_api)
    if found is None:
        return []
    where = Found(api_id=found[1]["ApiId"])
    return [
        Resource(Address.http_api_authorizer(authorizer), "http_api_authorizer", authorizer, found=where)
        for authorizer in _route_authorizers(aws, found[1]["ApiId"])
    ]


def discover_routes(aws: Reads, on: OnAlias) -> list[Resource]:
    """Routes to the alias, from the statements of `httpApi` events on its policy (their SourceArn names the
    API; the route itself is matched by its name and target when read)."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == "httpApi" and source:
            api_id = source.split(":", 5)[5].split("/", 1)[0]
            address = Address.trigger(on.function_key, event_type, name)
            stubs.append(Resource(address, "http_api_route", "", scope=target.scope(event_type, name),
                                  found=Found(api_id=api_id)))  # fmt: skip
    return stubs


HTTP_API_KIND = Kind(
    name="http_api",
    handlers={
        "http_api.create": http_api_create,
        "http_api.update": http_api_update,
        "http_api.delete": http_api_delete,
    },
    stable_outputs=frozenset({"id"}),
    read=read_http_api,
    discover=discover_http_api,
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
    read=read_http_api_authorizer,
    discover=discover_authorizers,
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
    read=read_http_api_route,
    discover_on_alias=discover_routes,
)
