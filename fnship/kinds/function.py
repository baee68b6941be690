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
from fnship.manifest.types import DEFAULT_EPHEMERAL_MB
from fnship.model.address import Address
from fnship.model.resources import OWNER_FUNCTION_TAG, Found, Ref, Resource, Spec
from fnship.plan.diff import CREATE, DELETE, Change, Step, top_fields
from fnship.secret import Secret, reveal

# Function fields that only UpdateFunctionCode can change; the rest go through UpdateFunctionConfiguration.
CODE_FIELDS = frozenset({"code_sha256", "architecture", "image_uri"})
SEPARATE_FUNCTION_FIELDS = frozenset({"tags", "reserved_concurrency"})

if TYPE_CHECKING:
    from mypy_boto3_lambda.type_defs import ConcurrencyTypeDef, FunctionCodeLocationTypeDef

    from fnship.aws.lambda_api import FunctionConfiguration
    from fnship.plan.reads import Reads


def function_steps(change: Change) -> list[Step]:
    if change.action in (CREATE, DELETE):
        return [Step(f"function.{change.action}", change.address)]
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
    return steps


@dataclass(frozen=True)
class Vpc:
    subnet_ids: tuple[str, ...]  # sorted
    security_group_ids: tuple[str, ...]


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
) -> LambdaFunction:
    """Lambda's GetFunction answer (or a version's configuration) as the spec, with AWS defaults filled in."""
    variables = (config.get("Environment") or {}).get("Variables") or {}
    vpc = config.get("VpcConfig") or {}
    image = config.get("PackageType") == "Image"
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
    spec: LambdaFunction, context: Context | None = None, *, creating: bool = False
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
        **lambda_configuration(spec, context, creating=True),
        "Architectures": [spec.architecture],
        "PackageType": "Image" if spec.image_uri else "Zip",
    }
    created = context.aws.lambda_.create_function(
        resource.name, config=config, code=function_code(context, spec), tags=spec.tags
    )
    context.outputs[step.address] = {"arn": created["FunctionArn"]}
    if spec.reserved_concurrency is not None:
        context.aws.lambda_.set_reserved_concurrency(resource.name, spec.reserved_concurrency)


def function_update_code(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    spec = resource.spec_as(LambdaFunction)
    context.aws.lambda_.update_code(resource.name, code=function_code(context, spec), architecture=spec.architecture)


def function_update_config(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    config = lambda_configuration(resource.spec_as(LambdaFunction), context)
    context.aws.lambda_.update_configuration(resource.name, config=config)


def function_tag(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, LambdaFunction), context.live_spec(step, LambdaFunction)
    add, remove = tag_delta(live.tags, spec.tags)
    context.aws.lambda_.set_tags(known(live.arn, f"the ARN of {step.address}"), add=add, remove=remove)


def function_concurrency(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    context.aws.lambda_.set_reserved_concurrency(resource.name, resource.spec_as(LambdaFunction).reserved_concurrency)


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
    """A live function depends on its log group and role (deleted after it)."""
    key = Address(resource.address).function_key or ""
    return (Address.log_group(key), Address.role(key))


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_function(aws: Reads, stub: Resource) -> list[Resource]:
    found = aws.function(stub.name)
    if found is None:
        return []
    spec = from_aws(found["Configuration"], found.get("Tags"), found.get("Concurrency"), found.get("Code"))
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
        "function.delete": function_delete,
    },
    depends=function_depends,
    starts_on_usable=created_without_permissions,
    serial=lambda resource: f"function:{resource.name}",
    by_name=True,
    read=read_function,
    discover=discover_functions,
)
