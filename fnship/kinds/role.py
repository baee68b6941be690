"""The `role` kind: a function's (or the service's shared) execution role, its inline policy and attachments."""

from __future__ import annotations

from typing import Any

from fnship.kinds.base import Context, Kind, tag_delta
from fnship.model import iam, names
from fnship.model.address import Address
from fnship.model.resources import OWNER_FUNCTION_TAG, Resource
from fnship.plan.diff import Step
from fnship.plan.reads import owned


def role_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    arn = context.aws.iam.create_role(
        resource.name,
        path=attrs["path"],
        trust_policy=attrs["trust_policy"],
        tags=attrs["tags"],
        permissions_boundary=attrs["permissions_boundary"],
        description=f"fnship execution role for {Address(resource.address).function_key}",
    )
    context.aws.iam.put_inline_policy(resource.name, iam.INLINE_POLICY_NAME, attrs["inline_policy"])
    for policy_arn in attrs["managed_policies"]:
        context.aws.iam.attach_managed_policy(resource.name, policy_arn)
    context.outputs[step.address] = {"arn": arn}


def role_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live_at(step.address)
    want, have = resource.attrs, live.attrs
    api = context.aws.iam
    if want["trust_policy"] != have["trust_policy"]:
        api.set_trust_policy(resource.name, want["trust_policy"])
    if want["inline_policy"] != have["inline_policy"]:
        api.put_inline_policy(resource.name, iam.INLINE_POLICY_NAME, want["inline_policy"])
    for policy_name in sorted(have.get("other_inline_policies") or {}):  # added outside fnship: the plan removes it
        api.delete_inline_policy(resource.name, policy_name)
    for policy_arn in sorted(set(want["managed_policies"]) - set(have["managed_policies"])):
        api.attach_managed_policy(resource.name, policy_arn)
    for policy_arn in sorted(set(have["managed_policies"]) - set(want["managed_policies"])):
        api.detach_managed_policy(resource.name, policy_arn)
    if want["permissions_boundary"] != have["permissions_boundary"]:
        api.set_permissions_boundary(resource.name, want["permissions_boundary"])
    add, remove = tag_delta(have.get("tags"), want["tags"])
    if add or remove:
        api.set_tags(resource.name, add=add, remove=remove)


def role_delete(context: Context, step: Step) -> None:
    context.aws.iam.delete_role(context.live_at(step.address).name)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_role(aws: Any, stub: Resource) -> list[Resource]:
    """A role by name. A discovered one (no address yet: found under the service's IAM path) is ours only if it
    carries both ownership tags, and its function tag gives its address."""
    found = aws.iam.get_role_or_none(stub.name, expected_inline=(iam.INLINE_POLICY_NAME,))
    if found is None:
        return []
    address = stub.address
    if not address:
        tags = found["Tags"]
        if aws.owner is None or not owned(tags, aws.owner):
            return []
        address = Address.role(tags.get(OWNER_FUNCTION_TAG) or stub.name)
    inline = found["InlinePolicies"].get(iam.INLINE_POLICY_NAME)
    # Inline policies added outside fnship are drift on a role fnship owns: shown only when there are some (the
    # desired side has none), so the plan removes them.
    others = {
        policy: iam.normalize_document(document)
        for policy, document in sorted(found["InlinePolicies"].items())
        if policy != iam.INLINE_POLICY_NAME
    }
    attrs = {
        "path": found["Path"],
        "trust_policy": iam.normalize_document(found["AssumeRolePolicyDocument"]),
        "inline_policy": iam.normalize_document(inline) if inline is not None else None,
        "managed_policies": found["ManagedPolicies"],
        "permissions_boundary": found["PermissionsBoundary"],
        "tags": found["Tags"],
        **({"other_inline_policies": others} if others else {}),
    }
    return [Resource(address=address, kind="role", name=stub.name, attrs=attrs, extras={"arn": found["Arn"]})]


def discover_roles(aws: Any) -> list[Resource]:
    """Roles under this service's and stage's IAM path, by name (their tags, read with them, say which are ours)."""
    service, stage = aws.owner
    return [
        Resource("", "role", role, {})
        for role in aws.iam.list_role_names(names.role_path(service=service, stage=stage))
    ]


KIND = Kind(
    name="role",
    handlers={"role.create": role_create, "role.update": role_update, "role.delete": role_delete},
    by_name=True,
    read=read_role,
    discover=discover_roles,
)
