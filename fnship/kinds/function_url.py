"""The `function_url` kind: a function URL on the alias, public (`NONE`) or IAM-authorized."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fnship.kinds.base import Context, Kind, function_scoped
from fnship.model.resources import Resource
from fnship.model.triggers.common import normalize_cors, trigger_address
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias


def url_config(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {"AuthType": attrs["auth_type"], "Cors": dict(attrs["cors"] or {}), "InvokeMode": attrs["invoke_mode"]}


def function_url_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    created = context.aws.lambda_.create_function_url(
        resource.extras["function_name"], qualifier=resource.extras["qualifier"], config=url_config(resource.attrs)
    )
    context.outputs[step.address] = {"url": created.get("FunctionUrl")}


def function_url_update(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.lambda_.update_function_url(
        resource.extras["function_name"], qualifier=resource.extras["qualifier"], config=url_config(resource.attrs)
    )


def function_url_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    context.aws.lambda_.delete_function_url(live.extras["function_name"], qualifier=live.extras["qualifier"])


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_function_url(aws: Any, stub: Resource) -> list[Resource]:
    found = aws.alias_url(stub.extras["function_name"], stub.extras["qualifier"])
    if found is None:
        return []
    attrs = {
        "auth_type": found.get("AuthType"),
        "cors": normalize_cors(found.get("Cors")),
        "invoke_mode": found.get("InvokeMode") or "BUFFERED",
    }
    extras = {**stub.extras, "url": found.get("FunctionUrl")}
    return [Resource(stub.address, "function_url", stub.name, attrs, extras=extras)]


def discover_function_url(aws: Any, on: OnAlias) -> list[Resource]:
    if aws.alias_url(on.function_name, on.alias) is None:
        return []
    target = on.target
    extras = {**target.extras("url", on.alias), "qualifier": on.alias}
    return [Resource(trigger_address(target, "url", on.alias), "function_url", on.alias, {}, extras=extras)]


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
)
