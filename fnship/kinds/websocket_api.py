"""The WebSocket API kinds: `websocket_api` (one per service and stage, with its auto-deploy stage named after the
stage), its Lambda REQUEST authorizers (`websocket_authorizer`, on `$connect`) and each function's routes
(`websocket_route`, a Lambda proxy integration to the alias, with a `$default` route response when the route
answers). Routes and authorizers go with the API when it is deleted.
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api.html"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from fnship.jsonvalue import JsonValue
from fnship.kinds.base import Context, Kind, function_scoped, known, reading_owner, tag_delta
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

WEBSOCKET_API = Address.websocket_api()
EVENT_TYPE = "websocket"


def invocation_uri(region: str, function_arn: str) -> str:
    """What a WebSocket integration or authorizer invokes: the function's invocation URI (API Gateway's form)."""
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def function_of_uri(uri: str | None) -> str | None:
    """`arn:aws:apigateway:R:lambda:path/2015-03-31/functions/ARN/invocations` -> ARN."""
    if not uri or "/functions/" not in uri:
        return uri
    return uri.split("/functions/", 1)[1].removesuffix("/invocations")


@dataclass(frozen=True, kw_only=True)
class WebsocketApi(Spec):
    """The service's WebSocket API (its name is the resource's name) and its auto-deploy stage."""

    kind: ClassVar[str] = "websocket_api"
    route_selection_expression: str
    description: str
    stage: str | None  # the stage, auto-deploying; None when it is missing (live)
    tags: Mapping[str, str]
    # Assigned by API Gateway: live only.
    id: str | None = field(default=None, compare=False)
    endpoint: str | None = field(default=None, compare=False)  # wss://ID.execute-api.REGION.amazonaws.com


def api_from_aws(found: GetApiResponseTypeDef, *, stage: str | None) -> WebsocketApi:
    return WebsocketApi(
        route_selection_expression=str(found.get("RouteSelectionExpression") or ""),
        description=str(found.get("Description") or ""),
        stage=stage,
        tags=dict(found.get("Tags") or {}),
        id=found["ApiId"],
        endpoint=found.get("ApiEndpoint"),
    )


def websocket_api_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec, api = resource.spec_as(WebsocketApi), context.aws.websockets
    created = api.create_api(
        resource.name, route_selection=spec.route_selection_expression, description=spec.description, tags=spec.tags
    )
    api.ensure_stage(created["ApiId"], known(spec.stage, f"the stage of {step.address}"))
    context.outputs[step.address] = {"id": created["ApiId"], "endpoint": created.get("ApiEndpoint")}


def websocket_api_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, WebsocketApi), context.live_spec(step, WebsocketApi)
    api, api_id = context.aws.websockets, known(live.id, f"the id of {step.address}")
    if (spec.route_selection_expression, spec.description) != (live.route_selection_expression, live.description):
        api.update_api(api_id, route_selection=spec.route_selection_expression, description=spec.description)
    if spec.stage != live.stage:
        api.ensure_stage(api_id, known(spec.stage, f"the stage of {step.address}"))
    add, remove = tag_delta(live.tags, spec.tags)
    if add or remove:
        api.set_tags(api_id, add=add, remove=remove)


def websocket_api_delete(context: Context, step: Step) -> None:
    context.aws.websockets.delete_api(known(context.live_spec(step, WebsocketApi).id, f"the id of {step.address}"))


@dataclass(frozen=True, kw_only=True)
class WebsocketAuthorizer(Spec):
    """A Lambda REQUEST authorizer of the service's WebSocket API (its name is the resource's name)."""

    kind: ClassVar[str] = "websocket_authorizer"
    function_arn: str | None  # the authorizer function (its alias when it is one of the service's)
    identity_source: tuple[str, ...]
    # Assigned by API Gateway: live only.
    api_id: str | None = field(default=None, compare=False)
    authorizer_id: str | None = field(default=None, compare=False)


def authorizer_from_aws(found: GetAuthorizerResponseTypeDef, *, api_id: str) -> WebsocketAuthorizer:
    return WebsocketAuthorizer(
        function_arn=function_of_uri(found.get("AuthorizerUri")),
        identity_source=tuple(found.get("IdentitySource") or ()),
        api_id=api_id,
        authorizer_id=found["AuthorizerId"],
    )


def websocket_authorizer_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(WebsocketAuthorizer)
    uri = invocation_uri(context.aws.region, known(spec.function_arn, f"the function of {step.address}"))
    made = context.aws.websockets.create_request_authorizer(
        context.require(WEBSOCKET_API), name=resource.name, uri=uri, identity_source=list(spec.identity_source)
    )
    context.outputs[step.address] = {"authorizer_id": made}


def websocket_authorizer_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, WebsocketAuthorizer), context.live_spec(step, WebsocketAuthorizer)
    uri = invocation_uri(context.aws.region, known(spec.function_arn, f"the function of {step.address}"))
    context.aws.websockets.update_request_authorizer(
        *_authorizer_ids(live, step), uri=uri, identity_source=list(spec.identity_source)
    )


def websocket_authorizer_delete(context: Context, step: Step) -> None:
    context.aws.websockets.delete_authorizer(*_authorizer_ids(context.live_spec(step, WebsocketAuthorizer), step))


def _authorizer_ids(live: WebsocketAuthorizer, step: Step) -> tuple[str, str]:
    return known(live.api_id, f"the API of {step.address}"), known(live.authorizer_id, f"the id of {step.address}")


@dataclass(frozen=True, kw_only=True)
class WebsocketRoute(Spec):
    """A route of the service's WebSocket API with its Lambda proxy integration (the route key is its name)."""

    kind: ClassVar[str] = "websocket_route"
    route_key: str  # $connect, $disconnect, $default or a custom key
    target: str | None  # the alias ARN the integration invokes
    route_response_selection_expression: str | None  # set: the route answers the client ($default response)
    authorizer: str | None  # a REQUEST authorizer's name ($connect only)
    # Assigned by API Gateway: live only.
    api_id: str | None = field(default=None, compare=False)
    route_id: str | None = field(default=None, compare=False)
    integration_id: str | None = field(default=None, compare=False)


