"""The `role` kind: a function's (or the service's shared) execution role, its inline policy and attachments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.jsonvalue import JsonMapping
from fnship.kinds.base import Context, Kind, known, reading_owner, tag_delta
from fnship.model import iam, names
from fnship.model.address import Address
from fnship.model.resources import OWNER_FUNCTION_TAG, ROLE_PURPOSE_TAG, Ref, Resource, Spec
from fnship.plan.diff import CREATE, Change, Step
from fnship.plan.reads import owned

if TYPE_CHECKING:
    from fnship.aws.iam_api import RoleAnswer
    from fnship.plan.reads import Reads


REFERENCED_SID = "FnshipReferenced"  # + a number: a statement naming a resource this deploy makes


@dataclass(frozen=True)
class ReferencedStatement:
    """A statement of the inline policy whose resource is made by the same deploy (the service's WebSocket API): a
    Ref until it exists. Kept apart from the JSON policy document, and written into it under a Sid of ours."""

    actions: tuple[str, ...]
    resource: str | Ref


@dataclass(frozen=True, kw_only=True)
class Role(Spec):
    """An execution role (its name is the resource's name) under the service's IAM path: its trust policy, our
    inline policy, attached managed policies, boundary and tags. Policy documents are normalized
    (model.iam.normalize_document) on both sides."""

    kind: ClassVar[str] = "role"
    path: str
    trust_policy: JsonMapping
    inline_policy: JsonMapping | None  # None: ours is missing (live)
    referenced: tuple[ReferencedStatement, ...] = ()  # written into the inline policy too
    managed_policies: tuple[str, ...]  # sorted ARNs
    permissions_boundary: str | None
    tags: Mapping[str, str]
    # Inline policies added outside fnship (live only): drift on a role fnship owns, which the plan removes.
    other_inline_policies: Mapping[str, JsonMapping] = field(default_factory=dict)
    arn: str | None = field(default=None, compare=False)  # assigned by IAM: live only


def from_aws(found: RoleAnswer) -> Role:
    """The IAM adapter's role (aws/iam_api.py `get_role_or_none`: GetRole with its inline and attached policies)
    as the spec."""
    policies = found["InlinePolicies"]
    inline = policies.get(iam.INLINE_POLICY_NAME)
    document = iam.normalize_document(inline) if inline is not None else None
    referenced: list[ReferencedStatement] = []
    if document is not None:
        statements = document["Statement"] if isinstance(document["Statement"], list) else []
        kept = []
        for statement in statements:
            if isinstance(statement, Mapping) and str(statement.get("Sid", "")).startswith(REFERENCED_SID):
                actions, resource = statement.get("Action"), statement.get("Resource")
                referenced.append(
                    ReferencedStatement(
                        actions=tuple(sorted(actions)) if isinstance(actions, list) else (str(actions),),
                        resource=str(resource),
                    )
                )
            else:
                kept.append(statement)
        document = {**document, "Statement": kept}
    return Role(
        path=found["Path"],
        trust_policy=iam.normalize_document(found["AssumeRolePolicyDocument"]),
        inline_policy=document,
        referenced=tuple(referenced),
        managed_policies=tuple(sorted(found["ManagedPolicies"])),
        permissions_boundary=found["PermissionsBoundary"],
        tags=dict(found["Tags"]),
        other_inline_policies={
            policy: iam.normalize_document(document)
            for policy, document in sorted(policies.items())
            if policy != iam.INLINE_POLICY_NAME
        },
        arn=found["Arn"],
    )


def full_policy(spec: Role, step: Step) -> JsonMapping:
    """The inline policy as IAM takes it: the document and the referenced statements (resolved), each of those
    under its own Sid, so the reader tells them apart."""
    policy = dict(known(spec.inline_policy, f"the inline policy of {step.address}"))
    statements = policy["Statement"]
    listed = list(statements) if isinstance(statements, (list, tuple)) else []
    extra = [
        {"Sid": f"{REFERENCED_SID}{number}", "Effect": "Allow", "Action": list(statement.actions),
         "Resource": str(statement.resource)}
        for number, statement in enumerate(spec.referenced)
    ]  # fmt: skip
    if extra:
        policy["Statement"] = [*listed, *(iam.normalize_statement(s) for s in extra)]
    return policy


def role_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(Role)
    arn = context.aws.iam.create_role(
        resource.name,
        path=spec.path,
        trust_policy=spec.trust_policy,
        tags=spec.tags,
        permissions_boundary=spec.permissions_boundary,
        description=f"fnship {spec.tags.get(ROLE_PURPOSE_TAG, 'execution')} role for "
        f"{Address(resource.address).function_key}",
    )
    context.outputs[step.address] = {"arn": arn}


def role_policies(context: Context, step: Step) -> None:
    """A new role's inline policy and managed policies (the step after `role.create`)."""
    resource = context.desired(step)
    spec = context.resolved(resource.spec_as(Role))  # (a statement may name an API made earlier in this run)
    policy = full_policy(spec, step)
    context.aws.iam.put_inline_policy(resource.name, iam.INLINE_POLICY_NAME, policy)
    for policy_arn in spec.managed_policies:
        context.aws.iam.attach_managed_policy(resource.name, policy_arn)


def role_steps(change: Change) -> list[Step]:
    """A new role is made in two steps: the role itself, which is all most functions need to be created with it
    (CreateFunction names the role; Lambda checks only that it can assume it: kinds/function.py
    `created_without_permissions`), then its policies, which what runs the function needs (its version and
    alias, its triggers, the release: see Kind.usable_after)."""
    if change.action == CREATE:
        return [Step("role.create", change.address), Step("role.policies", change.address)]
    return [Step(f"role.{change.action}", change.address)]


def role_update(context: Context, step: Step) -> None:
    resource = context.desired(step)
    want, have = context.resolved(resource.spec_as(Role)), context.live_spec(step, Role)
    api = context.aws.iam
    if want.trust_policy != have.trust_policy:
        api.set_trust_policy(resource.name, want.trust_policy)
    if (want.inline_policy, want.referenced) != (have.inline_policy, have.referenced):
        api.put_inline_policy(resource.name, iam.INLINE_POLICY_NAME, full_policy(want, step))
    for policy_name in sorted(have.other_inline_policies):  # added outside fnship: the plan removes it
        api.delete_inline_policy(resource.name, policy_name)
    for policy_arn in sorted(set(want.managed_policies) - set(have.managed_policies)):
        api.attach_managed_policy(resource.name, policy_arn)
    for policy_arn in sorted(set(have.managed_policies) - set(want.managed_policies)):
        api.detach_managed_policy(resource.name, policy_arn)
    if want.permissions_boundary != have.permissions_boundary:
        api.set_permissions_boundary(resource.name, want.permissions_boundary)
    add, remove = tag_delta(have.tags, want.tags)
    if add or remove:
        api.set_tags(resource.name, add=add, remove=remove)


def role_delete(context: Context, step: Step) -> None:
    context.aws.iam.delete_role(context.live_at(step.address).name)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_role(aws: Reads, stub: Resource) -> list[Resource]:
    """A role by name. A discovered one (no address yet: found under the service's IAM path) is ours only if it
    carries both ownership tags, and its function tag gives its address."""
    found = aws.iam.get_role_or_none(
        stub.name, expected_inline=(iam.INLINE_POLICY_NAME,), probe_first=aws.nothing_recorded and bool(stub.address)
    )
    if found is None:
        return []
    address = stub.address
    if not address:
        tags = found["Tags"]
        if aws.owner is None or not owned(tags, aws.owner):
            return []
        key = tags.get(OWNER_FUNCTION_TAG) or stub.name
        purpose = tags.get(ROLE_PURPOSE_TAG)
        address = Address.role_for(key, purpose) if purpose else Address.role(key)
    return [Resource.of(address, stub.name, from_aws(found))]


def discover_roles(aws: Reads) -> list[Resource]:
    """Roles under this service's and stage's IAM path, by name (their tags, read with them, say which are ours)."""
    service, stage = reading_owner(aws)
    return [
        Resource("", "role", role) for role in aws.iam.list_role_names(names.role_path(service=service, stage=stage))
    ]


KIND = Kind(
    name="role",
    handlers={
        "role.create": role_create,
        "role.policies": role_policies,
        "role.update": role_update,
        "role.delete": role_delete,
    },
    steps=role_steps,
    usable_after="role.create",
    by_name=True,
    read=read_role,
    discover=discover_roles,
)
