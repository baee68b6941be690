"""Manifest + built artifacts -> desired state (roles, log groups, functions, aliases, triggers) as pure data.

Pure: no AWS, no filesystem. The account id and the artifacts' hashes are passed in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from fnship.jsonvalue import JsonMapping
from fnship.kinds.alias import Alias
from fnship.kinds.function import LambdaFunction, Vpc
from fnship.kinds.invoke_config import ASYNC_DEFAULT_EVENT_AGE_S, ASYNC_DEFAULT_RETRIES, EventInvokeConfig
from fnship.kinds.log_group import LogGroup
from fnship.kinds.role import Role
from fnship.manifest.release import ReleaseSettings
from fnship.manifest.types import DEFAULT_ALIAS, EventSpec, FunctionSpec, IamSpec, Manifest
from fnship.model import iam, names
from fnship.model.address import Address
from fnship.model.resources import (
    OWNER_FUNCTION_TAG,
    PlanValue,
    Resource,
    State,
    ownership_tags,
    secret_env_tag,
)
from fnship.model.stack import with_stack
from fnship.model.triggers.common import Target
from fnship.triggers import render_triggers

if TYPE_CHECKING:
    from fnship.packaging.artifacts import Artifact

SHARED_ROLE_KEY = "shared"  # `provider.iam.role.mode: shared`: one role, addressed role.shared
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
    "vpc",
    "tracing",
    "dead_letter_arn",
    "kms_key_arn",
    "image_uri",
    "image_config",
)


def alias_name(manifest: Manifest, function: FunctionSpec) -> str:
    """The release pointer's name, as the manifest stage parsed it (manifest/release.py): `live` unless set."""
    release = manifest.releases.get(function.key)
    return str(release.alias) if release is not None else DEFAULT_ALIAS


def build_desired(
    manifest: Manifest,
    artifacts: Mapping[str, Artifact],
    *,
    account_id: str,
    only: Collection[str] = (),
    releases: Mapping[str, ReleaseSettings] | None = None,
    layers: Mapping[str, Artifact] | None = None,
    registry: str | None = None,
) -> State:
    """Every resource the manifest asks for (only those of the `only` functions, when given).

    `artifacts` maps function key -> packaging.Artifact; `releases` maps function key -> its
    manifest.release.ReleaseSettings (carried on the alias for the planner and the shifter; without it the
    alias is named from the manifest and releases all at once); `layers` maps layer key -> the layer's Artifact;
    `registry` overrides the ECR registry host images are pushed to.
    """
    from fnship.model.artifacts import merge_artifacts

    releases = releases if releases is not None else manifest.releases
    resources: list[Resource] = []
    shared_role = _shared_role(manifest, account_id=account_id)
    if shared_role is not None:
        resources.append(shared_role)
    targets: list[tuple[Target, tuple[EventSpec, ...]]] = []
    for key, function in manifest.functions.items():
        if only and key not in only:
            continue
        resources.extend(
            _function_resources(
                manifest,
                function,
                artifacts[key],
                account_id=account_id,
                shared_role=shared_role,
                release=releases.get(key),
            )
        )
        targets.append((trigger_target(manifest, function, account_id=account_id), function.events))
    shared_tags = {**manifest.provider.tags, **ownership_tags(manifest.service, manifest.stage)}
    resources.extend(
        render_triggers(
            targets,
            service=manifest.service,
            stage=manifest.stage,
            http_api=manifest.provider.http_api,
            tags=shared_tags,
        )
    )
    resources = merge_artifacts(
        manifest, resources, artifacts, layers=layers or {}, account_id=account_id, registry=registry
    )
    resources = with_stack(manifest, resources, account_id=account_id)
    return State(manifest.service, manifest.stage, manifest.region, tuple(resources))


def trigger_target(manifest: Manifest, function: FunctionSpec, *, account_id: str) -> Target:
    return Target(
        service=manifest.service,
        stage=manifest.stage,
        region=manifest.region,
        account_id=account_id,
        function_key=function.key,
        function_name=function.name,
        alias=alias_name(manifest, function),
        timeout=function.timeout,
        tags={
            **function.tags,
            **ownership_tags(manifest.service, manifest.stage),
            OWNER_FUNCTION_TAG: function.key,
        },
    )


