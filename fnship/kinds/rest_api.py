"""The REST API kinds: `rest_api` (one per service and stage, with its path tree and CORS preflights), each
function's methods (`rest_method`, a Lambda proxy integration to the alias) and the stage (`rest_stage`): a
change to a REST API is live only once deployed, so the stage deploys after every method change, deletions too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from fnship.errors import AwsError
from fnship.kinds.base import (
    Context,
    Kind,
    api_id_of,
    function_scoped,
    known,
    reading_owner,
    service_api,
    tag_delta,
)
from fnship.model.address import Address
from fnship.model.resources import Found, Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, owned, source_arn

if TYPE_CHECKING:
    from mypy_boto3_apigateway.type_defs import DeploymentResponseTypeDef, ResourceTypeDef, RestApiResponseTypeDef

    from fnship.plan.reads import Reads

REST_API = Address.rest_api()
REVISION_PREFIX = "fnship revision "
Preflight = Mapping[str, str]  # an OPTIONS mock integration's response headers, as API Gateway stores them


@dataclass(frozen=True, kw_only=True)
class RestApi(Spec):
    """The service's REST API (its name is the resource's name) with its path tree and CORS preflights."""

    kind: ClassVar[str] = "rest_api"
    endpoint_type: str  # EDGE | REGIONAL | PRIVATE
    paths: Mapping[str, Preflight | None]  # every path but `/`, sorted, with its preflight (None: none)
    tags: Mapping[str, str]
    # Assigned by API Gateway: live only.
    id: str | None = field(default=None, compare=False)
    resource_ids: Mapping[str, str] = field(default_factory=dict, compare=False)  # path -> resource id


def rest_api_from_aws(
    found: RestApiResponseTypeDef, items: Sequence[ResourceTypeDef], preflights: Mapping[str, Preflight | None]
) -> RestApi:
    """GetRestApi's answer, its GetResources items and the preflight headers of each resource that has an
    OPTIONS method (by resource id) as the spec."""
    paths = {
        item["path"]: dict(sorted(preflight.items())) if (preflight := preflights.get(item["id"])) else None
        for item in items
        if item["path"] != "/"
    }
    return RestApi(
        endpoint_type=((found.get("endpointConfiguration") or {}).get("types") or ["EDGE"])[0],
        paths=dict(sorted(paths.items())),
        tags=dict(found.get("tags") or {}),
        id=found["id"],
        resource_ids={item["path"]: item["id"] for item in items},
    )


def sync_paths(context: Context, api_id: str, want: Mapping[str, Preflight | None],
               have: Mapping[str, Preflight | None], ids: dict[str, str]) -> None:  # fmt: skip
    """Create the missing paths (parents first) and their preflights; remove the paths no method needs
    (deepest first: deleting a resource deletes its children too)."""
    api = context.aws.rest_apis
    for path in sorted(want, key=lambda p: p.count("/")):
        if path not in ids:
            parent, _, part = path.rpartition("/")
            ids[path] = api.create_resource(api_id, parent_id=ids[parent or "/"], path_part=part)
        preflight = want[path]
        if preflight != have.get(path):
            if preflight:
                api.put_preflight(api_id, ids[path], headers=preflight)
            elif have.get(path):
                api.delete_method(api_id, ids[path], method="OPTIONS")
    for path in sorted(set(have) - set(want), key=lambda p: -p.count("/")):
        if path in ids:
            api.delete_resource(api_id, ids.pop(path))


def rest_api_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec, api = resource.spec_as(RestApi), context.aws.rest_apis
    created = api.create_api(resource.name, endpoint_type=spec.endpoint_type, tags=spec.tags)
    api_id = created["id"]
    ids = {item["path"]: item["id"] for item in api.get_resources(api_id)}
    sync_paths(context, api_id, spec.paths, {}, ids)
    context.outputs[step.address] = {"id": api_id, "resource_ids": ids}


def rest_api_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, RestApi), context.live_spec(step, RestApi)
    api_id = known(live.id, f"the id of {step.address}")
    ids = dict(live.resource_ids)
    sync_paths(context, api_id, spec.paths, live.paths, ids)
    add, remove = tag_delta(live.tags, spec.tags)
    if add or remove:
        context.aws.rest_apis.set_tags(api_id, add=add, remove=remove)
    context.outputs[step.address] = {"id": api_id, "resource_ids": ids}


def rest_api_delete(context: Context, step: Step) -> None:
    context.aws.rest_apis.delete_api(known(context.live_spec(step, RestApi).id, f"the id of {step.address}"))


def resource_id(context: Context, path: str) -> str:
    made = context.outputs.get(REST_API, {}).get("resource_ids")
    live = context.plan.live.get(REST_API)
    ids = made if isinstance(made, Mapping) and made else (live.spec_as(RestApi).resource_ids if live else None) or {}
    if path not in ids:
        raise AwsError(resource=f"REST API path {path}", action="lookup", code="NotFound", detail="no such resource")
    return str(ids[path])


@dataclass(frozen=True, kw_only=True)
class RestMethod(Spec):
    """A method of the service's REST API with its Lambda proxy integration (`GET /items/{id}` is its name)."""

    kind: ClassVar[str] = "rest_method"
    method: str
    path: str
    integration: str | None  # AWS_PROXY
    target: str | None  # the alias ARN the integration invokes
    transfer_mode: str = "BUFFERED"  # STREAM: invoked with InvokeWithResponseStream, the answer streamed
    # Assigned by API Gateway: live only.
    api_id: str | None = field(default=None, compare=False)
    resource_id: str | None = field(default=None, compare=False)


