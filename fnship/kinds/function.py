"""The `function` kind: a Lambda function's configuration, code and tags.

Code goes inline, to the deployment bucket, or (over Lambda's 50 MB direct-upload limit) to the bucket fnship
keeps per account and region; handlers mutate AWS through the `fnship.aws` handle only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fnship.arns import parse_arn
from fnship.kinds.base import Context, Kind, tag_delta
from fnship.model.address import Address
from fnship.model.resources import OWNER_FUNCTION_TAG, Resource
from fnship.plan.diff import CREATE, DELETE, Change, Step, top_fields
from fnship.secret import reveal

# Function fields that only UpdateFunctionCode can change; the rest go through UpdateFunctionConfiguration.
CODE_FIELDS = frozenset({"code_sha256", "architecture", "image_uri"})
SEPARATE_FUNCTION_FIELDS = frozenset({"tags", "reserved_concurrency"})


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


def upload_location(context: Context, resource: Any, *, path: Path, digest: str) -> dict[str, Any]:
    """Where Lambda reads a zip, as the model decided (model/artifacts.py `upload_bucket`): inline, or a bucket
    (the configured deployment bucket, or the one fnship keeps, planned as `deployment_bucket`).

    The object key is the content hash, so an upload already there (another runner, a re-run) is skipped.
    """
    extras = resource.extras
    bucket = extras.get("upload_bucket")
    if not bucket:
        return {"ZipFile": path.read_bytes()}
    # The same key the build cache stores zips under (aws.buckets_api.S3ArtifactCache): one copy per content.
    key = f"fnship/{extras['service']}/{extras['stage']}/{digest.replace('/', '_')}.zip"
    if not context.aws.s3.object_exists(bucket, key):
        context.aws.s3.upload_file(bucket, key, path)
    return {"S3Bucket": bucket, "S3Key": key}


def function_code(context: Context, resource: Any) -> dict[str, Any]:
    """Where the function's code is: an image URI, the deployment bucket, inline bytes."""
    if resource.attrs.get("image_uri"):
        return {"ImageUri": resource.attrs["image_uri"]}
    return upload_location(
        context, resource, path=Path(resource.extras["artifact_path"]), digest=resource.attrs["code_sha256"]
    )


