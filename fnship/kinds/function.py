"""The `function` kind: a Lambda function's configuration, code and tags.

Code goes inline, to the deployment bucket, or (over Lambda's 50 MB direct-upload limit) to the bucket fnship
keeps per account and region; handlers mutate AWS through the `fnship.aws` handle only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from fnship.arns import parse_arn
from fnship.jsonvalue import JsonValue
from fnship.kinds.base import Context, Kind, known, tag_delta
from fnship.manifest.platform import DEFAULT_MEMORY_PER_VCPU
from fnship.manifest.platform import DEFAULT_RETENTION_DAYS as DEFAULT_DURABLE_RETENTION_DAYS
from fnship.manifest.types import DEFAULT_EPHEMERAL_MB
from fnship.model.address import Address
from fnship.model.resources import OWNER_FUNCTION_TAG, OWNER_SERVICE_TAG, OWNER_STAGE_TAG, Found, Ref, Resource, Spec
from fnship.plan.diff import CREATE, DELETE, REPLACE, Change, Step, top_fields
from fnship.secret import Secret, reveal

# Function fields that only UpdateFunctionCode can change; the rest go through UpdateFunctionConfiguration.
CODE_FIELDS = frozenset({"code_sha256", "architecture", "image_uri"})
SEPARATE_FUNCTION_FIELDS = frozenset({"tags", "reserved_concurrency", "recursive_loop", "runtime_update", "tenancy"})
# Lambda's defaults for the settings read from their own APIs, assumed while fnship has not set them (the function's
# SETTINGS_TAG says which it set), and held as None on both sides (a create plan shows nothing for them):
# https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionRecursionConfig.html,
# https://docs.aws.amazon.com/lambda/latest/api/API_GetRuntimeManagementConfig.html
DEFAULT_RECURSIVE_LOOP = "Terminate"
DEFAULT_RUNTIME_UPDATE = "Auto"
# A function tag naming the settings fnship set through their own APIs (`recursion`, `runtime`): only those are
# read back, so a plan of a service that sets none makes no extra call per function.
SETTINGS_TAG = "fnship:settings"
SNAPSTART_OFF = "None"  # SnapStart.ApplyOn when it is off (the spec holds None)
SNAPSTART_ON = "PublishedVersions"

if TYPE_CHECKING:
    from mypy_boto3_lambda.type_defs import ConcurrencyTypeDef, FunctionCodeLocationTypeDef

    from fnship.aws.lambda_api import FunctionConfiguration
    from fnship.plan.reads import Reads


def function_steps(change: Change) -> list[Step]:
    if change.action in (CREATE, DELETE):
        return [Step(f"function.{change.action}", change.address)]
    if change.action == REPLACE:
        # A field Lambda sets only when it creates a function changed (tenancy, durable execution, managed
        # instances): what hangs on the function is planned anew (plan/steps.py).
        return [Step("function.delete", change.address), Step("function.create", change.address)]
    fields = top_fields(change)
    steps = []
    if fields & CODE_FIELDS:
        steps.append(Step("function.update_code", change.address))
    if fields - CODE_FIELDS - SEPARATE_FUNCTION_FIELDS:
        steps.append(Step("function.update_config", change.address))
    if "tags" in fields:
        steps.append(Step("function.tag", change.address))
    if "reserved_concurrency" in fields:
        steps.append(Step("function.concurrency", change.address))
    if "recursive_loop" in fields:
        steps.append(Step("function.recursion", change.address))
    if "runtime_update" in fields:
        steps.append(Step("function.runtime_management", change.address))
    return steps


@dataclass(frozen=True)
class Durable:
    """DurableConfig: how long a durable execution may run, how long its history stays, the key encrypting it."""

    execution_timeout: int
    retention_days: int
    kms_key_arn: str | None


@dataclass(frozen=True)
class ManagedInstances:
    """CapacityProviderConfig: the capacity provider the function's versions run on, with Lambda's defaults."""

    capacity_provider: str  # its ARN (one the service creates has a known ARN: its name decides it)
    memory_per_vcpu: float
    max_concurrency: int


@dataclass(frozen=True)
class Vpc:
    subnet_ids: tuple[str, ...]  # sorted
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class Logging:
    """LoggingConfig other than Lambda's default (Text to /aws/lambda/<name>); levels are JSON's only."""

    log_format: str  # JSON | Text
    log_group: str
    application_log_level: str | None = None
    system_log_level: str | None = None


@dataclass(frozen=True)
class RuntimeUpdate:
    """How Lambda updates the runtime (PutRuntimeManagementConfig)."""

    mode: str = DEFAULT_RUNTIME_UPDATE  # Auto | FunctionUpdate | Manual
    runtime_version_arn: str | None = None  # Manual only


def logging_of(config: Mapping[str, object] | None, function_name: str) -> Logging | None:
    """LoggingConfig as the spec holds it: None when it is Lambda's default; JSON levels filled with INFO, as
    Lambda answers them. https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html"""
    config = config or {}
    log_format = str(config.get("LogFormat") or "Text")
    group = str(config.get("LogGroup") or f"/aws/lambda/{function_name}")
    if log_format == "Text" and group == f"/aws/lambda/{function_name}":
        return None
    if log_format != "JSON":
        return Logging(log_format=log_format, log_group=group)
    return Logging(
        log_format=log_format,
        log_group=group,
        application_log_level=str(config.get("ApplicationLogLevel") or "INFO"),
        system_log_level=str(config.get("SystemLogLevel") or "INFO"),
    )


@dataclass(frozen=True, kw_only=True)
class LambdaFunction(Spec):
    """A Lambda function's configuration, code (by hash or image) and tags, with Lambda's defaults filled in."""

    kind: ClassVar[str] = "function"
    runtime: str | None  # None for an image function
    handler: str | None
    memory_size: int
    timeout: int
    architecture: str
    description: str
    environment: Mapping[str, str | Secret]
    ephemeral_storage: int
    layers: tuple[str | Ref, ...]  # version ARNs; a Ref to a layer this plan publishes
    role: str
    code_sha256: str | None  # None for an image function
    image_uri: str | None = None
    image_config: Mapping[str, JsonValue] = field(default_factory=dict)  # ImageConfig as Lambda spells it
    reserved_concurrency: int | None
    tags: Mapping[str, str]
    vpc: Vpc | None
    tracing: str  # Active | PassThrough
    dead_letter_arn: str | None
    kms_key_arn: str | None
    snap_start: str | None = None  # SnapStart.ApplyOn PublishedVersions; None: off
    logging: Logging | None = None  # None: Text logs to /aws/lambda/<name>
    tenancy: str | None = None  # TenancyConfig.TenantIsolationMode: create-only
    recursive_loop: str | None = None  # Allow; None: Lambda's Terminate
    runtime_update: RuntimeUpdate | None = None  # None: Lambda's Auto
    # Durable execution is chosen when Lambda creates the function, never after (`durable_execution` forces a
    # replacement); its settings change in place.
    # https://docs.aws.amazon.com/lambda/latest/dg/durable-configuration.html
    durable_execution: bool | None = None  # True, or None (not durable: a create plan shows nothing for it)
    durable: Durable | None = None
    # Lambda Managed Instances: chosen when Lambda creates the function too (`managed_instances` forces a
    # replacement); the provider and its settings change in place.
    managed_instances: bool | None = None  # True, or None (Lambda's own fleet)
    capacity_provider: ManagedInstances | None = None
    # The desired side: where its zip is and where it goes (not compared: the hash is).
    artifact_path: str | None = field(default=None, compare=False)
    upload_bucket: str | None = field(default=None, compare=False)  # None: inline
    service: str = field(default="", compare=False)
    stage: str = field(default="", compare=False)
    # The live side: assigned by Lambda.
    arn: str | None = field(default=None, compare=False)
    version: str | None = field(default=None, compare=False)


def from_aws(
    config: FunctionConfiguration,
    tags: Mapping[str, str] | None,
    concurrency: ConcurrencyTypeDef | None,
    code: FunctionCodeLocationTypeDef | None = None,
    *,
    recursive_loop: str | None = None,
    runtime_update: RuntimeUpdate | None = None,
) -> LambdaFunction:
    """Lambda's GetFunction answer (or a version's configuration) as the spec, with AWS defaults filled in."""
    variables = (config.get("Environment") or {}).get("Variables") or {}
    vpc = config.get("VpcConfig") or {}
    image = config.get("PackageType") == "Image"
    apply_on = (config.get("SnapStart") or {}).get("ApplyOn")
    tenancy = config.get("TenancyConfig")
    durable = config.get("DurableConfig") or {}
    capacity = config.get("CapacityProviderConfig")
    managed = capacity["LambdaManagedInstancesCapacityProviderConfig"] if capacity is not None else None
    storage = config.get("EphemeralStorage")
    image_settings = (config.get("ImageConfigResponse") or {}).get("ImageConfig") or {}
    image_config: dict[str, JsonValue] = {
        "EntryPoint": image_settings.get("EntryPoint"),
        "Command": image_settings.get("Command"),
        "WorkingDirectory": image_settings.get("WorkingDirectory"),
    }
    return LambdaFunction(
        runtime=config.get("Runtime"),
        handler=config.get("Handler"),
        memory_size=config.get("MemorySize") or 0,
        timeout=config.get("Timeout") or 0,
        architecture=(config.get("Architectures") or ["x86_64"])[0],
        description=config.get("Description") or "",
        environment=dict(sorted(variables.items())),
        ephemeral_storage=storage["Size"] if storage else DEFAULT_EPHEMERAL_MB,
        layers=tuple(layer["Arn"] for layer in config.get("Layers") or []),
        role=config.get("Role") or "",
        code_sha256=None if image else config.get("CodeSha256"),
        image_uri=(code or {}).get("ImageUri") if image else None,
        # Unset ImageConfig fields come back empty ([] or ""): the same as not set.
        image_config={k: v for k, v in image_config.items() if v},
        reserved_concurrency=(concurrency or {}).get("ReservedConcurrentExecutions"),
        tags=dict(tags or {}),
        vpc=Vpc(tuple(sorted(vpc["SubnetIds"])), tuple(sorted(vpc.get("SecurityGroupIds") or [])))
        if vpc.get("SubnetIds")
        else None,
        tracing=(config.get("TracingConfig") or {}).get("Mode") or "PassThrough",
        dead_letter_arn=(config.get("DeadLetterConfig") or {}).get("TargetArn") or None,
        kms_key_arn=config.get("KMSKeyArn") or None,
        snap_start=None if apply_on in (None, SNAPSTART_OFF) else apply_on,
        logging=logging_of(config.get("LoggingConfig"), str(config.get("FunctionName") or "")),
        tenancy=tenancy["TenantIsolationMode"] if tenancy else None,
        recursive_loop=None if recursive_loop == DEFAULT_RECURSIVE_LOOP else recursive_loop,
        runtime_update=None if runtime_update == RuntimeUpdate() else runtime_update,
        durable_execution=True if durable else None,
        durable=Durable(
            execution_timeout=durable["ExecutionTimeout"],
            retention_days=durable.get("RetentionPeriodInDays", DEFAULT_DURABLE_RETENTION_DAYS),
            kms_key_arn=durable.get("KMSKeyArn") or None,
        )
        if durable
        else None,
        managed_instances=True if managed else None,
        capacity_provider=ManagedInstances(
            capacity_provider=managed["CapacityProviderArn"],
            memory_per_vcpu=float(managed.get("ExecutionEnvironmentMemoryGiBPerVCpu") or DEFAULT_MEMORY_PER_VCPU),
            max_concurrency=int(managed.get("PerExecutionEnvironmentMaxConcurrency") or 0),
        )
        if managed
        else None,
        arn=config.get("FunctionArn"),
        version=config.get("Version"),
    )


def upload_location(
    context: Context, *, bucket: str | None, service: str, stage: str, path: Path, digest: str
) -> dict[str, str | bytes]:
    """Where Lambda reads a zip, as the model decided (model/artifacts.py `upload_bucket`): inline, or a bucket
    (the configured deployment bucket, or the one fnship keeps, planned as `deployment_bucket`).

    The object key is the content hash, so an upload already there (another runner, a re-run) is skipped.
    """
    if not bucket:
        return {"ZipFile": path.read_bytes()}
    # The same key the build cache stores zips under (aws.buckets_api.S3ArtifactCache): one copy per content.
    key = f"fnship/{service}/{stage}/{digest.replace('/', '_')}.zip"
    if not context.aws.s3.object_exists(bucket, key):
        context.aws.s3.upload_file(bucket, key, path)
    return {"S3Bucket": bucket, "S3Key": key}


def function_code(context: Context, spec: LambdaFunction) -> dict[str, str | bytes]:
    """Where the function's code is: an image URI, the deployment bucket, inline bytes."""
    if spec.image_uri:
        return {"ImageUri": spec.image_uri}
    assert spec.artifact_path is not None and spec.code_sha256 is not None, "a zip function has its artifact"
    return upload_location(
        context,
        bucket=spec.upload_bucket,
        service=spec.service,
        stage=spec.stage,
        path=Path(spec.artifact_path),
        digest=spec.code_sha256,
    )


