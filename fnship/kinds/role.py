"""The `role` kind: a function's (or the service's shared) execution role, its inline policy and attachments."""

from __future__ import annotations

from fnship.kinds.base import Context, Kind, tag_delta
from fnship.model import iam
from fnship.model.address import Address
from fnship.plan.diff import Step


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
    resource, live = context.desired(step), context.live(step)
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
    context.aws.iam.delete_role(context.live(step).name)


KIND = Kind(
    name="role",
    handlers={"role.create": role_create, "role.update": role_update, "role.delete": role_delete},
    by_name=True,
)