def image_settings(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration fields that differ for image functions: no runtime, handler or layers; ImageConfig."""
    if not attrs.get("image_uri"):
        return {}
    return {"ImageConfig": dict(attrs.get("image_config") or {})}


def lambda_configuration(
    attrs: Mapping[str, Any], context: Context | None = None, *, creating: bool = False
) -> dict[str, Any]:
    """The model's function attrs as Create/UpdateFunctionConfiguration want them. Secrets are revealed only here.

    On update, an unset VPC, dead-letter target or KMS key is sent empty: that is how Lambda removes them.
    Layer references become version ARNs (published earlier in this run, or live); image functions have no
    runtime, handler or layers, and carry ImageConfig instead.
    """
    vpc = attrs.get("vpc")
    settings: dict[str, Any] = {"TracingConfig": {"Mode": attrs.get("tracing") or "PassThrough"}}
    if vpc or not creating:
        settings["VpcConfig"] = {
            "SubnetIds": list((vpc or {}).get("subnet_ids", [])),
            "SecurityGroupIds": list((vpc or {}).get("security_group_ids", [])),
        }
    if attrs.get("dead_letter_arn") or not creating:
        settings["DeadLetterConfig"] = {"TargetArn": attrs.get("dead_letter_arn") or ""}
    if attrs.get("kms_key_arn") or not creating:
        settings["KMSKeyArn"] = attrs.get("kms_key_arn") or ""
    layers = context.resolved(list(attrs["layers"])) if context is not None else list(attrs["layers"])
    config = {
        **settings,
        "Runtime": attrs["runtime"],
        "Handler": attrs["handler"],
        "MemorySize": attrs["memory_size"],
        "Timeout": attrs["timeout"],
        "Description": attrs["description"],
        "Environment": {"Variables": {k: str(reveal(v)) for k, v in attrs["environment"].items()}},
        "EphemeralStorage": {"Size": attrs["ephemeral_storage"]},
        "Layers": layers,
        "Role": attrs["role"],
    }
    if attrs.get("image_uri"):
        for key in ("Runtime", "Handler", "Layers"):
            config.pop(key)
        config.update(image_settings(attrs))
    return config


def function_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    package_type = "Image" if attrs.get("image_uri") else "Zip"
    config = {
        **lambda_configuration(attrs, context, creating=True),
        "Architectures": [attrs["architecture"]],
        "PackageType": package_type,
    }
    created = context.aws.lambda_.create_function(
        resource.name, config=config, code=function_code(context, resource), tags=attrs["tags"]
    )
    context.outputs[step.address] = {"arn": created["FunctionArn"]}
    if attrs["reserved_concurrency"] is not None:
        context.aws.lambda_.set_reserved_concurrency(resource.name, attrs["reserved_concurrency"])


def function_update_code(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.lambda_.update_code(
        resource.name, code=function_code(context, resource), architecture=resource.attrs["architecture"]
    )


def function_update_config(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.lambda_.update_configuration(resource.name, config=lambda_configuration(resource.attrs, context))


def function_tag(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    add, remove = tag_delta(live.attrs.get("tags"), resource.attrs["tags"])
    context.aws.lambda_.set_tags(live.extras["arn"], add=add, remove=remove)


def function_concurrency(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.lambda_.set_reserved_concurrency(resource.name, resource.attrs["reserved_concurrency"])


def function_delete(context: Context, step: Step) -> None:
    context.aws.lambda_.delete_function(context.live(step).name)


def function_depends(resource: Any) -> tuple[str, ...]:
    """A live function depends on its log group and role (deleted after it)."""
    key = Address(resource.address).function_key or ""
    return (Address.log_group(key), Address.role(key))


# -- reading live state (read-only) ------------------------------------------------------------------------------

DEFAULT_EPHEMERAL_MB = 512


def function_attrs(
    config: Mapping[str, Any],
    tags: Mapping[str, str] | None,
    concurrency: Mapping[str, Any] | None,
    code: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Lambda's GetFunction answer in the model's vocabulary, with AWS defaults filled in."""
    variables = (config.get("Environment") or {}).get("Variables") or {}
    vpc = config.get("VpcConfig") or {}
    image = config.get("PackageType") == "Image"
    return {
        "runtime": config.get("Runtime"),
        "handler": config.get("Handler"),
        "memory_size": config.get("MemorySize"),
        "timeout": config.get("Timeout"),
        "architecture": (config.get("Architectures") or ["x86_64"])[0],
        "description": config.get("Description") or "",
        "environment": dict(sorted(variables.items())),
        "ephemeral_storage": (config.get("EphemeralStorage") or {}).get("Size", DEFAULT_EPHEMERAL_MB),
        "layers": [layer["Arn"] for layer in config.get("Layers") or []],
        "role": config.get("Role"),
        "code_sha256": None if image else config.get("CodeSha256"),
        "image_uri": (code or {}).get("ImageUri") if image else None,
        # Unset ImageConfig fields come back empty ([] or ""): the same as not set.
        "image_config": {
            k: v for k, v in ((config.get("ImageConfigResponse") or {}).get("ImageConfig") or {}).items() if v
        },
        "reserved_concurrency": (concurrency or {}).get("ReservedConcurrentExecutions"),
        "tags": dict(tags or {}),
        "vpc": {
            "subnet_ids": sorted(vpc["SubnetIds"]),
            "security_group_ids": sorted(vpc.get("SecurityGroupIds") or []),
        }
        if vpc.get("SubnetIds")
        else None,
        "tracing": (config.get("TracingConfig") or {}).get("Mode") or "PassThrough",
        "dead_letter_arn": (config.get("DeadLetterConfig") or {}).get("TargetArn") or None,
        "kms_key_arn": config.get("KMSKeyArn") or None,
    }


def read_function(aws: Any, stub: Resource) -> list[Resource]:
    found = aws.function(stub.name)
    if found is None:
        return []
    config = found["Configuration"]
    attrs = function_attrs(config, found.get("Tags"), found.get("Concurrency"), found.get("Code"))
    extras = {"arn": config["FunctionArn"], "version": config.get("Version")}
    return [Resource(address=stub.address, kind="function", name=stub.name, attrs=attrs, extras=extras)]


def unqualified_arn(function_arn: str) -> str:
    """A function's ARN without a version or alias."""
    base, _, rest = function_arn.partition(":function:")
    return f"{base}:function:{rest.split(':', 1)[0]}"


def discover_functions(aws: Any) -> list[Resource]:
    """The functions carrying this service's and stage's tags (the one tagging answer), keyed by their function
    tag; `arn` (unqualified) tells the reading where their aliases are."""
    stubs = []
    for arn, tags in aws.tagged().items():
        key, parts = tags.get(OWNER_FUNCTION_TAG), parse_arn(arn)
        if key and parts is not None and parts.service == "lambda" and parts.resource.startswith("function:"):
            name = parts.resource.split(":", 2)[1]
            stubs.append(Resource(Address.function(key), "function", name, {}, extras={"arn": unqualified_arn(arn)}))
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
    serial=lambda resource: f"function:{resource.name}",
    by_name=True,
    read=read_function,
    discover=discover_functions,
)