def lambda_configuration(
    spec: LambdaFunction, context: Context | None = None, *, function_name: str, creating: bool = False
) -> dict[str, JsonValue]:
    """The spec as Create/UpdateFunctionConfiguration want it. Secrets are revealed only here.

    On update, an unset VPC, dead-letter target or KMS key is sent empty: that is how Lambda removes them.
    Layer references become version ARNs (published earlier in this run, or live); image functions have no
    runtime, handler or layers, and carry ImageConfig instead.
    """
    settings: dict[str, JsonValue] = {"TracingConfig": {"Mode": spec.tracing or "PassThrough"}}
    if spec.vpc or not creating:
        settings["VpcConfig"] = {
            "SubnetIds": list(spec.vpc.subnet_ids if spec.vpc else ()),
            "SecurityGroupIds": list(spec.vpc.security_group_ids if spec.vpc else ()),
        }
    if spec.dead_letter_arn or not creating:
        settings["DeadLetterConfig"] = {"TargetArn": spec.dead_letter_arn or ""}
    if spec.kms_key_arn or not creating:
        settings["KMSKeyArn"] = spec.kms_key_arn or ""
    if spec.snap_start or not creating:
        settings["SnapStart"] = {"ApplyOn": spec.snap_start or SNAPSTART_OFF}
    if spec.logging is not None:
        logging = spec.logging
        logging_config: dict[str, JsonValue] = {"LogFormat": logging.log_format, "LogGroup": logging.log_group}
        if logging.log_format == "JSON":
            logging_config["ApplicationLogLevel"] = logging.application_log_level or "INFO"
            logging_config["SystemLogLevel"] = logging.system_log_level or "INFO"
        settings["LoggingConfig"] = logging_config
    elif not creating:  # back to Lambda's default
        settings["LoggingConfig"] = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}"}
    if spec.tenancy and creating:
        settings["TenancyConfig"] = {"TenantIsolationMode": spec.tenancy}
    if spec.durable is not None:  # (never sent for a function without it: it cannot be turned on or off later)
        settings["DurableConfig"] = {
            "ExecutionTimeout": spec.durable.execution_timeout,
            "RetentionPeriodInDays": spec.durable.retention_days,
            **({"KMSKeyArn": spec.durable.kms_key_arn} if spec.durable.kms_key_arn else {}),
        }
    if spec.capacity_provider is not None:  # (never sent without it: it cannot be added or removed later)
        managed = spec.capacity_provider
        settings["CapacityProviderConfig"] = {
            "LambdaManagedInstancesCapacityProviderConfig": {
                "CapacityProviderArn": managed.capacity_provider,
                "ExecutionEnvironmentMemoryGiBPerVCpu": managed.memory_per_vcpu,
                "PerExecutionEnvironmentMaxConcurrency": managed.max_concurrency,
            }
        }
    layers = context.resolved(list(spec.layers)) if context is not None else list(spec.layers)
    config: dict[str, JsonValue] = {
        **settings,
        "Runtime": spec.runtime,
        "Handler": spec.handler,
        "MemorySize": spec.memory_size,
        "Timeout": spec.timeout,
        "Description": spec.description,
        "Environment": {"Variables": {k: str(reveal(v)) for k, v in spec.environment.items()}},
        "EphemeralStorage": {"Size": spec.ephemeral_storage},
        "Layers": [str(layer) for layer in layers],  # version ARNs: `context.resolved` leaves no reference
        "Role": spec.role,
    }
    if spec.image_uri:
        for key in ("Runtime", "Handler", "Layers"):
            config.pop(key)
        config["ImageConfig"] = dict(spec.image_config)
    return config


