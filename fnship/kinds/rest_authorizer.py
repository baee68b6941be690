"""`rest_authorizer`: an authorizer of the service's REST API (`rest_api.authorizer.<name>`): a Lambda TOKEN or
REQUEST authorizer (a function of this service, through its alias, or one by ARN) or a Cognito user pool. Its
methods name it; it goes with the API when the API is deleted.
https://docs.aws.amazon.com/apigateway/latest/api/API_CreateAuthorizer.html"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.jsonvalue import JsonValue
from fnship.kinds.base import Context, Kind, known
from fnship.kinds.rest_api import REST_API, integration_target, owned_rest_api, part_of_api, rest_api_id
from fnship.model.address import Address
from fnship.model.resources import Found, Resource, Spec
from fnship.plan.diff import Step

if TYPE_CHECKING:
    from mypy_boto3_apigateway.type_defs import AuthorizerTypeDef

    from fnship.plan.reads import Reads


@dataclass(frozen=True, kw_only=True)
class RestAuthorizer(Spec):
    """An authorizer of the service's REST API (its name is the resource's name)."""

    kind: ClassVar[str] = "rest_authorizer"
    type: str  # TOKEN | REQUEST | COGNITO_USER_POOLS
    function_arn: str | None  # a Lambda authorizer's function (alias) ARN
    provider_arns: tuple[str, ...]  # a Cognito authorizer's user pools
    identity_source: str | None
    ttl: int  # authorizerResultTtlInSeconds
    validation_expression: str | None  # TOKEN only
    # Assigned by API Gateway: live only.
    api_id: str | None = field(default=None, compare=False)
    authorizer_id: str | None = field(default=None, compare=False)


def authorizer_from_aws(found: AuthorizerTypeDef, *, api_id: str) -> RestAuthorizer:
    """A GetAuthorizers item as the spec."""
    return RestAuthorizer(
        type=found.get("type", ""),
        function_arn=integration_target(found.get("authorizerUri")),
        provider_arns=tuple(sorted(found.get("providerARNs") or [])),
        identity_source=found.get("identitySource") or None,
        ttl=int(found.get("authorizerResultTtlInSeconds", 300)),
        validation_expression=found.get("identityValidationExpression") or None,
        api_id=api_id,
        authorizer_id=found.get("id"),
    )


def authorizer_settings(context: Context, spec: RestAuthorizer) -> dict[str, JsonValue]:
    """CreateAuthorizer's settings for the spec (AWS's field names)."""
    settings: dict[str, JsonValue] = {"type": spec.type, "authorizerResultTtlInSeconds": spec.ttl}
    if spec.function_arn:
        settings["authorizerUri"] = context.aws.rest_apis.lambda_uri(spec.function_arn)
    if spec.provider_arns:
        settings["providerARNs"] = list(spec.provider_arns)
    if spec.identity_source:
        settings["identitySource"] = spec.identity_source
    if spec.validation_expression:
        settings["identityValidationExpression"] = spec.validation_expression
    return settings


def rest_authorizer_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    settings = authorizer_settings(context, resource.spec_as(RestAuthorizer))
    made = context.aws.rest_apis.create_authorizer(context.require(REST_API), name=resource.name, settings=settings)
    context.outputs[step.address] = {"authorizer_id": made}


def rest_authorizer_update(context: Context, step: Step) -> None:
    """Each changed setting patched in place: the methods keep the authorizer's id."""
    spec, live = context.desired_spec(step, RestAuthorizer), context.live_spec(step, RestAuthorizer)
    api_id, authorizer_id = _ids(live, step)
    want, have = authorizer_settings(context, spec), authorizer_settings(context, live)
    operations: list[dict[str, str]] = []
    for key in ("type", "authorizerUri", "identitySource", "identityValidationExpression"):
        if want.get(key) != have.get(key):
            operations.append({"op": "replace", "path": f"/{key}", "value": str(want.get(key) or "")})
    if spec.ttl != live.ttl:
        operations.append({"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": str(spec.ttl)})
    # A user pool is added or removed by its own operation (UpdateAuthorizer's patch on /providerARNs).
    operations += [{"op": "add", "path": f"/providerARNs/{arn}"} for arn in spec.provider_arns
                   if arn not in live.provider_arns]  # fmt: skip
    operations += [{"op": "remove", "path": f"/providerARNs/{arn}"} for arn in live.provider_arns
                   if arn not in spec.provider_arns]  # fmt: skip
    if operations:
        context.aws.rest_apis.update_authorizer(api_id, authorizer_id, operations=operations)
    context.outputs[step.address] = {"authorizer_id": authorizer_id}


def rest_authorizer_delete(context: Context, step: Step) -> None:
    context.aws.rest_apis.delete_authorizer(*_ids(context.live_spec(step, RestAuthorizer), step))


def _ids(live: RestAuthorizer, step: Step) -> tuple[str, str]:
    return known(live.api_id, f"the API of {step.address}"), known(live.authorizer_id, f"the id of {step.address}")


# -- reading live state (read-only) ------------------------------------------------------------------------------


def authorizers(aws: Reads, api_id: str) -> list[AuthorizerTypeDef]:
    return aws.once(("rest_authorizers", api_id), lambda: aws.rest_apis.get_authorizers(api_id))


def authorizer_names(aws: Reads, api_id: str) -> dict[str, str]:
    """Authorizer id -> name, for the methods that name one."""
    return {item.get("id", ""): item.get("name", "") for item in authorizers(aws, api_id)}


def read_rest_authorizer(aws: Reads, stub: Resource) -> list[Resource]:
    api_id = rest_api_id(aws, stub)
    if api_id is None:
        return []
    for item in authorizers(aws, api_id):
        if item.get("name") == stub.name:
            return [Resource.of(stub.address, stub.name, authorizer_from_aws(item, api_id=api_id))]
    return []


def discover_rest_authorizers(aws: Reads) -> list[Resource]:
    """The authorizers of the service's REST API (the API is ours: all of them)."""
    found = owned_rest_api(aws)
    if found is None:
        return []
    where = Found(api_id=found[1]["id"])
    return [
        Resource(Address.rest_authorizer(item.get("name", "")), "rest_authorizer", item.get("name", ""), found=where)
        for item in authorizers(aws, found[1]["id"])
    ]


KIND = Kind(
    name="rest_authorizer",
    handlers={
        "rest_authorizer.create": rest_authorizer_create,
        "rest_authorizer.update": rest_authorizer_update,
        "rest_authorizer.delete": rest_authorizer_delete,
    },
    depends=lambda _resource: (REST_API,),
    parent=part_of_api,
    serial=lambda _resource: REST_API,
    stable_outputs=frozenset({"authorizer_id"}),
    read=read_rest_authorizer,
    discover=discover_rest_authorizers,
)
