"""A function's durable execution (`durableConfig`) and Lambda Managed Instances (`provider.capacityProviders`, a
function's `capacityProvider`), validated against the Lambda API's ranges and combinations. Pure.

Durable functions: https://docs.aws.amazon.com/lambda/latest/dg/durable-configuration.html
Managed Instances (Serverless v4's key names): https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fnship.frozen import frozen
from fnship.manifest.checks import Checker, show
from fnship.manifest.types import KeyPath, Value

DURABLE_KEYS = frozenset({"executionTimeout", "retentionPeriodInDays", "kmsKeyArn"})
# https://docs.aws.amazon.com/lambda/latest/api/API_DurableConfig.html
EXECUTION_TIMEOUT_S = (1, 31_622_400)  # a 366-day year
RETENTION_DAYS = (1, 90)
DEFAULT_RETENTION_DAYS = 14  # what Lambda keeps when the setting is left out
# The managed runtimes durable execution supports (container images bring their own SDK, any runtime):
# https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html
DURABLE_RUNTIMES = (
    "nodejs22.x",
    "nodejs24.x",
    "python3.13",
    "python3.14",
    "java17",
    "java21",
    "java25",
    "dotnet8",
    "dotnet10",
)
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+$")
DURABLE_DOCS = "https://docs.aws.amazon.com/lambda/latest/dg/durable-functions.html"


@frozen
class DurableSpec:
    """`durableConfig`: how long one durable execution may run, how long its history is kept, its KMS key."""

    execution_timeout: int
    retention_days: int = DEFAULT_RETENTION_DAYS
    kms_key_arn: str | None = None


def parse_durable(
    raw: Mapping[str, Value], path: KeyPath, check: Checker, *, runtime: str, image: bool, versioned: bool = True
) -> DurableSpec | None:
    """A function's `durableConfig`, or None when it has none. Its runtime must be one durable execution supports
    (an image function's is its own), and its versions published: Lambda runs durable executions on a version,
    never on an unqualified ARN, so every trigger and invoke goes through the alias."""
    value = raw.get("durableConfig")
    if value is None or value is False:
        return None
    where = (*path, "durableConfig")
    found = check.want_mapping(value, where, what="a mapping (executionTimeout, retentionPeriodInDays, kmsKeyArn)")
    if found is None:
        return None
    check.keys(found, where, DURABLE_KEYS)
    if not versioned:
        check.error(
            where,
            "a durable function needs published versions (Lambda refuses unqualified invokes of it), and "
            "provider.versionFunctions is false",
            "remove versionFunctions: false, so its alias serves a published version",
            at_key=True,
        )
    if not image and runtime not in DURABLE_RUNTIMES:
        runtime_path = (*path, "runtime") if raw.get("runtime") is not None else ("provider", "runtime")
        check.error(
            runtime_path if raw.get("runtime") is not None else where,
            f"runtime {runtime} does not support durable execution; it runs on {', '.join(DURABLE_RUNTIMES)} "
            "(or a container image)",
            "https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html",
        )
    if found.get("executionTimeout") is None:
        check.error(where, "executionTimeout is required (seconds a durable execution may run)", DURABLE_DOCS,
                    at_key=True)  # fmt: skip
        return None
    low, high = EXECUTION_TIMEOUT_S
    timeout = check.want_int(found["executionTimeout"], (*where, "executionTimeout"), minimum=low, maximum=high,
                             unit="seconds", limit="AWS")  # fmt: skip
    retention = DEFAULT_RETENTION_DAYS
    if found.get("retentionPeriodInDays") is not None:
        low, high = RETENTION_DAYS
        retention = check.want_int(found["retentionPeriodInDays"], (*where, "retentionPeriodInDays"), minimum=low,
                                   maximum=high, unit="days", limit="AWS") or DEFAULT_RETENTION_DAYS  # fmt: skip
    key = None
    if found.get("kmsKeyArn") is not None:
        key = check.want_str(found["kmsKeyArn"], (*where, "kmsKeyArn"))
        if key is not None and not KMS_KEY_ARN.match(key):
            check.error(
                (*where, "kmsKeyArn"), f"{show(key)} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/...)"
            )
            key = None
    if timeout is None:
        return None
    return DurableSpec(execution_timeout=timeout, retention_days=retention, kms_key_arn=key)


# -- Lambda Managed Instances -----------------------------------------------------------------------------------------
# Serverless v4's keys: https://www.serverless.com/framework/docs/providers/aws/guide/managed-instances
# The API's ranges: https://docs.aws.amazon.com/lambda/latest/api/API_CreateCapacityProvider.html,
# API_LambdaManagedInstancesCapacityProviderConfig.html, API_FunctionScalingConfig.html
PROVIDER_KEYS = frozenset({"permissions", "vpc", "instanceRequirements", "scaling", "kmsKeyArn"})
INSTANCE_KEYS = frozenset({"allowedInstanceTypes", "excludedInstanceTypes", "architectures"})
PROVIDER_SCALING_KEYS = frozenset({"mode", "maxVCpuCount", "policies"})
POLICY_KEYS = frozenset({"predefinedMetricType", "targetValue"})
FUNCTION_CAPACITY_KEYS = frozenset({"name", "maxConcurrency", "memoryPerVCpu", "scaling"})
CAPACITY_PROVIDER_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
CAPACITY_PROVIDER_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:capacity-provider:[a-zA-Z0-9_-]+$")
MAX_VCPU = (2, 15_000)
MAX_POLICIES = 10
# The one metric a capacity provider's target tracking takes:
# https://docs.aws.amazon.com/lambda/latest/api/API_TargetTrackingScalingPolicy.html
METRICS = ("LambdaCapacityProviderAverageCPUUtilization",)
MAX_CONCURRENCY = (1, 1600)
MEMORY_PER_VCPU = (2, 4, 8)  # GiB per vCPU
ENVIRONMENTS = (0, 15_000)
MIN_MEMORY_MB = 2048  # a function on managed instances has at least 2 GB
# What Lambda gives a function that leaves them out (Serverless v4's guide): 2 GiB per vCPU, and per execution
# environment 64 concurrent requests for Node.js, 32 for Java and .NET, 16 for Python.
DEFAULT_MEMORY_PER_VCPU = 2.0
DEFAULT_CONCURRENCY = {"nodejs": 64, "java": 32, "dotnet": 32, "python": 16}
MANAGED_DOCS = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances.html"


@frozen
class ScalingPolicy:
    metric: str
    target: float


@frozen
class CapacityProviderSpec:
    """`provider.capacityProviders.<key>`: where Lambda runs the functions that name it."""

    key: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    operator_role_arn: str | None  # None: fnship makes the operator role
    architecture: str
    allowed_instance_types: tuple[str, ...] = ()
    excluded_instance_types: tuple[str, ...] = ()
    scaling_mode: str = "Auto"  # Auto | Manual
    max_vcpu: int | None = None
    policies: tuple[ScalingPolicy, ...] = ()
    kms_key_arn: str | None = None


@frozen
class FunctionCapacity:
    """A function's `capacityProvider`: which provider (a key of provider.capacityProviders, or an ARN), memory per
    vCPU, concurrent requests per execution environment, and the execution environments kept (`scaling`)."""

    provider: str  # a key of provider.capacityProviders, or an ARN
    memory_per_vcpu: float
    max_concurrency: int
    min_environments: int | None = None
    max_environments: int | None = None


def _vpc(value: Value, where: KeyPath, check: Checker) -> tuple[tuple[str, ...], tuple[str, ...]]:
    found = check.want_mapping(value, where, what="a mapping (subnetIds, securityGroupIds)")
    if found is None:
        return (), ()
    check.keys(found, where, {"subnetIds", "securityGroupIds"})
    subnets = tuple(sorted(check.want_str_list(found.get("subnetIds"), (*where, "subnetIds")) or [])) \
        if found.get("subnetIds") is not None else ()  # fmt: skip
    groups = tuple(sorted(check.want_str_list(found.get("securityGroupIds"), (*where, "securityGroupIds")) or [])) \
        if found.get("securityGroupIds") is not None else ()  # fmt: skip
    if not 1 <= len(subnets) <= 16 or len(groups) > 5:
        check.error(
            where, "a capacity provider's VPC takes 1-16 subnetIds and at most 5 securityGroupIds", MANAGED_DOCS
        )
    return subnets, groups


def parse_capacity_providers(
    provider: Mapping[str, Value], check: Checker, *, architecture: str
) -> dict[str, CapacityProviderSpec]:
    """`provider.capacityProviders`, each with its VPC (its own or provider.vpc), operator role, instance
    requirements, scaling and KMS key."""
    value = provider.get("capacityProviders")
    if value is None:
        return {}
    path: KeyPath = ("provider", "capacityProviders")
    raw = check.want_mapping(value, path, what="a mapping of capacity provider names to their settings")
    if raw is None:
        return {}
    out = {}
    for key, settings in raw.items():
        where = (*path, key)
        if not CAPACITY_PROVIDER_NAME.match(key):
            check.error(
                where, f"{show(key)} is not a capacity provider name: letters, digits, '-' and '_'", at_key=True
            )
            continue
        found = check.want_mapping(
            settings if settings is not None else {}, where, what="a mapping (vpc, scaling, ...)"
        )
        if found is None:
            continue
        check.keys(found, where, PROVIDER_KEYS)
        if found.get("vpc") is not None:
            subnets, groups = _vpc(found["vpc"], (*where, "vpc"), check)
        elif provider.get("vpc") is not None:
            subnets, groups = _vpc(provider["vpc"], ("provider", "vpc"), check)
        else:
            check.error(where, "a capacity provider needs a VPC: give its vpc (subnetIds, securityGroupIds) or "
                        "provider.vpc", MANAGED_DOCS, at_key=True)  # fmt: skip
            continue
        role = None
        if found.get("permissions") is not None:
            permissions = check.want_mapping(found["permissions"], (*where, "permissions")) or {}
            check.keys(permissions, (*where, "permissions"), {"operatorRole"})
            if permissions.get("operatorRole") is not None:
                role = check.want_str(permissions["operatorRole"], (*where, "permissions", "operatorRole"))
                if role is not None and not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", role):
                    check.error((*where, "permissions", "operatorRole"), f"{show(role)} is not an IAM role ARN")
                    role = None
        arch = architecture
        allowed: tuple[str, ...] = ()
        excluded: tuple[str, ...] = ()
        if found.get("instanceRequirements") is not None:
            req_path = (*where, "instanceRequirements")
            req = check.want_mapping(found["instanceRequirements"], req_path) or {}
            check.keys(req, req_path, INSTANCE_KEYS)
            if req.get("architectures") is not None:
                arches = check.want_str_list(req["architectures"], (*req_path, "architectures"), single_ok=True) or []
                if len(arches) != 1 or arches[0] not in ("x86_64", "arm64"):
                    check.error((*req_path, "architectures"), "give one architecture: x86_64 or arm64")
                else:
                    arch = arches[0]
            allowed = tuple(check.want_str_list(req.get("allowedInstanceTypes"), (*req_path, "allowedInstanceTypes"))
                            or ()) if req.get("allowedInstanceTypes") is not None else ()  # fmt: skip
            excluded = tuple(check.want_str_list(req.get("excludedInstanceTypes"), (*req_path, "excludedInstanceTypes"))
                             or ()) if req.get("excludedInstanceTypes") is not None else ()  # fmt: skip
            if allowed and excluded:
                check.error((*req_path, "excludedInstanceTypes"), "give allowedInstanceTypes or excludedInstanceTypes, "
                            "not both", at_key=True)  # fmt: skip
        mode, max_vcpu = "Auto", None
        policies: tuple[ScalingPolicy, ...] = ()
        if found.get("scaling") is not None:
            scaling_path = (*where, "scaling")
            scaling = check.want_mapping(found["scaling"], scaling_path) or {}
            check.keys(scaling, scaling_path, PROVIDER_SCALING_KEYS)
            if scaling.get("mode") is not None:
                written = check.want_choice(str(scaling["mode"]).lower(), (*scaling_path, "mode"), ("auto", "manual"),
                                            what="a scaling mode")  # fmt: skip
                mode = "Manual" if written == "manual" else "Auto"
            if scaling.get("maxVCpuCount") is not None:
                low, high = MAX_VCPU
                max_vcpu = check.want_int(scaling["maxVCpuCount"], (*scaling_path, "maxVCpuCount"), minimum=low,
                                          maximum=high, unit="vCPUs", limit="AWS")  # fmt: skip
            policies = _policies(scaling, scaling_path, check)
            if policies and mode != "Manual":
                check.error((*scaling_path, "policies"), "scaling policies are for mode: manual (auto scales by "
                            "itself)", MANAGED_DOCS, at_key=True)  # fmt: skip
            if mode == "Manual" and not policies:
                check.error(scaling_path, "mode: manual needs policies (predefinedMetricType, targetValue)",
                            MANAGED_DOCS, at_key=True)  # fmt: skip
        key_arn = None
        if found.get("kmsKeyArn") is not None:
            key_arn = check.want_str(found["kmsKeyArn"], (*where, "kmsKeyArn"))
            if key_arn is not None and not KMS_KEY_ARN.match(key_arn):
                check.error((*where, "kmsKeyArn"), f"{show(key_arn)} is not a KMS key ARN")
                key_arn = None
        out[key] = CapacityProviderSpec(
            key=key,
            subnet_ids=subnets,
            security_group_ids=groups,
            operator_role_arn=role,
            architecture=arch,
            allowed_instance_types=tuple(sorted(allowed)),
            excluded_instance_types=tuple(sorted(excluded)),
            scaling_mode=mode,
            max_vcpu=max_vcpu,
            policies=policies,
            kms_key_arn=key_arn,
        )
    return out


def _policies(scaling: Mapping[str, Value], path: KeyPath, check: Checker) -> tuple[ScalingPolicy, ...]:
    if scaling.get("policies") is None:
        return ()
    items = check.want_list(scaling["policies"], (*path, "policies")) or []
    if len(items) > MAX_POLICIES:
        check.error((*path, "policies"), f"{len(items)} policies; a capacity provider takes at most {MAX_POLICIES}")
    out = []
    for index, item in enumerate(items):
        where = (*path, "policies", index)
        policy = check.want_mapping(item, where) or {}
        check.keys(policy, where, POLICY_KEYS)
        metric = check.want_choice(policy.get("predefinedMetricType"), (*where, "predefinedMetricType"), METRICS,
                                   what="a capacity provider metric")  # fmt: skip
        target = policy.get("targetValue")
        if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 <= target <= 100:
            check.error((*where, "targetValue"), f"must be a percentage between 0 and 100, got {show(target)}")
            continue
        if metric:
            out.append(ScalingPolicy(metric=metric, target=float(target)))
    return tuple(out)


def parse_function_capacity(
    raw: Mapping[str, Value],
    path: KeyPath,
    check: Checker,
    *,
    providers: Mapping[str, CapacityProviderSpec],
    declared: frozenset[str] = frozenset(),
    runtime_family: str,
    memory: int,
    versioned: bool,
    durable: bool,
) -> FunctionCapacity | None:
    """A function's `capacityProvider`: a provider's key or ARN, or `{name, maxConcurrency, memoryPerVCpu, scaling}`."""
    value = raw.get("capacityProvider")
    if value is None:
        return None
    where = (*path, "capacityProvider")
    settings: Mapping[str, Value] = {}
    if isinstance(value, str):
        name, name_path = value, where
    else:
        what = "a capacity provider's name or ARN, or a mapping (name, ...)"
        settings = check.want_mapping(value, where, what=what) or {}
        check.keys(settings, where, FUNCTION_CAPACITY_KEYS)
        if settings.get("name") is None:
            check.error(where, "name is required (a key of provider.capacityProviders, or an ARN)", at_key=True)
            return None
        name_path = (*where, "name")
        name = check.want_str(settings["name"], name_path) or ""
    if not name.startswith("arn:") and name not in providers:
        if name in declared:  # written, and its own problem already reported
            return None
        check.error(name_path, f"capacity provider {show(name)} is not defined in provider.capacityProviders "
                    f"(defined: {', '.join(sorted(providers)) or '(none)'}); or give an ARN")  # fmt: skip
        return None
    if name.startswith("arn:") and not CAPACITY_PROVIDER_ARN.match(name):
        check.error(name_path, f"{show(name)} is not a capacity provider ARN (arn:aws:lambda:<region>:<account>:"
                    "capacity-provider:NAME)")  # fmt: skip
        return None
    if not versioned:
        check.error(where, "a function on managed instances runs published versions only, and "
                    "provider.versionFunctions is false", "remove versionFunctions: false", at_key=True)  # fmt: skip
    if durable:
        check.error(where, "a function on managed instances cannot be durable (durableConfig)", MANAGED_DOCS,
                    at_key=True)  # fmt: skip
    per_vcpu = DEFAULT_MEMORY_PER_VCPU
    if settings.get("memoryPerVCpu") is not None:
        given = settings["memoryPerVCpu"]
        if isinstance(given, bool) or not isinstance(given, (int, float)) or given not in MEMORY_PER_VCPU:
            check.error((*where, "memoryPerVCpu"), f"must be 2, 4 or 8 (GiB per vCPU), got {show(given)}")
        else:
            per_vcpu = float(given)
    if memory < MIN_MEMORY_MB:
        check.error(
            (*path, "memorySize") if raw.get("memorySize") is not None else where,
            f"a function on managed instances needs at least {MIN_MEMORY_MB} MB (memorySize is {memory})",
            MANAGED_DOCS,
        )
    elif memory < per_vcpu * 1024:
        check.error((*where, "memoryPerVCpu"), f"{per_vcpu:g} GiB per vCPU is more than the function's {memory} MB")
    concurrency = DEFAULT_CONCURRENCY.get(runtime_family, 16)
    if settings.get("maxConcurrency") is not None:
        low, high = MAX_CONCURRENCY
        concurrency = check.want_int(settings["maxConcurrency"], (*where, "maxConcurrency"), minimum=low,
                                     maximum=high, limit="AWS") or concurrency  # fmt: skip
    low_envs = high_envs = None
    if settings.get("scaling") is not None:
        scaling_path = (*where, "scaling")
        scaling = check.want_mapping(settings["scaling"], scaling_path, what="a mapping (min, max)") or {}
        check.keys(scaling, scaling_path, {"min", "max"})
        low, high = ENVIRONMENTS
        if scaling.get("min") is not None:
            low_envs = check.want_int(scaling["min"], (*scaling_path, "min"), minimum=low, maximum=high, limit="AWS")
        if scaling.get("max") is not None:
            high_envs = check.want_int(scaling["max"], (*scaling_path, "max"), minimum=low, maximum=high, limit="AWS")
        if low_envs is not None and high_envs is not None and low_envs > high_envs:
            check.error((*scaling_path, "min"), f"{low_envs} is above max ({high_envs})")
        if low_envs == 0 and high_envs not in (None, 0):
            check.error((*scaling_path, "max"), "with min 0 (the function scaled to zero), max must be 0 too")
    return FunctionCapacity(
        provider=name,
        memory_per_vcpu=per_vcpu,
        max_concurrency=concurrency,
        min_environments=low_envs,
        max_environments=high_envs,
    )