def function_create(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    spec = resource.spec_as(LambdaFunction)
    config: dict[str, JsonValue] = {
        **lambda_configuration(spec, context, function_name=resource.name, creating=True),
        "Architectures": [spec.architecture],
        "PackageType": "Image" if spec.image_uri else "Zip",
    }
    created = context.aws.lambda_.create_function(
        resource.name, config=config, code=function_code(context, spec), tags=spec.tags
    )
    context.outputs[step.address] = {"arn": created["FunctionArn"]}
    if spec.reserved_concurrency is not None:
        context.aws.lambda_.set_reserved_concurrency(resource.name, spec.reserved_concurrency)
    if spec.recursive_loop is not None:
        context.aws.lambda_.set_recursion(resource.name, spec.recursive_loop)
    if spec.runtime_update is not None:
        update = spec.runtime_update
        context.aws.lambda_.set_runtime_management(
            resource.name, mode=update.mode, runtime_version_arn=update.runtime_version_arn
        )


def function_update_code(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    spec = resource.spec_as(LambdaFunction)
    context.aws.lambda_.update_code(resource.name, code=function_code(context, spec), architecture=spec.architecture)


def function_update_config(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    config = lambda_configuration(resource.spec_as(LambdaFunction), context, function_name=resource.name)
    context.aws.lambda_.update_configuration(resource.name, config=config)


def function_tag(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, LambdaFunction), context.live_spec(step, LambdaFunction)
    add, remove = tag_delta(live.tags, spec.tags)
    context.aws.lambda_.set_tags(known(live.arn, f"the ARN of {step.address}"), add=add, remove=remove)


def function_concurrency(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    context.aws.lambda_.set_reserved_concurrency(resource.name, resource.spec_as(LambdaFunction).reserved_concurrency)


def function_recursion(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    context.aws.lambda_.set_recursion(
        resource.name, resource.spec_as(LambdaFunction).recursive_loop or DEFAULT_RECURSIVE_LOOP
    )


def function_runtime_management(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    update = resource.spec_as(LambdaFunction).runtime_update or RuntimeUpdate()
    context.aws.lambda_.set_runtime_management(
        resource.name, mode=update.mode, runtime_version_arn=update.runtime_version_arn
    )


def settings_tag(spec: LambdaFunction) -> dict[str, str]:
    """The SETTINGS_TAG naming the settings this spec sets through their own APIs ({} when none)."""
    names = [name for name, is_set in (("recursion", spec.recursive_loop is not None),
                                       ("runtime", spec.runtime_update is not None)) if is_set]  # fmt: skip
    return {SETTINGS_TAG: "/".join(names)} if names else {}


def function_delete(context: Context, step: Step) -> None:
    context.aws.lambda_.delete_function(context.live_at(step.address).name)


def created_without_permissions(resource: Resource) -> bool:
    """Whether Lambda creates or reconfigures the function checking only that it may assume its role: it also
    checks the role's permissions for a VPC (EC2 network interfaces), a dead-letter target (SQS SendMessage, SNS
    Publish) and active tracing (X-Ray PutTraceSegments), refusing with "The provided execution role does not
    have permissions to call ...". So only such a function is created before its new role's policies are in."""
    spec = resource.spec_as(LambdaFunction)
    return spec.vpc is None and not spec.dead_letter_arn and spec.tracing != "Active"


def function_depends(resource: Resource) -> tuple[str, ...]:
    """A live function depends on its log group and role, and the capacity provider of this service it runs on
    (deleted after it: AWS refuses to delete a provider a function still uses)."""
    key = Address(resource.address).function_key or ""
    found: tuple[str, ...] = (Address.log_group(key), Address.role(key))
    spec = resource.spec
    if isinstance(spec, LambdaFunction) and spec.capacity_provider is not None:
        prefix = f"{spec.tags.get(OWNER_SERVICE_TAG)}-{spec.tags.get(OWNER_STAGE_TAG)}-"
        provider = spec.capacity_provider.capacity_provider.rsplit(":", 1)[-1]
        if provider.startswith(prefix):
            found += (Address.capacity_provider(provider.removeprefix(prefix)),)
    return found


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_function(aws: Reads, stub: Resource) -> list[Resource]:
    found = aws.function(stub.name)
    if found is None:
        return []
    tags = found.get("Tags") or {}
    marked = set(str(tags.get(SETTINGS_TAG, "")).split("/"))
    recursive_loop = aws.lambda_.get_recursion(stub.name) if "recursion" in marked else DEFAULT_RECURSIVE_LOOP
    runtime_update = None
    if "runtime" in marked:
        mode, version_arn = aws.lambda_.get_runtime_management(stub.name)
        runtime_update = RuntimeUpdate(mode, version_arn)
    spec = from_aws(found["Configuration"], tags, found.get("Concurrency"), found.get("Code"),
                    recursive_loop=recursive_loop, runtime_update=runtime_update)  # fmt: skip
    return [Resource.of(stub.address, stub.name, spec)]


def unqualified_arn(function_arn: str) -> str:
    """A function's ARN without a version or alias."""
    base, _, rest = function_arn.partition(":function:")
    return f"{base}:function:{rest.split(':', 1)[0]}"


def discover_functions(aws: Reads) -> list[Resource]:
    """The functions carrying this service's and stage's tags (the one tagging answer), keyed by their function
    tag; `arn` (unqualified) tells the reading where their aliases are."""
    stubs = []
    for arn, tags in aws.tagged().items():
        key, parts = tags.get(OWNER_FUNCTION_TAG), parse_arn(arn)
        if key and parts is not None and parts.service == "lambda" and parts.resource.startswith("function:"):
            name = parts.resource.split(":", 2)[1]
            found = Found(arn=unqualified_arn(arn))
            stubs.append(Resource(Address.function(key), "function", name, found=found))
    return stubs


KIND = Kind(
    name="function",
    steps=function_steps,
    handlers={
        "function.create": function_create,
        "function.update_code": function_update_code,
        "function.update_config": function_update_config,
        "function.tag": function_tag,
        "function.concurrency": function_concurrency,
        "function.recursion": function_recursion,
        "function.runtime_management": function_runtime_management,
        "function.delete": function_delete,
    },
    replace_on=frozenset({"tenancy", "durable_execution", "managed_instances"}),
    depends=function_depends,
    starts_on_usable=created_without_permissions,
    serial=lambda resource: f"function:{resource.name}",
    by_name=True,
    read=read_function,
    discover=discover_functions,
)
