"""The REST API kinds: `rest_api` (one per service and stage, with its path tree and CORS preflights), each
function's methods (`rest_method`, a Lambda proxy integration to the alias) and the stage (`rest_stage`): a
change to a REST API is live only once deployed, so the stage deploys after every method change, deletions too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fnship.errors import AwsError
from fnship.kinds.base import Context, Kind, function_scoped, tag_delta
from fnship.model.address import Address
from fnship.model.resources import Spec
from fnship.plan.diff import Step

REST_API = Address.rest_api()
REVISION_PREFIX = "fnship revision "


def sync_paths(context: Context, api_id: str, want: Mapping[str, Any], have: Mapping[str, Any],
               ids: dict[str, str]) -> None:  # fmt: skip
    """Create the missing paths (parents first) and their preflights; remove the paths no method needs
    (deepest first: deleting a resource deletes its children too)."""
    api = context.aws.rest_apis
    for path in sorted(want, key=lambda p: p.count("/")):
        if path not in ids:
            parent, _, part = path.rpartition("/")
            ids[path] = api.create_resource(api_id, parent_id=ids[parent or "/"], path_part=part)
        if want[path] != have.get(path):
            if want[path]:
                api.put_preflight(api_id, ids[path], headers=want[path])
            elif have.get(path):
                api.delete_method(api_id, ids[path], method="OPTIONS")
    for path in sorted(set(have) - set(want), key=lambda p: -p.count("/")):
        if path in ids:
            api.delete_resource(api_id, ids.pop(path))


def rest_api_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    api = context.aws.rest_apis
    created = api.create_api(resource.name, endpoint_type=resource.attrs["endpoint_type"], tags=resource.attrs["tags"])
    api_id = created["id"]
    ids = {item["path"]: item["id"] for item in api.get_resources(api_id)}
    sync_paths(context, api_id, resource.attrs["paths"], {}, ids)
    context.outputs[step.address] = {"id": api_id, "resource_ids": ids}


def rest_api_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    api_id = live.extras["id"]
    ids = dict(live.extras["resource_ids"])
    sync_paths(context, api_id, resource.attrs["paths"], live.attrs["paths"], ids)
    add, remove = tag_delta(live.attrs.get("tags"), resource.attrs["tags"])
    if add or remove:
        context.aws.rest_apis.set_tags(api_id, add=add, remove=remove)
    context.outputs[step.address] = {"id": api_id, "resource_ids": ids}


def rest_api_delete(context: Context, step: Step) -> None:
    context.aws.rest_apis.delete_api(context.live(step).extras["id"])


def resource_id(context: Context, path: str) -> str:
    made = context.outputs.get(REST_API, {}).get("resource_ids")
    live = context.plan.live.get(REST_API)
    ids = made or (live.extras.get("resource_ids") if live else None) or {}
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
    # Assigned by API Gateway: live only.
    api_id: str | None = field(default=None, compare=False)
    resource_id: str | None = field(default=None, compare=False)


def rest_method_put(context: Context, step: Step) -> None:
    spec = context.desired_spec(step, RestMethod)
    context.aws.rest_apis.put_lambda_method(
        context.require(REST_API), resource_id(context, spec.path), method=spec.method, target_arn=spec.target
    )


def rest_method_delete(context: Context, step: Step) -> None:
    live = context.live_spec(step, RestMethod)
    context.aws.rest_apis.delete_method(live.api_id, live.resource_id, method=live.method)


def rest_stage_deploy(context: Context, step: Step) -> None:
    resource = context.desired(step)
    deployment = context.aws.rest_apis.deploy(
        context.require(REST_API), stage=resource.name, description=f"{REVISION_PREFIX}{resource.attrs['revision']}"
    )
    context.outputs[step.address] = {"deployment": deployment}


def rest_stage_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    context.aws.rest_apis.delete_stage(live.extras["api_id"], live.name)


def part_of_api(_resource: Any) -> str:
    return REST_API


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
)