def destination_resolver(manifest: Manifest, *, account_id: str):
    """`function:<key>` (a destination naming a function of this service) -> that function's alias ARN."""

    def resolve(target: str) -> str:
        if not target.startswith("function:"):
            return target
        function = manifest.functions[target.split(":", 1)[1]]
        return trigger_target(manifest, function, account_id=account_id).alias_arn

    return resolve


def _execution_statements(manifest: Manifest, function: FunctionSpec, *, account_id: str) -> list[iam.Policy]:
    return iam.trigger_statements(
        function.events, function.settings, destination_arn=destination_resolver(manifest, account_id=account_id)
    )


def _shared_role(manifest: Manifest, *, account_id: str) -> Resource | None:
    """`provider.iam.role.mode: shared`: one execution role for every function that names no role of its own,
    with the union of what each of them needs."""
    provider_iam = manifest.provider.iam
    if provider_iam.mode != "shared" or provider_iam.role_arn:
        return None
    users = [f for f in manifest.functions.values() if not f.iam.role_arn]
    if not users:
        return None
    region = manifest.region
    logs = iam.logs_statement(
        *(names.log_group_arn(region=region, account_id=account_id, function_name=f.name) for f in users)
    )
    grants = [s for f in users for s in _execution_statements(manifest, f, account_id=account_id)]
    own = [s for f in users for s in f.iam.statements]
    statements: list[JsonMapping] = []
    for statement in [logs, *grants, *provider_iam.statements, *own]:
        if iam.normalize_statement(statement) not in [iam.normalize_statement(s) for s in statements]:
            statements.append(statement)
    managed = tuple(
        dict.fromkeys((*provider_iam.managed_policies, *(p for f in users for p in f.iam.managed_policies)))
    )
    owner = ownership_tags(manifest.service, manifest.stage)
    return Resource.of(
        Address.role(SHARED_ROLE_KEY),
        names.shared_role_name(service=manifest.service, stage=manifest.stage, region=region),
        Role(
            path=names.role_path(service=manifest.service, stage=manifest.stage),
            trust_policy=iam.policy_document([iam.LAMBDA_TRUST_STATEMENT]),
            inline_policy=iam.policy_document(statements),
            managed_policies=tuple(sorted(managed)),
            permissions_boundary=provider_iam.permissions_boundary,
            tags={**manifest.provider.tags, **owner, OWNER_FUNCTION_TAG: SHARED_ROLE_KEY},
        ),
    )


