"""The Lambda Managed Instances kinds: `capacity_provider` (where Lambda runs the functions that name it: EC2
instances in the service's VPC, managed with an operator role) and `function_scaling` (the execution environments a
function's served version keeps, PutFunctionScalingConfig).

Only a provider's scaling changes in place (UpdateCapacityProvider); its VPC, operator role, instance requirements
and KMS key are set when it is created, so a change to one replaces it.
https://docs.aws.amazon.com/lambda/latest/api/API_UpdateCapacityProvider.html
Capacity providers are found by their ownership tags (the one tagging call) and through the functions that use them
(their CapacityProviderConfig), never by listing the account's; one whose tags are not this service's and stage's is
not ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.kinds.base import Context, Kind, known, reading_owner
from fnship.model import names
from fnship.model.address import Address
from fnship.model.resources import OWNER_FUNCTION_TAG, Ref, Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import owned

if TYPE_CHECKING:
    from mypy_boto3_lambda.type_defs import CapacityProviderScalingConfigTypeDef, InstanceRequirementsTypeDef

    from fnship.aws.lambda_api import CapacityProvider as CapacityProviderAnswer
    from fnship.aws.lambda_api import CapacityProviderChange, NewCapacityProvider
    from fnship.plan.reads import Reads

DISCOVERY_WORKERS = 16  # GetFunction has its own budget (100/s): the functions are asked together


@dataclass(frozen=True)
class Policy:
    metric: str
    target: float


@dataclass(frozen=True, kw_only=True)
class CapacityProvider(Spec):
    """A capacity provider (its name is the resource's name), with Lambda's defaults filled in."""

    kind: ClassVar[str] = "capacity_provider"
    subnet_ids: tuple[str, ...]  # sorted
    security_group_ids: tuple[str, ...]
    operator_role: str
    architecture: str
    allowed_instance_types: tuple[str, ...]
    excluded_instance_types: tuple[str, ...]
    scaling_mode: str  # Auto | Manual
    max_vcpu: int | None
    policies: tuple[Policy, ...]
    kms_key_arn: str | None
    tags: Mapping[str, str]
    arn: str | None = field(default=None, compare=False)  # assigned by Lambda: live only


CREATE_ONLY = frozenset(
    {"subnet_ids", "security_group_ids", "operator_role", "architecture", "allowed_instance_types",
     "excluded_instance_types", "kms_key_arn"}
)  # fmt: skip


def provider_from_aws(found: CapacityProviderAnswer) -> CapacityProvider:
    """GetCapacityProvider's `CapacityProvider` (with `Tags`) as the spec."""
    vpc = found.get("VpcConfig") or {}
    requirements = found.get("InstanceRequirements") or {}
    scaling = found.get("CapacityProviderScalingConfig") or {}
    return CapacityProvider(
        subnet_ids=tuple(sorted(vpc.get("SubnetIds") or ())),
        security_group_ids=tuple(sorted(vpc.get("SecurityGroupIds") or ())),
        operator_role=(found.get("PermissionsConfig") or {}).get("CapacityProviderOperatorRoleArn", ""),
        architecture=(requirements.get("Architectures") or ["x86_64"])[0],
        allowed_instance_types=tuple(sorted(requirements.get("AllowedInstanceTypes") or ())),
        excluded_instance_types=tuple(sorted(requirements.get("ExcludedInstanceTypes") or ())),
        scaling_mode=scaling.get("ScalingMode") or "Auto",
        max_vcpu=scaling.get("MaxVCpuCount"),
        policies=tuple(
            Policy(metric=p["PredefinedMetricType"], target=float(p["TargetValue"]))
            for p in scaling.get("ScalingPolicies") or ()
        ),
        kms_key_arn=found.get("KmsKeyArn") or None,
        tags=dict(found.get("Tags") or {}),
        arn=found.get("CapacityProviderArn"),
    )


def scaling_request(spec: CapacityProvider) -> CapacityProviderChange:
    """What UpdateCapacityProvider takes (and CreateCapacityProvider with the rest): the scaling."""
    scaling: CapacityProviderScalingConfigTypeDef = {
        "ScalingMode": "Manual" if spec.scaling_mode == "Manual" else "Auto"
    }
    if spec.max_vcpu is not None:
        scaling["MaxVCpuCount"] = spec.max_vcpu
    if spec.policies:
        # (Lambda has one predefined metric, the only one the manifest accepts: manifest/platform.py METRICS)
        scaling["ScalingPolicies"] = [
            {"PredefinedMetricType": "LambdaCapacityProviderAverageCPUUtilization", "TargetValue": p.target}
            for p in spec.policies
        ]
    return {"CapacityProviderScalingConfig": scaling}


def provider_request(spec: CapacityProvider, *, operator_role: str) -> NewCapacityProvider:
    """CreateCapacityProvider's request (but its name)."""
    requirements: InstanceRequirementsTypeDef = {
        "Architectures": ["arm64" if spec.architecture == "arm64" else "x86_64"]
    }
    if spec.allowed_instance_types:
        requirements["AllowedInstanceTypes"] = list(spec.allowed_instance_types)
    if spec.excluded_instance_types:
        requirements["ExcludedInstanceTypes"] = list(spec.excluded_instance_types)
    request: NewCapacityProvider = {
        "VpcConfig": {"SubnetIds": list(spec.subnet_ids), "SecurityGroupIds": list(spec.security_group_ids)},
        "PermissionsConfig": {"CapacityProviderOperatorRoleArn": operator_role},
        "InstanceRequirements": requirements,
        **scaling_request(spec),
        "Tags": dict(spec.tags),
    }
    if spec.kms_key_arn:
        request["KmsKeyArn"] = spec.kms_key_arn
    return request


def capacity_provider_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(CapacityProvider)
    request = provider_request(spec, operator_role=context.resolved(spec.operator_role))
    arn = context.aws.lambda_.create_capacity_provider(resource.name, request)
    context.outputs[step.address] = {"arn": arn}


def capacity_provider_update(context: Context, step: Step) -> None:
    """Its scaling (the only setting that changes in place), and its tags."""
    resource = context.desired(step)
    spec, live = resource.spec_as(CapacityProvider), context.live_spec(step, CapacityProvider)
    lambda_ = context.aws.lambda_
    if (spec.scaling_mode, spec.max_vcpu, spec.policies) != (live.scaling_mode, live.max_vcpu, live.policies):
        lambda_.update_capacity_provider(resource.name, scaling_request(spec))
    if spec.tags != live.tags:
        from fnship.kinds.base import tag_delta

        add, remove = tag_delta(live.tags, spec.tags)
        lambda_.set_tags(known(live.arn, f"the ARN of {step.address}"), add=add, remove=remove)


def capacity_provider_delete(context: Context, step: Step) -> None:
    context.aws.lambda_.delete_capacity_provider(context.live_at(step.address).name)


def provider_depends(resource: Resource) -> tuple[str, ...]:
    """Its operator role, when fnship makes it (deleted after the provider)."""
    return (Address.operator_role(Address(resource.address).name),)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_capacity_provider(aws: Reads, stub: Resource) -> list[Resource]:
    found = aws.once(("capacity_provider", stub.name), lambda: aws.lambda_.get_capacity_provider_or_none(stub.name))
    owner = reading_owner(aws)
    if found is None or (stub.spec is None and not owned(found["Tags"], owner)):
        return []
    prefix = names.capacity_provider_name(service=owner[0], stage=owner[1], key="")
    address = stub.address or Address.capacity_provider(stub.name.removeprefix(prefix))
    return [Resource.of(address, stub.name, provider_from_aws(found))]


def discover_capacity_providers(aws: Reads) -> list[Resource]:
    """The service's providers: those the one tagging call finds with its ownership tags (GetResources covers
    every resource type), and those its functions run on (their CapacityProviderConfig names them), which the
    reader keeps when they carry the service's tags. So a provider no function uses any more is still found, and
    `fn remove` deletes it. The functions' GetFunction answers are the ones their readers use (asked once, all
    at once)."""
    from concurrent.futures import ThreadPoolExecutor

    from fnship.kinds.function import unqualified_arn

    tagged = aws.tagged()
    names = {arn.rsplit(":", 1)[-1] for arn in tagged if ":capacity-provider:" in arn}
    functions = [
        unqualified_arn(arn).rsplit(":", 1)[-1]
        for arn, tags in tagged.items()
        if ":function:" in arn and tags.get(OWNER_FUNCTION_TAG)
    ]
    with ThreadPoolExecutor(max_workers=DISCOVERY_WORKERS) as pool:
        answers = list(pool.map(aws.function, functions))
    for found in answers:
        config = found["Configuration"].get("CapacityProviderConfig") if found is not None else None
        if config is not None:
            provider = config["LambdaManagedInstancesCapacityProviderConfig"]["CapacityProviderArn"]
            names.add(provider.rsplit(":", 1)[-1])
    return [Resource("", "capacity_provider", name) for name in sorted(names)]


# -- the execution environments of the served version ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FunctionScaling(Spec):
    """PutFunctionScalingConfig of the version the function's alias serves (its name is the function's name)."""

    kind: ClassVar[str] = "function_scaling"
    version: str | Ref  # the served version: known after the alias moves to a new one
    min_environments: int | None
    max_environments: int | None


def function_scaling_put(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(FunctionScaling)
    config = {
        key: value
        for key, value in (
            ("MinExecutionEnvironments", spec.min_environments),
            ("MaxExecutionEnvironments", spec.max_environments),
        )
        if value is not None
    }
    context.aws.lambda_.put_function_scaling(
        resource.name, qualifier=str(context.resolved(spec.version)), config=config
    )


def read_function_scaling(aws: Reads, stub: Resource) -> list[Resource]:
    """The scaling of the version the alias serves (the stub's spec names the alias through its Ref)."""
    spec = stub.spec_as(FunctionScaling)
    alias = Address(spec.version.address).alias_name if isinstance(spec.version, Ref) else None
    served = (aws.aliases(stub.name).get(alias) or {}).get("FunctionVersion") if alias else spec.version
    if not served or served == "$LATEST":
        return []
    found = aws.lambda_.get_function_scaling_or_none(stub.name, qualifier=str(served))
    if found is None:
        return []
    live = FunctionScaling(
        version=str(served),
        min_environments=found.get("MinExecutionEnvironments"),
        max_environments=found.get("MaxExecutionEnvironments"),
    )
    return [Resource.of(stub.address, stub.name, live)]


CAPACITY_PROVIDER_KIND = Kind(
    name="capacity_provider",
    handlers={
        "capacity_provider.create": capacity_provider_create,
        "capacity_provider.update": capacity_provider_update,
        "capacity_provider.delete": capacity_provider_delete,
    },
    replace_on=CREATE_ONLY,
    stable_outputs=frozenset({"arn"}),
    depends=provider_depends,
    by_name=True,
    read=read_capacity_provider,
    discover=discover_capacity_providers,
)
FUNCTION_SCALING_KIND = Kind(
    name="function_scaling",
    handlers={
        "function_scaling.create": function_scaling_put,
        "function_scaling.update": function_scaling_put,
    },  # no delete: the scaling goes with its function (its parent), and is read only where the manifest sets it
    parent=lambda resource: Address.function(Address(resource.address).name),
    read=read_function_scaling,
    hangs_on_function=True,
)
