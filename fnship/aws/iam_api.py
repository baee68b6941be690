"""IAM: execution roles with one inline policy, managed policies, permissions boundary, tags."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypedDict

from fnship.aws.calls import aws_call, call_or_none, paged, paged_or_none, tag_list
from fnship.jsonvalue import JsonMapping

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_iam.type_defs import AttachedPolicyTypeDef, GetRolePolicyResponseTypeDef


class RoleAnswer(TypedDict):
    """A role with what hangs on it (GetRole, its inline policies' documents, its attached policies)."""

    Arn: str
    RoleName: str
    Path: str
    AssumeRolePolicyDocument: JsonMapping
    PermissionsBoundary: str | None
    InlinePolicies: dict[str, JsonMapping]  # policy name -> document
    ManagedPolicies: list[str]  # sorted ARNs
    Tags: dict[str, str]


def _document(raw: object) -> JsonMapping:
    """A policy document as IAM answers it, parsed at once: boto3 decodes documents to dicts (the stubs say
    `str`), and some endpoints hand back URL-encoded JSON strings."""
    parsed = json.loads(urllib.parse.unquote(raw)) if isinstance(raw, str) else raw
    if not isinstance(parsed, Mapping):
        raise TypeError(f"an IAM policy document that is not a JSON object: {parsed!r}")
    return dict(parsed)


class IamApi:
    def __init__(self, client: IAMClient) -> None:
        self._client = client

    def get_role_or_none(
        self, name: str, *, expected_inline: tuple[str, ...] = (), probe_first: bool = False
    ) -> RoleAnswer | None:
        """The role with its trust policy, inline policies, attached managed policies, boundary and tags.

        One round when the role's inline policies are the `expected_inline` ones (fnship's own): GetRole (which
        carries the tags and the boundary), ListRolePolicies, ListAttachedRolePolicies and GetRolePolicy of each
        expected policy at once; a second round only for inline policies added outside fnship (drift). With
        `probe_first` (a role that most likely does not exist), GetRole alone first: one call instead of four when
        it is not there, a round more when it is."""
        resource = f"role {name}"
        if probe_first and call_or_none(resource, "GetRole", self._client.get_role, RoleName=name) is None:
            return None

        def document(policy: str) -> GetRolePolicyResponseTypeDef:
            return aws_call(resource, "GetRolePolicy", self._client.get_role_policy, RoleName=name, PolicyName=policy)

        def document_or_none(policy: str) -> GetRolePolicyResponseTypeDef | None:
            return call_or_none(resource, "GetRolePolicy", self._client.get_role_policy, RoleName=name,
                                PolicyName=policy)  # fmt: skip

        with ThreadPoolExecutor(max_workers=3 + len(expected_inline)) as pool:
            role_call = pool.submit(call_or_none, resource, "GetRole", self._client.get_role, RoleName=name)
            inline_call = pool.submit(
                paged_or_none, self._client, "list_role_policies", resource, "PolicyNames", RoleName=name
            )
            attached_call = pool.submit(
                paged_or_none, self._client, "list_attached_role_policies", resource, "AttachedPolicies", RoleName=name
            )
            expected = {policy: pool.submit(document_or_none, policy) for policy in expected_inline}
            found, inline_names = role_call.result(), inline_call.result()
            attached: list[AttachedPolicyTypeDef] | None = attached_call.result()
            if found is None or inline_names is None or attached is None:
                return None
            early = {policy: call.result() for policy, call in expected.items()}
            policies = [str(policy) for policy in inline_names]  # (ListRolePolicies answers names)
            later = [policy for policy in policies if early.get(policy) is None]
            documents = dict(zip(later, pool.map(document, later), strict=True))
            inline = {
                policy: _document((early.get(policy) or documents[policy])["PolicyDocument"]) for policy in policies
            }
        role = found["Role"]
        return {
            "Arn": role["Arn"],
            "RoleName": role["RoleName"],
            "Path": role.get("Path", "/"),
            "AssumeRolePolicyDocument": _document(role["AssumeRolePolicyDocument"]),
            "PermissionsBoundary": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "InlinePolicies": inline,
            "ManagedPolicies": sorted(p["PolicyArn"] for p in attached),
            # GetRole answers the role's tags (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html)
            "Tags": {t["Key"]: t["Value"] for t in role.get("Tags") or []},
        }

    def role_arn_or_none(self, name: str) -> str | None:
        """GetRole's ARN alone (None: no such role)."""
        found = call_or_none(f"role {name}", "GetRole", self._client.get_role, RoleName=name)
        return found["Role"]["Arn"] if found is not None else None

    def list_role_names(self, path_prefix: str) -> list[str]:
        """The roles under an IAM path (ListRoles filters by the path: not every role of the account)."""
        roles = paged(self._client, "list_roles", f"roles under {path_prefix}", "Roles", PathPrefix=path_prefix)
        return sorted(role["RoleName"] for role in roles)

    def create_role(
        self,
        name: str,
        *,
        path: str,
        trust_policy: JsonMapping,
        tags: Mapping[str, str],
        permissions_boundary: str | None,
        description: str,
    ) -> str:
        kwargs: dict[str, object] = {
            "RoleName": name,
            "Path": path,
            "AssumeRolePolicyDocument": json.dumps(trust_policy),
            "Description": description,
            "Tags": tag_list(tags),
        }
        if permissions_boundary:
            kwargs["PermissionsBoundary"] = permissions_boundary
        created = aws_call(f"role {name}", "CreateRole", self._client.create_role, **kwargs)
        return str(created["Role"]["Arn"])

    def set_trust_policy(self, name: str, trust_policy: JsonMapping) -> None:
        aws_call(
            f"role {name}",
            "UpdateAssumeRolePolicy",
            self._client.update_assume_role_policy,
            RoleName=name,
            PolicyDocument=json.dumps(trust_policy),
        )

    def put_inline_policy(self, name: str, policy_name: str, document: JsonMapping) -> None:
        aws_call(
            f"role {name}",
            "PutRolePolicy",
            self._client.put_role_policy,
            RoleName=name,
            PolicyName=policy_name,
            PolicyDocument=json.dumps(document),
        )

    def delete_inline_policy(self, name: str, policy_name: str) -> None:
        call_or_none(
            f"role {name}", "DeleteRolePolicy", self._client.delete_role_policy, RoleName=name, PolicyName=policy_name
        )

    def attach_managed_policy(self, name: str, policy_arn: str) -> None:
        aws_call(
            f"role {name}", "AttachRolePolicy", self._client.attach_role_policy, RoleName=name, PolicyArn=policy_arn
        )

    def detach_managed_policy(self, name: str, policy_arn: str) -> None:
        call_or_none(
            f"role {name}", "DetachRolePolicy", self._client.detach_role_policy, RoleName=name, PolicyArn=policy_arn
        )

    def set_permissions_boundary(self, name: str, boundary: str | None) -> None:
        if boundary:
            aws_call(
                f"role {name}",
                "PutRolePermissionsBoundary",
                self._client.put_role_permissions_boundary,
                RoleName=name,
                PermissionsBoundary=boundary,
            )
        else:
            call_or_none(
                f"role {name}",
                "DeleteRolePermissionsBoundary",
                self._client.delete_role_permissions_boundary,
                RoleName=name,
            )

    def set_tags(self, name: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        if remove:
            aws_call(f"role {name}", "UntagRole", self._client.untag_role, RoleName=name, TagKeys=list(remove))
        if add:
            aws_call(
                f"role {name}",
                "TagRole",
                self._client.tag_role,
                RoleName=name,
                Tags=tag_list(add),
            )

    def delete_role(self, name: str) -> None:
        """Delete a role and what hangs on it (IAM refuses to delete a role with policies attached)."""
        live = self.get_role_or_none(name)
        if live is None:
            return
        for policy_name in live["InlinePolicies"]:
            self.delete_inline_policy(name, policy_name)
        for policy_arn in live["ManagedPolicies"]:
            self.detach_managed_policy(name, policy_arn)
        call_or_none(f"role {name}", "DeleteRole", self._client.delete_role, RoleName=name)
