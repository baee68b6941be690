"""The `permission` kind: a statement on the alias's resource policy that lets a trigger's service invoke it.

Lambda has no call to change a statement, so any change replaces it (remove, then add). Statements of one alias
share one policy document: their steps run one at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fnship.errors import AwsError
from fnship.kinds.base import Context, Kind, function_scoped
from fnship.plan.diff import Step

STATEMENT_FIELDS = frozenset(
    {"action", "principal", "source_arn", "source_account", "function_url_auth_type", "invoked_via_function_url"}
)


def permission_request(attrs: Mapping[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {"Action": attrs["action"], "Principal": attrs["principal"]}
    if attrs.get("source_arn"):
        request["SourceArn"] = attrs["source_arn"]
    if attrs.get("source_account"):
        request["SourceAccount"] = attrs["source_account"]
    if attrs.get("function_url_auth_type"):
        request["FunctionUrlAuthType"] = attrs["function_url_auth_type"]
    if attrs.get("invoked_via_function_url"):
        request["InvokedViaFunctionUrl"] = True
    return request


def permission_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    extras = resource.extras
    request = permission_request(context.resolved(resource.attrs))
    api = context.aws.lambda_
    try:
        api.add_permission(extras["function_name"], qualifier=extras["qualifier"], sid=resource.name, request=request)
    except AwsError as exc:
        if exc.code != "ResourceConflictException":
            raise
        # A statement with our id is already there (a run stopped half-way): replace it.
        api.remove_permission(extras["function_name"], qualifier=extras["qualifier"], sid=resource.name)
        api.add_permission(extras["function_name"], qualifier=extras["qualifier"], sid=resource.name, request=request)


def permission_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    context.aws.lambda_.remove_permission(
        live.extras["function_name"], qualifier=live.extras["qualifier"], sid=live.name
    )


def policy_of(resource: Any) -> str:
    return f"policy:{resource.extras.get('function_name')}:{resource.extras.get('qualifier')}"


KIND = Kind(
    name="permission",
    handlers={"permission.create": permission_create, "permission.delete": permission_delete},
    replace_on=STATEMENT_FIELDS,
    depends=function_scoped,
    serial=policy_of,
)