def rest_method_put(context: Context, step: Step) -> None:
    spec = context.desired_spec(step, RestMethod)
    target = known(spec.target, f"the target of {step.address}")
    context.aws.rest_apis.put_lambda_method(
        context.require(REST_API),
        resource_id(context, spec.path),
        method=spec.method,
        target_arn=target,
        transfer_mode=spec.transfer_mode,
    )


def rest_method_delete(context: Context, step: Step) -> None:
    live = context.live_spec(step, RestMethod)
    api_id = known(live.api_id, f"the API id of {step.address}")
    method_resource = known(live.resource_id, f"the resource id of {step.address}")
    context.aws.rest_apis.delete_method(api_id, method_resource, method=live.method)


@dataclass(frozen=True, kw_only=True)
class RestStage(Spec):
    """The REST API's stage (named after the service's stage), compared by the revision its deployment carries."""

    kind: ClassVar[str] = "rest_stage"
    revision: str | None  # a digest of every method and path (triggers/rest.py); None: not deployed by fnship
    api_id: str | None = field(default=None, compare=False)  # assigned by API Gateway: live only


def stage_from_aws(deployment: DeploymentResponseTypeDef | None, *, api_id: str) -> RestStage:
    """GetDeployment's answer for the stage's deployment as the spec (our revision is in its description)."""
    description = (deployment.get("description") if deployment else None) or ""
    revision = description.removeprefix(REVISION_PREFIX) if description.startswith(REVISION_PREFIX) else None
    return RestStage(revision=revision, api_id=api_id)


def rest_stage_deploy(context: Context, step: Step) -> None:
    resource = context.desired(step)
    revision = resource.spec_as(RestStage).revision
    deployment = context.aws.rest_apis.deploy(
        context.require(REST_API), stage=resource.name, description=f"{REVISION_PREFIX}{revision}"
    )
    context.outputs[step.address] = {"deployment": deployment}


def rest_stage_delete(context: Context, step: Step) -> None:
    live = context.live_at(step.address)
    context.aws.rest_apis.delete_stage(known(live.spec_as(RestStage).api_id, f"the API of {step.address}"), live.name)


def part_of_api(_resource: Resource) -> str:
    return REST_API


# -- reading live state (read-only) ------------------------------------------------------------------------------


def find_rest_api(aws: Reads, name: str, owner: tuple[str, str]) -> RestApiResponseTypeDef | None:
    """Our REST API: one of the ids the service's tags and statements name (plan/reads.py `api_ids`), read by
    id, with our name and our ownership tags."""
    for api_id in sorted(aws.api_ids().get("restapis", ())):
        found = aws.once(("rest_api", api_id), partial(aws.rest_apis.get_api_or_none, api_id))
        if found is not None and found.get("name") == name and owned(found.get("tags"), owner):
            return found
    return None


def rest_api_id(aws: Reads, stub: Resource) -> str | None:
    return api_id_of(aws, stub, find_rest_api, lambda api: api["id"])


def rest_resources(aws: Reads, api_id: str) -> list[ResourceTypeDef]:
    return aws.once(("rest_resources", api_id), lambda: aws.rest_apis.get_resources(api_id))


def integration_target(uri: str | None) -> str | None:
    """`arn:<partition>:apigateway:...:lambda:path/2015-03-31/functions/<function ARN>/invocations` (or a streamed
    integration's `.../2021-11-15/functions/<function ARN>/response-streaming-invocations`) -> the function ARN."""
    if not uri or "/functions/" not in uri:
        return uri
    return uri.split("/functions/", 1)[1].removesuffix("/invocations").removesuffix("/response-streaming-invocations")


