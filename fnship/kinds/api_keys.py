"""The REST API's API keys (`api_key.<name>`) and usage plans (`usage_plan.<name>`, `default` for the one plan of a
`usagePlan` mapping) from `provider.apiGateway.apiKeys` and `usagePlan`: a plan covers the service's REST API stage,
with its quota and throttle, and holds its keys. Both carry the service's ownership tags, by which they are found.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from fnship.arns import parse_arn
from fnship.jsonvalue import JsonValue
from fnship.kinds.base import Context, Kind, known, reading_owner, tag_delta
from fnship.kinds.rest_api import REST_API, find_rest_api, owned_rest_api
from fnship.model.address import Address
from fnship.model.resources import Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import owned
from fnship.secret import Secret, reveal

if TYPE_CHECKING:
    from mypy_boto3_apigateway.type_defs import (
        ApiKeyResponseTypeDef,
        ApiKeyTypeDef,
        UsagePlanResponseTypeDef,
        UsagePlanTypeDef,
    )

    from fnship.plan.reads import Reads

    UsagePlanAnswer = UsagePlanResponseTypeDef | UsagePlanTypeDef  # GetUsagePlan's, or an item of GetUsagePlans


@dataclass(frozen=True, kw_only=True)
class ApiKey(Spec):
    """An API key (its name is the resource's name)."""

    kind: ClassVar[str] = "api_key"
    description: str | None
    customer_id: str | None
    enabled: bool
    value: Secret | None  # compared only when the manifest gives it (else API Gateway generated it)
    tags: Mapping[str, str]
    id: str | None = field(default=None, compare=False)  # assigned by API Gateway: live only


def api_key_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(ApiKey)
    settings: dict[str, JsonValue] = {"enabled": spec.enabled, "tags": dict(spec.tags)}
    if spec.description:
        settings["description"] = spec.description
    if spec.customer_id:
        settings["customerId"] = spec.customer_id
    if spec.value is not None:
        settings["value"] = str(reveal(spec.value))
    key_id = context.aws.rest_apis.create_api_key(resource.name, settings=settings)
    context.outputs[step.address] = {"id": key_id}
    # A key made anew (its value changed) joins the plans that already exist; a new plan takes its keys itself.
    for plan in context.plan.desired.of_kind("usage_plan"):
        if resource.name in plan.spec_as(UsagePlan).keys:
            plan_id = context.value(plan.address, "id")
            if plan_id:
                context.aws.rest_apis.add_usage_plan_key(plan_id, key_id=key_id)


def api_key_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, ApiKey), context.live_spec(step, ApiKey)
    key_id = known(live.id, f"the id of {step.address}")
    operations = [
        {"op": "replace", "path": path, "value": str(want if want is not None else "").lower()
         if isinstance(want, bool) else (want or "")}
        for path, want, have in (("/description", spec.description, live.description),
                                 ("/customerId", spec.customer_id, live.customer_id),
                                 ("/enabled", spec.enabled, live.enabled))
        if want != have
    ]  # fmt: skip
    if operations:
        context.aws.rest_apis.update_api_key(key_id, operations=operations)
    add, remove = tag_delta(live.tags, spec.tags)
    if add or remove:
        context.aws.rest_apis.set_tags_of(context.aws.rest_apis.api_key_arn(key_id), add=add, remove=remove)
    context.outputs[step.address] = {"id": key_id}


def api_key_delete(context: Context, step: Step) -> None:
    """Deleting a key takes it out of every usage plan too."""
    context.aws.rest_apis.delete_api_key(known(context.live_spec(step, ApiKey).id, f"the id of {step.address}"))


@dataclass(frozen=True, kw_only=True)
class UsagePlan(Spec):
    """A usage plan (its name is the resource's name) of the service's REST API stage, with its API keys."""

    kind: ClassVar[str] = "usage_plan"
    description: str | None
    stage: str  # the REST API stage it covers
    quota: Mapping[str, int | str] | None  # {"limit", "offset", "period"}
    throttle: Mapping[str, int | float] | None  # {"burstLimit", "rateLimit"}
    keys: tuple[str, ...]  # the names of its API keys, sorted
    tags: Mapping[str, str]
    # Assigned by API Gateway: live only.
    id: str | None = field(default=None, compare=False)
    key_ids: Mapping[str, str] = field(default_factory=dict, compare=False)  # key name -> id
    api_id: str | None = field(default=None, compare=False)


def usage_plan_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec, api = resource.spec_as(UsagePlan), context.aws.rest_apis
    settings: dict[str, JsonValue] = {
        "apiStages": [{"apiId": context.require(REST_API), "stage": spec.stage}],
        "tags": dict(spec.tags),
    }
    if spec.description:
        settings["description"] = spec.description
    if spec.quota:
        settings["quota"] = dict(spec.quota)
    if spec.throttle:
        settings["throttle"] = dict(spec.throttle)
    plan_id = api.create_usage_plan(resource.name, settings=settings)
    for name in spec.keys:
        api.add_usage_plan_key(plan_id, key_id=context.require(Address.api_key(name)))
    context.outputs[step.address] = {"id": plan_id}