def route_settings(context: Context, spec: WebsocketRoute, integration_id: str) -> dict[str, JsonValue]:
    settings: dict[str, JsonValue] = {"Target": f"integrations/{integration_id}", "AuthorizationType": "NONE"}
    if spec.authorizer:
        settings.update(
            AuthorizationType="CUSTOM",
            AuthorizerId=context.require(Address.websocket_authorizer(spec.authorizer), "authorizer_id"),
        )
    if spec.route_response_selection_expression:
        settings["RouteResponseSelectionExpression"] = spec.route_response_selection_expression
    return settings


def websocket_route_create(context: Context, step: Step) -> None:
    spec = context.desired_spec(step, WebsocketRoute)
    api, api_id = context.aws.websockets, context.require(WEBSOCKET_API)
    target = known(spec.target, f"the target of {step.address}")
    integration = api.create_lambda_integration(api_id, uri=invocation_uri(context.aws.region, target))
    route_id = api.create_route(api_id, route_key=spec.route_key, settings=route_settings(context, spec, integration))
    if spec.route_response_selection_expression:
        api.create_default_route_response(api_id, route_id)


def websocket_route_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, WebsocketRoute), context.live_spec(step, WebsocketRoute)
    api = context.aws.websockets
    api_id, route_id = _route_ids(live, step)
    uri = invocation_uri(context.aws.region, known(spec.target, f"the target of {step.address}"))
    integration = live.integration_id
    if integration is None:
        integration = api.create_lambda_integration(api_id, uri=uri)
    elif spec.target != live.target:
        api.update_lambda_integration(api_id, integration, uri=uri)
    settings = route_settings(context, spec, integration)
    if not spec.authorizer and live.authorizer:
        settings["AuthorizerId"] = ""  # detach it (AuthorizationType NONE alone leaves the id in place)
    api.update_route(api_id, route_id, settings=settings)
    if spec.route_response_selection_expression and not live.route_response_selection_expression:
        api.create_default_route_response(api_id, route_id)


def _route_ids(live: WebsocketRoute, step: Step) -> tuple[str, str]:
    return known(live.api_id, f"the API of {step.address}"), known(live.route_id, f"the id of {step.address}")


def websocket_route_delete(context: Context, step: Step) -> None:
    live = context.live_spec(step, WebsocketRoute)
    api = context.aws.websockets
    api_id, route_id = _route_ids(live, step)
    api.delete_route(api_id, route_id)
    if live.integration_id:
        api.delete_integration(api_id, live.integration_id)


