"""The `function_url` kind: a function URL on the alias, public (`NONE`) or IAM-authorized."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.jsonvalue import JsonMapping, JsonValue
from fnship.kinds.base import Context, Kind, function_scoped, normalize_cors
from fnship.model.address import Address
from fnship.model.resources import Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, Reads

if TYPE_CHECKING:
    from fnship.aws.lambda_api import FunctionUrlAnswer


@dataclass(frozen=True, kw_only=True)
class FunctionUrl(Spec):
    kind: ClassVar[str] = "function_url"
    auth_type: str  # NONE | AWS_IAM
    cors: JsonMapping | None  # the Cors configuration as AWS spells it, normalized (kinds.base.normalize_cors)
    invoke_mode: str  # BUFFERED | RESPONSE_STREAM
    url: str | None = field(default=None, compare=False)  # assigned by Lambda: live only


def from_aws(found: FunctionUrlAnswer) -> FunctionUrl:
    """GetFunctionUrlConfig's answer as the spec."""
    return FunctionUrl(
        auth_type=found.get("AuthType") or "",
        cors=normalize_cors(found.get("Cors")),
        invoke_mode=found.get("InvokeMode") or "BUFFERED",
        url=found.get("FunctionUrl"),
    )


def url_config(spec: FunctionUrl) -> dict[str, JsonValue]:
    return {"AuthType": spec.auth_type, "Cors": dict(spec.cors or {}), "InvokeMode": spec.invoke_mode}


def function_url_create(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    scope = resource.in_scope()
    created = context.aws.lambda_.create_function_url(
        scope.function_name, qualifier=scope.alias, config=url_config(resource.spec_as(FunctionUrl))
    )
    context.outputs[step.address] = {"url": created.get("FunctionUrl")}


def function_url_update(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    scope = resource.in_scope()
    context.aws.lambda_.update_function_url(
        scope.function_name, qualifier=scope.alias, config=url_config(resource.spec_as(FunctionUrl))
    )


def function_url_delete(context: Context, step: Step) -> None:
    scope = context.live_at(step.address).in_scope()
    context.aws.lambda_.delete_function_url(scope.function_name, qualifier=scope.alias)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_function_url(aws: Reads, stub: Resource) -> list[Resource]:
    scope = stub.in_scope()
    found = aws.alias_url(scope.function_name, scope.alias)
    if found is None:
        return []
    return [Resource.of(stub.address, stub.name, from_aws(found), scope=scope)]


def discover_function_url(aws: Reads, on: OnAlias) -> list[Resource]:
    if aws.alias_url(on.function_name, on.alias) is None:
        return []
    target = on.target
    address = Address.trigger(on.function_key, "url", on.alias)
    return [Resource(address, "function_url", on.alias, scope=target.scope("url", on.alias))]


KIND = Kind(
    name="function_url",
    handlers={
        "function_url.create": function_url_create,
        "function_url.update": function_url_update,
        "function_url.delete": function_url_delete,
    },
    depends=function_scoped,
    read=read_function_url,
    discover_on_alias=discover_function_url,
    hangs_on_function=True,
    from_record=True,
)