def read_rest_api(aws: Reads, stub: Resource) -> list[Resource]:
    found = find_rest_api(aws, stub.name, reading_owner(aws))
    if found is None:
        return []
    api_id = found["id"]
    items = rest_resources(aws, api_id)
    preflights = {
        item["id"]: aws.rest_apis.get_preflight_headers(api_id, item["id"])
        for item in items
        if item["path"] != "/" and "OPTIONS" in (item.get("resourceMethods") or {})
    }
    return [Resource.of(stub.address, stub.name, rest_api_from_aws(found, items, preflights))]


def read_rest_method(aws: Reads, stub: Resource) -> list[Resource]:
    from fnship.model.triggers import api as api_model  # (fnship.model.triggers imports the kind modules)

    api_id = rest_api_id(aws, stub)
    if api_id is None:
        return []
    for item in rest_resources(aws, api_id):
        for method, spec in (item.get("resourceMethods") or {}).items():
            integration = spec.get("methodIntegration") or {}
            target = integration_target(integration.get("uri"))
            name = f"{method} {item['path']}"
            if stub.name:
                if name != stub.name:
                    continue
            elif target != stub.in_scope().alias_arn or (
                api_model.route_name(method, item["path"]) != stub.in_scope().trigger_name
            ):
                continue
            found = RestMethod(method=method, path=item["path"], integration=integration.get("type"), target=target,
                               transfer_mode=integration.get("responseTransferMode") or "BUFFERED",
                               api_id=api_id, resource_id=item["id"])  # fmt: skip
            return [Resource.of(stub.address, name, found, scope=stub.scope)]
    return []


def read_rest_stage(aws: Reads, stub: Resource) -> list[Resource]:
    api_id = rest_api_id(aws, stub)
    if api_id is None:
        return []
    stage = aws.rest_apis.get_stage_or_none(api_id, stub.name)
    if stage is None:
        return []
    deployment = aws.rest_apis.get_deployment_or_none(api_id, stage.get("deploymentId", ""))
    return [Resource.of(stub.address, stub.name, stage_from_aws(deployment, api_id=api_id))]


def discover_rest_api(aws: Reads) -> list[Resource]:
    """The service's REST API (its name, and our ownership tags on it)."""
    found = service_api(aws, find_rest_api)
    return [Resource(REST_API, "rest_api", found[0])] if found is not None else []


def discover_rest_stage(aws: Reads) -> list[Resource]:
    """The service's REST API's stage (named after the stage)."""
    if service_api(aws, find_rest_api) is None:
        return []
    stage = reading_owner(aws)[1]
    return [Resource(Address.rest_stage(stage), "rest_stage", stage)]


def discover_methods(aws: Reads, on: OnAlias) -> list[Resource]:
    """Methods integrated with the alias, from the statements of `http` events on its policy."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == "http" and source:
            api_id = source.split(":", 5)[5].split("/", 1)[0]
            address = Address.trigger(on.function_key, event_type, name)
            stubs.append(Resource(address, "rest_method", "", scope=target.scope(event_type, name),
                                  found=Found(api_id=api_id)))  # fmt: skip
    return stubs


REST_API_KIND = Kind(
    name="rest_api",
    handlers={
        "rest_api.create": rest_api_create,
        "rest_api.update": rest_api_update,
        "rest_api.delete": rest_api_delete,
    },
    # A path no method needs is removed by the API's update: the methods on it go first.
    after_deletes_of=frozenset({"rest_method"}),
    serial=lambda _resource: REST_API,
    stable_outputs=frozenset({"id"}),
    read=read_rest_api,
    discover=discover_rest_api,
)
METHOD_KIND = Kind(
    name="rest_method",
    handlers={
        "rest_method.create": rest_method_put,
        "rest_method.update": rest_method_put,
        "rest_method.delete": rest_method_delete,
    },  # fmt: skip
    depends=lambda resource: (REST_API, *function_scoped(resource)),
    parent=part_of_api,
    serial=lambda _resource: REST_API,
    read=read_rest_method,
    discover_on_alias=discover_methods,
)
STAGE_KIND = Kind(
    name="rest_stage",
    handlers={
        "rest_stage.create": rest_stage_deploy,
        "rest_stage.update": rest_stage_deploy,
        "rest_stage.delete": rest_stage_delete,
    },  # fmt: skip
    depends=lambda _resource: (REST_API,),
    parent=part_of_api,
    after_deletes_of=frozenset({"rest_method"}),
    serial=lambda _resource: REST_API,
    read=read_rest_stage,
    discover=discover_rest_stage,
)