def part_of_api(_resource: Resource) -> str:
    return WEBSOCKET_API


def route_depends(resource: Resource) -> tuple[str, ...]:
    authorizer = resource.spec_as(WebsocketRoute).authorizer if resource.spec is not None else None
    return (
        WEBSOCKET_API,
        *function_scoped(resource),
        *([Address.websocket_authorizer(authorizer)] if authorizer else []),
    )


# -- reading live state (read-only) ------------------------------------------------------------------------------


def find_websocket_api(aws: Reads, name: str | None, owner: tuple[str, str]) -> GetApiResponseTypeDef | None:
    """Our WebSocket API: one of the ids the service's tags and statements name (plan/reads.py `api_ids`), read by
    id, with our ownership tags (and `name`, when given: discovery looks for it under any name, since
    `provider.websocketsApiName` may have named it)."""
    for api_id in sorted(aws.api_ids().get("apis", ())):
        found = aws.once(("websocket_api", api_id), partial(aws.websockets.get_api_or_none, api_id))
        if (
            found is not None
            and found.get("ProtocolType") == "WEBSOCKET"
            and name in (None, found.get("Name"))
            and owned(found.get("Tags"), owner)
        ):
            return found
    return None


def websocket_api_name(*, service: str, stage: str) -> str:
    """Serverless v3's default (`provider.websocketsApiName` overrides it)."""
    return f"{stage}-{service}-websockets"


def service_websocket_api(aws: Reads) -> GetApiResponseTypeDef | None:
    """The reading's service's WebSocket API, whatever its name (one per service and stage)."""
    return find_websocket_api(aws, None, reading_owner(aws))


def _api_id(aws: Reads, stub: Resource) -> str | None:
    if stub.found is not None and stub.found.api_id:
        return stub.found.api_id
    found = service_websocket_api(aws)
    return str(found["ApiId"]) if found else None


def _routes(aws: Reads, api_id: str) -> list[RouteTypeDef]:
    return aws.once(("websocket_routes", api_id), lambda: aws.websockets.get_routes(api_id))


def _integrations(aws: Reads, api_id: str) -> dict[str, IntegrationTypeDef]:
    return aws.once(
        ("websocket_integrations", api_id),
        lambda: {i.get("IntegrationId", ""): i for i in aws.websockets.get_integrations(api_id)},
    )


def route_authorizers(aws: Reads, api_id: str) -> dict[str, GetAuthorizerResponseTypeDef]:
    """Authorizer name -> authorizer, for every authorizer a route uses (GetAuthorizers is the other way, which
    the moto server does not implement)."""
    found: dict[str, GetAuthorizerResponseTypeDef] = {}
    for route in _routes(aws, api_id):
        authorizer_id = route.get("AuthorizerId")
        if authorizer_id and route.get("AuthorizationType") == "CUSTOM":
            authorizer = aws.once(
                ("websocket_authorizer", api_id, authorizer_id),
                partial(aws.websockets.get_authorizer_or_none, api_id, authorizer_id),
            )
            if authorizer:
                found[authorizer["Name"]] = authorizer
    return found


def read_websocket_api(aws: Reads, stub: Resource) -> list[Resource]:
    found = find_websocket_api(aws, stub.name, reading_owner(aws))
    if found is None:
        return []
    _service, stage = reading_owner(aws)
    staged = aws.websockets.get_stage_or_none(found["ApiId"], stage)
    spec = api_from_aws(found, stage=stage if staged and staged.get("AutoDeploy") else None)
    return [Resource.of(stub.address, stub.name, spec)]


def read_websocket_authorizer(aws: Reads, stub: Resource) -> list[Resource]:
    api_id = _api_id(aws, stub)
    found = route_authorizers(aws, api_id).get(stub.name) if api_id else None
    if api_id is None or found is None:
        return []
    return [Resource.of(stub.address, stub.name, authorizer_from_aws(found, api_id=api_id))]


