"""The `function_url` kind: a function URL on the alias, public (`NONE`) or IAM-authorized."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fnship.kinds.base import Context, Kind, function_scoped
from fnship.plan.diff import Step


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


KIND = Kind(
    name="function_url",
    handlers={
        "function_url.create": function_url_create,
        "function_url.update": function_url_update,
        "function_url.delete": function_url_delete,
    },
    depends=function_scoped,
)
