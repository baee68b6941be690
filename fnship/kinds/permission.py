"""The `permission` kind: a statement on the alias's resource policy that lets a trigger's service invoke it.

Lambda has no call to change a statement, so any change replaces it (remove, then add). Statements of one alias
share one policy document: their steps run one at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fnship.errors import AwsError
from fnship.kinds.base import Context, Kind, function_scoped
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, source_arn

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


# -- reading live state (read-only) ------------------------------------------------------------------------------


def permission_attrs(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A policy statement in the model's vocabulary (see model/triggers/common.py `permission`)."""
    principal = statement.get("Principal")
    if isinstance(principal, Mapping):
        principal = principal.get("Service") or principal.get("AWS")
    condition = statement.get("Condition") or {}
    equals = condition.get("StringEquals") or {}
    flags = condition.get("Bool") or {}
    via_url = flags.get("lambda:InvokedViaFunctionUrl", equals.get("lambda:InvokedViaFunctionUrl"))
    return {
        "action": statement.get("Action"),
        "principal": principal,
        "source_arn": source_arn(statement),
        "source_account": equals.get("AWS:SourceAccount"),
        "function_url_auth_type": equals.get("lambda:FunctionUrlAuthType"),
        "invoked_via_function_url": str(via_url).lower() == "true" if via_url is not None else False,
    }


def read_permission(aws: Any, stub: Resource) -> list[Resource]:
    extras = stub.extras
    for statement in aws.alias_policy(extras["function_name"], extras["qualifier"]):
        if statement.get("Sid") == stub.name:
            return [Resource(stub.address, "permission", stub.name, permission_attrs(statement), extras=extras)]
    return []


def discover_permissions(aws: Any, on: OnAlias) -> list[Resource]:
    """Every statement fnship put on the alias's policy (its statement id names the trigger it serves)."""
    target = on.target
    return [
        Resource(
            Address.permission(on.function_key, event_type, name),
            "permission",
            statement["Sid"],
            {},
            extras={**target.extras(event_type, name), "qualifier": on.alias},
        )  # fmt: skip
        for event_type, name, statement in on.statements(aws)
    ]


KIND = Kind(
    name="permission",
    handlers={"permission.create": permission_create, "permission.delete": permission_delete},
    replace_on=STATEMENT_FIELDS,
    depends=function_scoped,
    serial=policy_of,
    read=read_permission,
    discover_on_alias=discover_permissions,
    hangs_on_function=True,
)