def read_websocket_route(aws: Reads, stub: Resource) -> list[Resource]:
    api_id = _api_id(aws, stub)
    if api_id is None:
        return []
    by_id = _integrations(aws, api_id)
    scope = stub.in_scope()
    for route in _routes(aws, api_id):
        integration = by_id.get(str(route.get("Target", "")).removeprefix("integrations/"), {})
        target = function_of_uri(integration.get("IntegrationUri"))
        # A desired route is found by its key; a discovered one (its key unknown) by its target and name.
        if stub.name and route["RouteKey"] != stub.name:
            continue
        if not stub.name and (target != scope.alias_arn or route_name(route["RouteKey"]) != scope.trigger_name):
            continue
        authorizer = None
        if route.get("AuthorizerId") and route.get("AuthorizationType") == "CUSTOM":
            found = aws.once(
                ("websocket_authorizer", api_id, route["AuthorizerId"]),
                partial(aws.websockets.get_authorizer_or_none, api_id, route["AuthorizerId"]),
            )
            authorizer = found["Name"] if found else route["AuthorizerId"]
        spec = WebsocketRoute(
            route_key=route["RouteKey"],
            target=target,
            route_response_selection_expression=route.get("RouteResponseSelectionExpression") or None,
            authorizer=authorizer,
            api_id=api_id,
            route_id=route["RouteId"],
            integration_id=integration.get("IntegrationId"),
        )
        return [Resource.of(stub.address, route["RouteKey"], spec, scope=scope)]
    return []


def websocket_routes(aws: Reads, api_id: str) -> list[tuple[str, str | None]]:
    """(route key, the function ARN its integration invokes) of every route, sorted: what `fn info` lists."""
    by_id = _integrations(aws, api_id)
    found = []
    for route in sorted(_routes(aws, api_id), key=lambda r: str(r["RouteKey"])):
        integration = by_id.get(str(route.get("Target", "")).removeprefix("integrations/"), {})
        found.append((str(route["RouteKey"]), function_of_uri(integration.get("IntegrationUri"))))
    return found


def route_name(route_key: str) -> str:
    """`$connect` -> `connect`, `sendMessage` -> `sendmessage`: the trigger's name."""
    from fnship.model.triggers.common import slug  # (fnship.model.triggers imports the kind modules)

    return slug(route_key)


def discover_websocket_api(aws: Reads) -> list[Resource]:
    found = service_websocket_api(aws)
    return [Resource(WEBSOCKET_API, "websocket_api", str(found["Name"]))] if found is not None else []


def discover_websocket_authorizers(aws: Reads) -> list[Resource]:
    found = service_websocket_api(aws)
    if found is None:
        return []
    where = Found(api_id=found["ApiId"])
    return [
        Resource(Address.websocket_authorizer(name), "websocket_authorizer", name, found=where)
        for name in route_authorizers(aws, found["ApiId"])
    ]


def discover_websocket_routes(aws: Reads, on: OnAlias) -> list[Resource]:
    """Routes to the alias, from the statements of `websocket` events on its policy (their SourceArn names the
    API; the route is matched by its target and name when read)."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == EVENT_TYPE and source:
            api_id = source.split(":", 5)[5].split("/", 1)[0]
            address = Address.trigger(on.function_key, event_type, name)
            stubs.append(Resource(address, "websocket_route", "", scope=target.scope(event_type, name),
                                  found=Found(api_id=api_id)))  # fmt: skip
    return stubs


API_KIND = Kind(
    name="websocket_api",
    handlers={
        "websocket_api.create": websocket_api_create,
        "websocket_api.update": websocket_api_update,
        "websocket_api.delete": websocket_api_delete,
    },
    stable_outputs=frozenset({"id"}),
    read=read_websocket_api,
    discover=discover_websocket_api,
)
AUTHORIZER_KIND = Kind(
    name="websocket_authorizer",
    handlers={
        "websocket_authorizer.create": websocket_authorizer_create,
        "websocket_authorizer.update": websocket_authorizer_update,
        "websocket_authorizer.delete": websocket_authorizer_delete,
    },
    depends=lambda _resource: (WEBSOCKET_API,),
    parent=part_of_api,
    stable_outputs=frozenset({"authorizer_id"}),
    read=read_websocket_authorizer,
    discover=discover_websocket_authorizers,
)
ROUTE_KIND = Kind(
    name="websocket_route",
    handlers={
        "websocket_route.create": websocket_route_create,
        "websocket_route.update": websocket_route_update,
        "websocket_route.delete": websocket_route_delete,
    },
    depends=route_depends,
    parent=part_of_api,
    read=read_websocket_route,
    discover_on_alias=discover_websocket_routes,
)
