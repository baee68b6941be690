"""Request validation of the service's REST API (`request.schemas`): its models (`rest_api.model.<name>`, a JSON
schema each) and the one request validator (`rest_api.validator`, body and parameters) that methods with schemas
use, as Serverless v3 makes them. Both go with the API when it is deleted.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.kinds.base import Context, Kind, compact_json, known
from fnship.kinds.rest_api import REST_API, owned_rest_api, part_of_api, rest_api_id
from fnship.model.address import Address
from fnship.model.resources import Found, Resource, Spec
from fnship.plan.diff import Step

if TYPE_CHECKING:
    from mypy_boto3_apigateway.type_defs import ModelTypeDef, RequestValidatorTypeDef

    from fnship.plan.reads import Reads

VALIDATOR = Address.rest_validator()
# The models API Gateway gives every REST API itself (not ours to manage).
BUILT_IN_MODELS = frozenset({"Empty", "Error"})


@dataclass(frozen=True, kw_only=True)
class RestModel(Spec):
    """A model of the service's REST API (its name is the resource's name)."""

    kind: ClassVar[str] = "rest_model"
    content_type: str
    schema: str  # compact JSON
    description: str | None
    api_id: str | None = field(default=None, compare=False)  # assigned by API Gateway: live only


def rest_model_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(RestModel)
    context.aws.rest_apis.create_model(context.require(REST_API), name=resource.name,
                                       content_type=spec.content_type, schema=spec.schema,
                                       description=spec.description)  # fmt: skip


def rest_model_update(context: Context, step: Step) -> None:
    """A schema or description patched in place (the methods that name the model keep it)."""
    resource = context.desired(step)
    spec, live = resource.spec_as(RestModel), context.live_spec(step, RestModel)
    operations = [
        {"op": "replace", "path": path, "value": want or ""}
        for path, want, have in (("/schema", spec.schema, live.schema),
                                 ("/description", spec.description, live.description))
        if want != have
    ]  # fmt: skip
    api_id = known(live.api_id, f"the API of {step.address}")
    context.aws.rest_apis.update_model(api_id, resource.name, operations=operations)


def rest_model_delete(context: Context, step: Step) -> None:
    live = context.live_at(step.address)
    api_id = known(live.spec_as(RestModel).api_id, f"the API of {step.address}")
    context.aws.rest_apis.delete_model(api_id, live.name)


@dataclass(frozen=True, kw_only=True)
class RestValidator(Spec):
    """The REST API's request validator (its name is the resource's name)."""

    kind: ClassVar[str] = "rest_validator"
    validate_body: bool
    validate_parameters: bool
    api_id: str | None = field(default=None, compare=False)  # assigned by API Gateway: live only
    id: str | None = field(default=None, compare=False)


def rest_validator_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(RestValidator)
    made = context.aws.rest_apis.create_request_validator(context.require(REST_API), name=resource.name,
                                                          body=spec.validate_body,
                                                          parameters=spec.validate_parameters)  # fmt: skip
    context.outputs[step.address] = {"id": made}


def rest_validator_update(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec, live = resource.spec_as(RestValidator), context.live_spec(step, RestValidator)
    operations = [
        {"op": "replace", "path": path, "value": str(want).lower()}
        for path, want, have in (("/validateRequestBody", spec.validate_body, live.validate_body),
                                 ("/validateRequestParameters", spec.validate_parameters, live.validate_parameters))
        if want != have
    ]  # fmt: skip
    api_id, validator_id = _validator_ids(live, step)
    context.aws.rest_apis.update_request_validator(api_id, validator_id, operations=operations)
    context.outputs[step.address] = {"id": validator_id}


def rest_validator_delete(context: Context, step: Step) -> None:
    context.aws.rest_apis.delete_request_validator(*_validator_ids(context.live_spec(step, RestValidator), step))


def _validator_ids(live: RestValidator, step: Step) -> tuple[str, str]:
    return known(live.api_id, f"the API of {step.address}"), known(live.id, f"the id of {step.address}")


# -- reading live state (read-only) ------------------------------------------------------------------------------


def models(aws: Reads, api_id: str) -> list[ModelTypeDef]:
    return aws.once(("rest_models", api_id), lambda: aws.rest_apis.get_models(api_id))


def validators(aws: Reads, api_id: str) -> list[RequestValidatorTypeDef]:
    return aws.once(("rest_validators", api_id), lambda: aws.rest_apis.get_request_validators(api_id))


def model_from_aws(found: ModelTypeDef, *, api_id: str) -> RestModel:
    return RestModel(
        content_type=found.get("contentType") or "application/json",
        schema=compact_json(found.get("schema")) or "",
        description=found.get("description") or None,
        api_id=api_id,
    )


def read_rest_model(aws: Reads, stub: Resource) -> list[Resource]:
    api_id = rest_api_id(aws, stub)
    for found in models(aws, api_id) if api_id else []:
        if found.get("name") == stub.name:
            return [Resource.of(stub.address, stub.name, model_from_aws(found, api_id=str(api_id)))]
    return []


def read_rest_validator(aws: Reads, stub: Resource) -> list[Resource]:
    api_id = rest_api_id(aws, stub)
    for found in validators(aws, api_id) if api_id else []:
        if found.get("name") == stub.name:
            spec = RestValidator(
                validate_body=bool(found.get("validateRequestBody")),
                validate_parameters=bool(found.get("validateRequestParameters")),
                api_id=api_id,
                id=found.get("id"),
            )
            return [Resource.of(stub.address, stub.name, spec)]
    return []


def discover_rest_models(aws: Reads) -> list[Resource]:
    """The models of the service's REST API (but the two API Gateway gives every API)."""
    found = owned_rest_api(aws)
    if found is None:
        return []
    where = Found(api_id=found[1]["id"])
    return [
        Resource(Address.rest_model(item.get("name", "")), "rest_model", item.get("name", ""), found=where)
        for item in models(aws, found[1]["id"])
        if item.get("name") not in BUILT_IN_MODELS
    ]


def discover_rest_validator(aws: Reads) -> list[Resource]:
    found = owned_rest_api(aws)
    if found is None:
        return []
    where = Found(api_id=found[1]["id"])
    return [Resource(VALIDATOR, "rest_validator", item.get("name", ""), found=where)
            for item in validators(aws, found[1]["id"])][:1]  # fmt: skip


MODEL_KIND = Kind(
    name="rest_model",
    handlers={
        "rest_model.create": rest_model_create,
        "rest_model.update": rest_model_update,
        "rest_model.delete": rest_model_delete,
    },
    replace_on=frozenset({"content_type"}),
    depends=lambda _resource: (REST_API,),
    parent=part_of_api,
    serial=lambda _resource: REST_API,
    read=read_rest_model,
    discover=discover_rest_models,
)
VALIDATOR_KIND = Kind(
    name="rest_validator",
    handlers={
        "rest_validator.create": rest_validator_create,
        "rest_validator.update": rest_validator_update,
        "rest_validator.delete": rest_validator_delete,
    },
    depends=lambda _resource: (REST_API,),
    parent=part_of_api,
    serial=lambda _resource: REST_API,
    stable_outputs=frozenset({"id"}),
    read=read_rest_validator,
    discover=discover_rest_validator,
)