def _function_resources(
    manifest: Manifest,
    function: FunctionSpec,
    artifact: Artifact,
    *,
    account_id: str,
    shared_role: Resource | None,
    release: ReleaseSettings | None,
) -> list[Resource]:
    owner = ownership_tags(manifest.service, manifest.stage)
    scoped_tags = {**owner, OWNER_FUNCTION_TAG: function.key}
    user_tags = dict(function.tags)
    region = manifest.region
    group_name = names.log_group_name(function.name)
    group_arn = names.log_group_arn(region=region, account_id=account_id, function_name=function.name)

    log_group = Resource.of(
        Address.log_group(function.key),
        group_name,
        LogGroup(retention_days=function.log_retention_days, tags={**user_tags, **scoped_tags}),
    )

    iam_spec = merged_iam(manifest.provider.iam, function.iam)
    depends: list[str] = [log_group.address]
    if iam_spec.role_arn:
        role_arn = iam_spec.role_arn
        role_resources: list[Resource] = []
    elif shared_role is not None:
        role_arn = names.role_arn(
            account_id=account_id, path=shared_role.spec_as(Role).path, name=shared_role.name, region=region
        )
        role_resources = []
        depends.append(shared_role.address)
    else:
        path = names.role_path(service=manifest.service, stage=manifest.stage)
        name = names.role_name(service=manifest.service, stage=manifest.stage, function_key=function.key, region=region)
        role_arn = names.role_arn(account_id=account_id, path=path, name=name, region=region)
        statements = [
            iam.logs_statement(group_arn),
            *_execution_statements(manifest, function, account_id=account_id),
            *iam_spec.statements,
        ]
        role = Resource.of(
            Address.role(function.key),
            name,
            Role(
                path=path,
                trust_policy=iam.policy_document([iam.LAMBDA_TRUST_STATEMENT]),
                inline_policy=iam.policy_document(statements),
                managed_policies=tuple(sorted(iam_spec.managed_policies)),
                permissions_boundary=iam_spec.permissions_boundary,
                tags={**user_tags, **scoped_tags},
            ),
        )
        role_resources = [role]
        depends.append(role.address)

    settings = function.settings
    spec = LambdaFunction(
        runtime=function.runtime,
        handler=function.handler,
        memory_size=function.memory_size,
        timeout=function.timeout,
        architecture=function.architecture,
        description=function.description,
        environment=dict(sorted(function.environment.items())),
        ephemeral_storage=function.ephemeral_storage,
        layers=tuple(function.layers),
        role=role_arn,
        code_sha256=artifact.code_sha256,
        reserved_concurrency=function.reserved_concurrency,
        tags={**user_tags, **scoped_tags, **secret_env_tag(function.environment)},
        # VPC, tracing, dead-letter queue and KMS key, with AWS's defaults (no VPC, PassThrough tracing).
        vpc=Vpc(tuple(settings.subnet_ids), tuple(settings.security_group_ids)) if settings.vpc else None,
        tracing=settings.tracing or "PassThrough",
        dead_letter_arn=settings.dead_letter_arn,
        kms_key_arn=settings.kms_key_arn,
        artifact_path=str(artifact.path),
        service=manifest.service,
        stage=manifest.stage,
    )
    lambda_function = Resource.of(Address.function(function.key), function.name, spec, depends_on=depends)
    alias = release.alias if release is not None else alias_name(manifest, function)
    provisioned = release.provisioned_concurrency if release is not None else None
    version_functions = manifest.provider.version_functions
    alias_spec = Alias(
        release=release_of(spec) if version_functions else None,  # None: it serves $LATEST
        provisioned_concurrency=provisioned or None,
        publish=version_functions,
        release_settings=release,
        tags=scoped_tags,
    )
    target = replace(trigger_target(manifest, function, account_id=account_id), alias=alias)
    alias_resource = Resource.of(
        Address.alias(function.key, alias),
        alias,
        alias_spec,
        depends_on=(lambda_function.address,),
        scope=target.scope(),
    )
    resources = [log_group, *role_resources, lambda_function, alias_resource]
    invoke_config = _invoke_config(manifest, function, alias, account_id=account_id)
    if invoke_config is not None:
        resources.append(invoke_config)
    return resources


def _invoke_config(manifest: Manifest, function: FunctionSpec, alias: str, *, account_id: str) -> Resource | None:
    """Asynchronous invocation settings on the alias: retries, maximum event age, destinations."""
    settings = function.settings
    if not settings.async_config:
        return None
    resolve = destination_resolver(manifest, account_id=account_id)
    spec = EventInvokeConfig(
        maximum_retry_attempts=ASYNC_DEFAULT_RETRIES
        if settings.maximum_retry_attempts is None
        else settings.maximum_retry_attempts,
        maximum_event_age=settings.maximum_event_age or ASYNC_DEFAULT_EVENT_AGE_S,
        on_success=resolve(settings.on_success) if settings.on_success else None,
        on_failure=resolve(settings.on_failure) if settings.on_failure else None,
    )
    scope = trigger_target(manifest, function, account_id=account_id).scope()
    return Resource.of(
        Address.invoke_config(function.key), alias, spec, depends_on=(Address.alias(function.key, alias),), scope=scope
    )


def merged_iam(provider: IamSpec, function: IamSpec) -> IamSpec:
    """A function's role: the provider's statements and policies plus its own; its own role ARN or boundary wins."""
    return IamSpec(
        statements=(*provider.statements, *function.statements),
        managed_policies=tuple(dict.fromkeys((*provider.managed_policies, *function.managed_policies))),
        permissions_boundary=function.permissions_boundary or provider.permissions_boundary,
        role_arn=function.role_arn or provider.role_arn,
        mode=provider.mode,
    )


def release_of(function: LambdaFunction) -> dict[str, PlanValue]:
    """What a published version freezes, from a function (desired or live)."""
    compared = function.compared()
    return {key: compared.get(key) for key in VERSIONED_ATTRS}
