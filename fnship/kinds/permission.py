"""The `permission` kind: a statement on the alias's resource policy that lets a trigger's service invoke it.

Lambda has no call to change a statement, so any change replaces it (remove, then add). Statements of one alias
share one policy document: their steps run one at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from fnship.errors import AwsError
from fnship.jsonvalue import JsonValue
from fnship.kinds.base import Context, Kind, function_scoped
from fnship.model.address import Address
from fnship.model.resources import Ref, Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, Reads

if TYPE_CHECKING:
    from fnship.aws.lambda_api import PolicyStatement


@dataclass(frozen=True, kw_only=True)
class Permission(Spec):
    """A statement on the alias's policy; its statement id is the resource's name."""

    kind: ClassVar[str] = "permission"
    action: str
    principal: str
    source_arn: str | Ref | None  # a Ref while the source (an API) is not made yet
    source_account: str | None
    function_url_auth_type: str | None
    invoked_via_function_url: bool


STATEMENT_FIELDS = frozenset(
    {"action", "principal", "source_arn", "source_account", "function_url_auth_type", "invoked_via_function_url"}
)


def from_aws(statement: PolicyStatement) -> Permission:
    """A statement of GetPolicy's document as the spec."""
    principal = statement.get("Principal")
    if isinstance(principal, Mapping):
        principal = principal.get("Service") or principal.get("AWS")
    condition = statement.get("Condition") or {}
    arn_like = condition.get("ArnLike") or {}
    equals = condition.get("StringEquals") or {}
    flags = condition.get("Bool") or {}
    via_url = flags.get("lambda:InvokedViaFunctionUrl", equals.get("lambda:InvokedViaFunctionUrl"))
    action = statement.get("Action") or ""
    return Permission(
        action=action if isinstance(action, str) else ",".join(action),  # (Lambda writes one action)
        principal=str(principal),
        source_arn=arn_like.get("AWS:SourceArn"),
        source_account=equals.get("AWS:SourceAccount"),
        function_url_auth_type=equals.get("lambda:FunctionUrlAuthType"),
        invoked_via_function_url=str(via_url).lower() == "true" if via_url is not None else False,
    )


def permission_request(spec: Permission) -> dict[str, JsonValue]:
    """The statement as AddPermission wants it, from a resolved spec (its source ARN's reference filled in)."""
    request: dict[str, JsonValue] = {"Action": spec.action, "Principal": spec.principal}
    if spec.source_arn:
        request["SourceArn"] = str(spec.source_arn)
    if spec.source_account:
        request["SourceAccount"] = spec.source_account
    if spec.function_url_auth_type:
        request["FunctionUrlAuthType"] = spec.function_url_auth_type
    if spec.invoked_via_function_url:
        request["InvokedViaFunctionUrl"] = True
    return request


def permission_create(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    scope = resource.in_scope()
    request = permission_request(context.resolved(resource.spec_as(Permission)))
    api = context.aws.lambda_
    try:
        api.add_permission(scope.function_name, qualifier=scope.alias, sid=resource.name, request=request)
    except AwsError as exc:
        if exc.code != "ResourceConflictException":
            raise
        # A statement with our id is already there (a run stopped half-way): replace it.
        api.remove_permission(scope.function_name, qualifier=scope.alias, sid=resource.name)
        api.add_permission(scope.function_name, qualifier=scope.alias, sid=resource.name, request=request)


def permission_delete(context: Context, step: Step) -> None:
    live = context.live_at(step.address)
    scope = live.in_scope()
    context.aws.lambda_.remove_permission(scope.function_name, qualifier=scope.alias, sid=live.name)


def policy_of(resource: Resource) -> str:
    scope = resource.in_scope()
    return f"policy:{scope.function_name}:{scope.alias}"


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_permission(aws: Reads, stub: Resource) -> list[Resource]:
    scope = stub.in_scope()
    for statement in aws.alias_policy(scope.function_name, scope.alias):
        if statement.get("Sid") == stub.name:
            return [Resource.of(stub.address, stub.name, from_aws(statement), scope=scope)]
    return []


def discover_permissions(aws: Reads, on: OnAlias) -> list[Resource]:
    """Every statement fnship put on the alias's policy (its statement id names the trigger it serves)."""
    target = on.target
    return [
        Resource(
            Address.permission(on.function_key, event_type, name),
            "permission",
            statement["Sid"],
            scope=target.scope(event_type, name),
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
    from_record=True,
)
