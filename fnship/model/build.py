"""Manifest + built artifacts -> desired state (roles, log groups, functions, aliases) as pure data.

Pure: no AWS, no filesystem. The account id and the artifacts' hashes are passed in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from fnship.manifest.types import DEFAULT_ALIAS, FunctionSpec, IamSpec, Manifest
from fnship.model import iam, names
from fnship.model.resources import (
    KNOWN_AFTER_APPLY,
    OWNER_FUNCTION_TAG,
    Resource,
    State,
    ownership_tags,
)

# The attributes a published version freezes: when any of them differs from what the alias serves,
# a new version is published and the alias moves to it. Not `description`: a version carries its own
# (the release it belongs to) instead of the function's.
VERSIONED_ATTRS = (
    "runtime",
    "handler",
    "memory_size",
    "timeout",
    "architecture",
    "environment",
    "ephemeral_storage",
    "layers",
    "role",
    "code_sha256",
    "image_uri",
    "image_config",
)


def alias_name(manifest: Manifest, function: FunctionSpec) -> str:
    """The release pointer's name: `deployment.alias` / `deploymentSettings.alias` (function, then service),
    else `live`. (The same precedence as strategies.settings, which also validates it.)"""
    custom = manifest.custom if isinstance(manifest.custom, Mapping) else {}
    for section in (
        function.raw.get("deployment"),
        function.raw.get("deploymentSettings"),
        manifest.raw.get("deployment"),
        custom.get("deploymentSettings"),
    ):
        if isinstance(section, Mapping) and section.get("alias"):
            return str(section["alias"])
    return DEFAULT_ALIAS


def build_desired(
    manifest: Manifest,
    artifacts: Mapping[str, Any],
    *,
    account_id: str,
    only: Collection[str] = (),
    releases: Mapping[str, Any] | None = None,
    layers: Mapping[str, Any] | None = None,
    registry: str | None = None,
) -> State:
    """Every resource the manifest asks for (only those of the `only` functions, when given).

    `artifacts` maps function key -> packaging.Artifact; `releases` maps function key -> its
    strategies.settings.ReleaseSettings (carried on the alias for the planner and the shifter; without it the
    alias is named from the manifest and releases all at once); `layers` maps layer key -> the layer's Artifact;
    `registry` overrides the ECR registry host images are pushed to.
    """
    from fnship.model.artifacts import merge_artifacts

    releases = releases or {}
    resources: list[Resource] = []
    for key, function in manifest.functions.items():
        if only and key not in only:
            continue
        resources.extend(
            _function_resources(manifest, function, artifacts[key], account_id=account_id, release=releases.get(key))
        )
    resources = merge_artifacts(
        manifest, resources, artifacts, layers=layers or {}, account_id=account_id, registry=registry
    )
    return State(manifest.service, manifest.stage, manifest.region, tuple(resources))


def _function_resources(manifest: Manifest, function: FunctionSpec, artifact: Any, *, account_id: str, release: Any):
    owner = ownership_tags(manifest.service, manifest.stage)
    scoped_tags = {**owner, OWNER_FUNCTION_TAG: function.key}
    user_tags = dict(function.tags)
    region = manifest.region
    group_name = names.log_group_name(function.name)
    group_arn = names.log_group_arn(region=region, account_id=account_id, function_name=function.name)

    log_group = Resource(
        address=f"log_group.{function.key}",
        kind="log_group",
        name=group_name,
        attrs={"retention_days": function.log_retention_days, "tags": {**user_tags, **scoped_tags}},
    )

    iam_spec = merged_iam(manifest.provider.iam, function.iam)
    depends: list[str] = [log_group.address]
    if iam_spec.role_arn:
        role_arn = iam_spec.role_arn
        role_resources: list[Resource] = []
    else:
        path = names.role_path(service=manifest.service, stage=manifest.stage)
        name = names.role_name(service=manifest.service, stage=manifest.stage, function_key=function.key, region=region)
        role_arn = names.role_arn(account_id=account_id, path=path, name=name)
        statements = [iam.logs_statement(group_arn), *iam_spec.statements]
        role = Resource(
            address=f"role.{function.key}",
            kind="role",
            name=name,
            attrs={
                "path": path,
                "trust_policy": iam.policy_document(iam.LAMBDA_TRUST_POLICY["Statement"]),
                "inline_policy": iam.policy_document(statements),
                "managed_policies": sorted(iam_spec.managed_policies),
                "permissions_boundary": iam_spec.permissions_boundary,
                "tags": {**user_tags, **scoped_tags},
            },
        )
        role_resources = [role]
        depends.append(role.address)

    attrs = {
        "runtime": function.runtime,
        "handler": function.handler,
        "memory_size": function.memory_size,
        "timeout": function.timeout,
        "architecture": function.architecture,
        "description": function.description,
        "environment": dict(sorted(function.environment.items())),
        "ephemeral_storage": function.ephemeral_storage,
        "layers": list(function.layers),
        "role": role_arn,
        "code_sha256": artifact.code_sha256,
        "reserved_concurrency": function.reserved_concurrency,
        "tags": {**user_tags, **scoped_tags},
    }
    lambda_function = Resource(
        address=f"function.{function.key}",
        kind="function",
        name=function.name,
        attrs=attrs,
        depends_on=tuple(depends),
        extras={
            "artifact_path": str(artifact.path),
            "deployment_bucket": manifest.provider.deployment_bucket,
            "service": manifest.service,
            "stage": manifest.stage,
        },
    )
    alias = release.alias if release is not None else alias_name(manifest, function)
    provisioned = release.provisioned_concurrency if release is not None else None
    version_functions = manifest.provider.version_functions
    alias_resource = Resource(
        address=f"alias.{function.key}.{alias}",
        kind="alias",
        name=alias,
        attrs={
            **({"release": release_of(attrs)} if version_functions else {"version": "$LATEST"}),
            # only when set, so a service without it plans exactly as before
            **({"provisioned_concurrency": provisioned} if provisioned else {}),
        },
        depends_on=(lambda_function.address,),
        extras={
            "function_name": function.name,
            "function_key": function.key,
            "version": KNOWN_AFTER_APPLY,
            "publish": version_functions,
            "release_settings": release,
            "tags": scoped_tags,
        },
    )
    return [log_group, *role_resources, lambda_function, alias_resource]


def merged_iam(provider: IamSpec, function: IamSpec) -> IamSpec:
    """A function's role: the provider's statements and policies plus its own; its own role ARN or boundary wins."""
    return IamSpec(
        statements=(*provider.statements, *function.statements),
        managed_policies=tuple(dict.fromkeys((*provider.managed_policies, *function.managed_policies))),
        permissions_boundary=function.permissions_boundary or provider.permissions_boundary,
        role_arn=function.role_arn or provider.role_arn,
        mode=provider.mode,
    )


def release_of(function_attrs: Mapping[str, Any]) -> dict[str, Any]:
    """What a published version freezes, from a function's attrs (desired or live)."""
    return {key: function_attrs.get(key) for key in VERSIONED_ATTRS}