def plan_patch(want: UsagePlan, have: UsagePlan) -> list[dict[str, str]]:
    """UpdateUsagePlan's patch operations from `have` to `want` (description, quota, throttle).
    https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html#UpdateUsagePlan-Patch"""
    operations = []
    if want.description != have.description:
        operations.append({"op": "replace", "path": "/description", "value": want.description or ""})
    for part in ("quota", "throttle"):
        wanted, had = getattr(want, part), getattr(have, part)
        if wanted == had:
            continue
        if not wanted:
            operations.append({"op": "remove", "path": f"/{part}"})
            continue
        for key, value in sorted(wanted.items()):
            if (had or {}).get(key) != value:
                operations.append({"op": "replace", "path": f"/{part}/{key}", "value": str(value)})
    return operations


def usage_plan_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, UsagePlan), context.live_spec(step, UsagePlan)
    api, plan_id = context.aws.rest_apis, known(live.id, f"the id of {step.address}")
    operations = plan_patch(spec, live)
    if operations:
        api.update_usage_plan(plan_id, operations=operations)
    for name in sorted(set(spec.keys) - set(live.keys)):
        api.add_usage_plan_key(plan_id, key_id=context.require(Address.api_key(name)))
    for name in sorted(set(live.keys) - set(spec.keys)):
        if name in live.key_ids:
            api.remove_usage_plan_key(plan_id, key_id=live.key_ids[name])
    add, remove = tag_delta(live.tags, spec.tags)
    if add or remove:
        api.set_tags_of(api.usage_plan_arn(plan_id), add=add, remove=remove)
    context.outputs[step.address] = {"id": plan_id}


def usage_plan_delete(context: Context, step: Step) -> None:
    """The plan leaves the API stage first (API Gateway refuses to delete a stage a usage plan covers, so the API
    may go after it), then goes."""
    live = context.live_spec(step, UsagePlan)
    plan_id = known(live.id, f"the id of {step.address}")
    if live.api_id:
        context.aws.rest_apis.update_usage_plan(
            plan_id, operations=[{"op": "remove", "path": "/apiStages", "value": f"{live.api_id}:{live.stage}"}]
        )
    context.aws.rest_apis.delete_usage_plan(plan_id)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def tagged_ids(aws: Reads, collection: str) -> list[str]:
    """The ids of the API Gateway resources of `collection` (`usageplans`, `apikeys`) in the tagging answer (what
    carries the reading's ownership tags): `arn:aws:apigateway:{region}::/{collection}/{id}`."""
    ids = set()
    for arn in aws.tagged():
        parts = parse_arn(arn)
        if parts is not None and parts.service == "apigateway":
            kind, _, found = parts.resource.strip("/").partition("/")
            if kind == collection and found and "/" not in found:
                ids.add(found)
    return sorted(ids)


def tagging_knows_api_gateway(aws: Reads) -> bool:
    """Whether the endpoint's tagging answer holds API Gateway resources. AWS's does: it names our own REST API,
    which carries our tags. The emulator's holds none (see plan/reads.py `api_ids`)."""
    if any((parts := parse_arn(arn)) is not None and parts.service == "apigateway" for arn in aws.tagged()):
        return True
    return owned_rest_api(aws) is None  # an existing API (restApiId) carries no tags of ours: nothing to tell by


def our_usage_plans(aws: Reads) -> list[UsagePlanAnswer]:
    """The usage plans carrying the reading's ownership tags, read one by one by the ids the tagging answer names
    (API Gateway has no call for the plans of one API, nor a name lookup). Where the tagging answer holds no API
    Gateway resources (the emulator), the account's plans are listed instead."""
    from fnship.kinds.base import service_api

    if service_api(aws, find_rest_api) is None:
        return []  # a usage plan of ours covers our REST API's stage, and goes before the API does
    owner = reading_owner(aws)
    if tagging_knows_api_gateway(aws):
        read = aws.rest_apis.get_usage_plan_or_none
        found = [aws.once(("usage_plan", plan_id), partial(read, plan_id)) for plan_id in tagged_ids(aws, "usageplans")]
        plans: list[UsagePlanAnswer] = [plan for plan in found if plan is not None]
    else:
        plans = list(aws.once(("usage_plans",), aws.rest_apis.get_usage_plans))
    return [plan for plan in plans if owned(plan.get("tags"), owner)]


