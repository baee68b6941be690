"""Manifest + built artifacts -> desired state (roles, log groups, functions, aliases, triggers) as pure data.

Pure: no AWS, no filesystem. The account id and the artifacts' hashes are passed in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from fnship.arns import partition as arn_partition
from fnship.jsonvalue import JsonMapping
from fnship.kinds import alias as alias_kind
from fnship.kinds.alias import Alias
from fnship.kinds.capacity_provider import CapacityProvider, FunctionScaling, Policy
from fnship.kinds.function import (
    DEFAULT_RECURSIVE_LOOP,
    DEFAULT_RUNTIME_UPDATE,
    SNAPSTART_ON,
    Durable,
    LambdaFunction,
    Logging,
    ManagedInstances,
    RuntimeUpdate,
    Vpc,
    settings_tag,
)
from fnship.kinds.invoke_config import ASYNC_DEFAULT_EVENT_AGE_S, ASYNC_DEFAULT_RETRIES, EventInvokeConfig
from fnship.kinds.log_group import LogGroup
from fnship.kinds.role import ReferencedStatement, Role
from fnship.manifest.release import ReleaseSettings
from fnship.manifest.types import DEFAULT_ALIAS, EventSpec, FunctionSpec, IamSpec, Manifest
from fnship.model import iam, names
from fnship.model.address import Address
from fnship.model.resources import (
    OWNER_FUNCTION_TAG,
    ROLE_PURPOSE_TAG,
    PlanValue,
    Ref,
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
    "durable",
    "capacity_provider",
)
# Frozen by a version too, but named in a release only when set: releases recorded before SnapStart existed stay equal.
SNAPSHOT_ATTR = alias_kind.SNAPSHOT_ATTR


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
    resources: list[Resource] = _capacity_providers(manifest, account_id=account_id)
    shared_role = _shared_role(manifest, account_id=account_id)
    if shared_role is not None:
        resources.append(shared_role)
    targets: list[tuple[Target, tuple[EventSpec, ...]]] = []
    log_groups_made: dict[str, str] = {}  # log group name -> the address of the one resource making it
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
                log_groups_made=log_groups_made,
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
            every_function={
                key: trigger_target(manifest, f, account_id=account_id) for key, f in manifest.functions.items()
            },
            rest_api=manifest.provider.rest_api,
            permissions_boundary=manifest.provider.iam.permissions_boundary,
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
    statements = iam.trigger_statements(
        function.events, function.settings, destination_arn=destination_resolver(manifest, account_id=account_id)
    )
    if function.durable is not None:
        arn = names.function_arn(region=manifest.region, account_id=account_id, function_name=function.name)
        statements.append(iam.durable_statement(arn))
    return statements


def _capacity_providers(manifest: Manifest, *, account_id: str) -> list[Resource]:
    """`provider.capacityProviders` (Lambda Managed Instances), each with the operator role fnship makes for it
    unless it names one: trusted by Lambda, allowed to run instances in the provider's subnets and security
    groups only."""
    resources = []
    owner = ownership_tags(manifest.service, manifest.stage)
    region = manifest.region
    path = names.role_path(service=manifest.service, stage=manifest.stage)
    for key, provider in manifest.capacity_providers.items():
        role_arn = provider.operator_role_arn
        if role_arn is None:
            role_name = names.operator_role_name(service=manifest.service, stage=manifest.stage, key=key, region=region)
            role_arn = names.role_arn(account_id=account_id, path=path, name=role_name, region=region)
            ec2 = f"arn:{arn_partition(region)}:ec2:{region}:{account_id}"
            statements = iam.operator_statements(
                subnet_arns=[f"{ec2}:subnet/{subnet}" for subnet in provider.subnet_ids],
                security_group_arns=[f"{ec2}:security-group/{group}" for group in provider.security_group_ids],
            )
            resources.append(
                Resource.of(
                    Address.operator_role(key),
                    role_name,
                    Role(
                        path=path,
                        trust_policy=iam.policy_document([iam.LAMBDA_TRUST_STATEMENT]),
                        inline_policy=iam.policy_document(statements),
                        managed_policies=(),
                        permissions_boundary=manifest.provider.iam.permissions_boundary,
                        tags={**manifest.provider.tags, **owner, OWNER_FUNCTION_TAG: key, ROLE_PURPOSE_TAG: "operator"},
                    ),
                )
            )
        spec = CapacityProvider(
            subnet_ids=provider.subnet_ids,
            security_group_ids=provider.security_group_ids,
            operator_role=role_arn,
            architecture=provider.architecture,
            allowed_instance_types=provider.allowed_instance_types,
            excluded_instance_types=provider.excluded_instance_types,
            scaling_mode=provider.scaling_mode,
            max_vcpu=provider.max_vcpu,
            policies=tuple(Policy(metric=p.metric, target=p.target) for p in provider.policies),
            kms_key_arn=provider.kms_key_arn,
            tags={**manifest.provider.tags, **owner},
        )
        depends = () if provider.operator_role_arn else (Address.operator_role(key),)
        name = names.capacity_provider_name(service=manifest.service, stage=manifest.stage, key=key)
        resources.append(Resource.of(Address.capacity_provider(key), name, spec, depends_on=depends))
    return resources


def _managed_instances(
    manifest: Manifest, function: FunctionSpec, *, account_id: str
) -> tuple[ManagedInstances | None, tuple[str, ...]]:
    """A function's CapacityProviderConfig, and what it depends on (the provider this service creates, whose ARN
    its name decides)."""
    capacity = function.capacity
    if capacity is None:
        return None, ()
    if capacity.provider.startswith("arn:"):
        provider = capacity.provider
        depends: tuple[str, ...] = ()
    else:
        name = names.capacity_provider_name(service=manifest.service, stage=manifest.stage, key=capacity.provider)
        provider = names.capacity_provider_arn(region=manifest.region, account_id=account_id, name=name)
        depends = (Address.capacity_provider(capacity.provider),)
    managed = ManagedInstances(
        capacity_provider=provider,
        memory_per_vcpu=capacity.memory_per_vcpu,
        max_concurrency=capacity.max_concurrency,
    )
    return managed, depends


def _referenced_statements(
    manifest: Manifest, functions: Iterable[FunctionSpec], *, account_id: str
) -> tuple[ReferencedStatement, ...]:
    """What the role needs on resources this deploy makes (each trigger type's `role_statements`), once each."""
    from fnship.triggers import TRIGGERS

    found: dict[ReferencedStatement, None] = {}
    for function in functions:
        target = trigger_target(manifest, function, account_id=account_id)
        for event in function.events:
            make = TRIGGERS[event.type].role_statements if event.type in TRIGGERS else None
            for statement in make(event, target) if make is not None else ():
                found.setdefault(statement, None)
    return tuple(found)


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
        *dict.fromkeys(
            names.log_group_arn(region=region, account_id=account_id, function_name=f.name,
                                group=names.function_log_group(f))
            for f in users
        )
    )  # fmt: skip
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
            referenced=_referenced_statements(manifest, users, account_id=account_id),
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
    log_groups_made: dict[str, str],
) -> list[Resource]:
    owner = ownership_tags(manifest.service, manifest.stage)
    scoped_tags = {**owner, OWNER_FUNCTION_TAG: function.key}
    user_tags = dict(function.tags)
    region = manifest.region
    group_name = names.function_log_group(function)
    group_arn = names.log_group_arn(region=region, account_id=account_id, function_name=function.name, group=group_name)
    logging = function.lambda_settings.logging
    group_class = (logging.log_group_class if logging is not None else None) or "STANDARD"
    # A custom log group several functions share (provider.logs.lambda.logGroup) is made once, by the first of them.
    shared_group = log_groups_made.get(group_name)
    log_group = Resource.of(
        shared_group or Address.log_group(function.key),
        group_name,
        LogGroup(
            retention_days=function.log_retention_days, tags={**user_tags, **scoped_tags}, log_group_class=group_class
        ),
    )
    log_groups_made.setdefault(group_name, log_group.address)

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
                referenced=_referenced_statements(manifest, [function], account_id=account_id),
                managed_policies=tuple(sorted(iam_spec.managed_policies)),
                permissions_boundary=iam_spec.permissions_boundary,
                tags={**user_tags, **scoped_tags},
            ),
        )
        role_resources = [role]
        depends.append(role.address)

    settings = function.settings
    platform = function.lambda_settings
    management = platform.runtime_management
    managed, on_provider = _managed_instances(manifest, function, account_id=account_id)
    depends.extend(on_provider)
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
        snap_start=SNAPSTART_ON if platform.snap_start else None,
        logging=_logging(function, group_name),
        tenancy=platform.tenancy,
        recursive_loop=None if platform.recursive_loop in (None, DEFAULT_RECURSIVE_LOOP) else platform.recursive_loop,
        runtime_update=RuntimeUpdate(management.mode, management.runtime_version_arn)
        if management is not None and management.mode != DEFAULT_RUNTIME_UPDATE
        else None,
        durable_execution=True if function.durable is not None else None,
        durable=Durable(
            execution_timeout=function.durable.execution_timeout,
            retention_days=function.durable.retention_days,
            kms_key_arn=function.durable.kms_key_arn,
        )
        if function.durable is not None
        else None,
        managed_instances=True if managed is not None else None,
        capacity_provider=managed,
        artifact_path=str(artifact.path),
        service=manifest.service,
        stage=manifest.stage,
    )
    spec = replace(spec, tags={**spec.tags, **settings_tag(spec)})
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
    resources = [*([] if shared_group else [log_group]), *role_resources, lambda_function, alias_resource]
    capacity = function.capacity
    if capacity is not None and (capacity.min_environments, capacity.max_environments) != (None, None):
        # Set on the version the alias serves, once it is published (PutFunctionScalingConfig takes a version).
        scaling = FunctionScaling(
            version=Ref(alias_resource.address, "version"),
            min_environments=capacity.min_environments,
            max_environments=capacity.max_environments,
        )
        resources.append(
            Resource.of(
                Address.function_scaling(function.key),
                function.name,
                scaling,
                depends_on=(alias_resource.address,),
                scope=alias_resource.scope,
            )
        )
    invoke_config = _invoke_config(manifest, function, alias, account_id=account_id)
    if invoke_config is not None:
        resources.append(invoke_config)
    return resources


def _logging(function: FunctionSpec, group_name: str) -> Logging | None:
    """The function's LoggingConfig as the spec holds it (None: Lambda's default, Text to /aws/lambda/<name>)."""
    from fnship.kinds.function import logging_of

    settings = function.lambda_settings.logging
    if settings is None:
        return None
    config = {
        "LogFormat": settings.log_format,
        "LogGroup": group_name,
        "ApplicationLogLevel": settings.application_log_level,
        "SystemLogLevel": settings.system_log_level,
    }
    return logging_of(config, function.name)


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
    release = {key: compared.get(key) for key in VERSIONED_ATTRS}
    if function.snap_start:
        release[SNAPSHOT_ATTR] = function.snap_start
    return release