def plan_keys(aws: Reads, plan_id: str) -> dict[str, str]:
    """Key name -> id, of a usage plan's API keys."""
    found = aws.once(("usage_plan_keys", plan_id), lambda: aws.rest_apis.get_usage_plan_keys(plan_id))
    return {item.get("name", ""): item.get("id", "") for item in found}


def plan_from_aws(found: UsagePlanAnswer, *, keys: Mapping[str, str]) -> UsagePlan:
    stages = found.get("apiStages") or []
    quota = found.get("quota")
    throttle = found.get("throttle")
    quota_fields: dict[str, int | str] = {}
    if quota:
        written_quota = {"limit": quota.get("limit"), "offset": quota.get("offset"), "period": quota.get("period")}
        quota_fields = {key: value for key, value in written_quota.items() if value is not None}
    throttle_fields: dict[str, int | float] = {}
    if throttle:
        written_throttle = {"burstLimit": throttle.get("burstLimit"), "rateLimit": throttle.get("rateLimit")}
        throttle_fields = {key: value for key, value in written_throttle.items() if value is not None}
    return UsagePlan(
        description=found.get("description") or None,
        stage=stages[0].get("stage", "") if stages else "",
        quota=quota_fields or None,
        throttle=throttle_fields or None,
        keys=tuple(sorted(keys)),
        tags=dict(found.get("tags") or {}),
        id=found.get("id"),
        key_ids=dict(keys),
        api_id=stages[0].get("apiId") if stages else None,
    )


def read_usage_plan(aws: Reads, stub: Resource) -> list[Resource]:
    for found in our_usage_plans(aws):
        if found.get("name") == stub.name:
            spec = plan_from_aws(found, keys=plan_keys(aws, found["id"]))
            return [Resource.of(stub.address, stub.name, spec, depends_on=plan_depends(spec, stub.name))]
    return []


def plan_depends(spec: UsagePlan, _name: str) -> tuple[str, ...]:
    return (REST_API, Address.rest_stage(spec.stage), *(Address.api_key(key) for key in spec.keys))


def discover_usage_plans(aws: Reads) -> list[Resource]:
    service, stage = reading_owner(aws)
    stubs = []
    for found in our_usage_plans(aws):
        name = str(found["name"])
        key = name.removeprefix(f"{service}-").removesuffix(f"-{stage}") if name != f"{service}-{stage}" else ""
        stubs.append(Resource(Address.usage_plan(key or "default"), "usage_plan", name))
    return stubs


def read_api_key(aws: Reads, stub: Resource) -> list[Resource]:
    """The key by the ids the tagging answer names (GetApiKey each); where it holds no API Gateway resources (the
    emulator), by GetApiKeys' name filter."""
    owner = reading_owner(aws)
    want_value = isinstance(stub.spec, ApiKey) and stub.spec.value is not None
    if tagging_knows_api_gateway(aws):
        read = partial(aws.rest_apis.get_api_key_or_none, include_value=want_value)
        answers = [
            aws.once(("api_key", key_id, want_value), partial(read, key_id)) for key_id in tagged_ids(aws, "apikeys")
        ]
        candidates: list[ApiKeyResponseTypeDef | ApiKeyTypeDef] = [answer for answer in answers if answer is not None]
    else:
        candidates = list(aws.rest_apis.get_api_keys(name=stub.name, include_values=want_value))
    for found in candidates:
        if found.get("name") == stub.name and owned(found.get("tags"), owner):
            spec = ApiKey(
                description=found.get("description") or None,
                customer_id=found.get("customerId") or None,
                enabled=bool(found.get("enabled")),
                value=Secret(found["value"]) if want_value and found.get("value") else None,
                tags=dict(found.get("tags") or {}),
                id=found["id"],
            )
            return [Resource.of(stub.address, stub.name, spec)]
    return []


def discover_api_keys(aws: Reads) -> list[Resource]:
    """The keys of the service's usage plans that carry its ownership tags."""
    names = {name for plan in our_usage_plans(aws) for name in plan_keys(aws, plan["id"])}
    return [Resource(Address.api_key(name), "api_key", name) for name in sorted(names)]


API_KEY_KIND = Kind(
    name="api_key",
    handlers={
        "api_key.create": api_key_create,
        "api_key.update": api_key_update,
        "api_key.delete": api_key_delete,
    },
    # AWS cannot change a key's value: a new value is a new key (its usage plans take it again).
    replace_on=frozenset({"value"}),
    stable_outputs=frozenset({"id"}),
    read=read_api_key,
    discover=discover_api_keys,
)
USAGE_PLAN_KIND = Kind(
    name="usage_plan",
    handlers={
        "usage_plan.create": usage_plan_create,
        "usage_plan.update": usage_plan_update,
        "usage_plan.delete": usage_plan_delete,
    },
    depends=lambda resource: resource.depends_on,
    stable_outputs=frozenset({"id"}),
    read=read_usage_plan,
    discover=discover_usage_plans,
)
