"""Executor handlers for layers and images, and where code goes: inline, the deployment bucket, or (over
Lambda's 50 MB direct-upload limit) the bucket fnship creates once per account and region.

Mutates AWS (through fnship.aws) and pushes to registries: called only by the executor.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fnship.model.artifacts import LayerRef, layer_description, layer_owner
from fnship.model.resources import ownership_tags
from fnship.plan.diff import Step

# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: 50 MB zipped for a direct upload.
DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024


def upload_location(context: Any, resource: Any, *, path: Path, digest: str) -> dict[str, Any]:
    """Where Lambda reads a zip: the configured deployment bucket, else inline when small enough, else our bucket.

    The object key is the content hash, so an upload already there (another runner, a re-run) is skipped.
    """
    from fnship.aws.buckets_api import default_bucket_name

    extras = resource.extras
    bucket = extras.get("deployment_bucket")
    size = path.stat().st_size
    if not bucket and size <= DIRECT_UPLOAD_LIMIT:
        return {"ZipFile": path.read_bytes()}
    if not bucket:
        bucket = default_bucket_name(account_id=context.aws.account_id(), region=context.aws.region)
        context.aws.buckets.ensure(bucket, tags=ownership_tags(extras["service"], extras["stage"]))
    # The same key the build cache stores zips under (aws.buckets_api.S3ArtifactCache): one copy per content.
    key = f"fnship/{extras['service']}/{extras['stage']}/{digest.replace('/', '_')}.zip"
    if not context.aws.s3.object_exists(bucket, key):
        context.aws.s3.upload_file(bucket, key, path)
    return {"S3Bucket": bucket, "S3Key": key}


def function_code(context: Any, resource: Any) -> dict[str, Any]:
    if resource.attrs.get("image_uri"):
        return {"ImageUri": resource.attrs["image_uri"]}
    return upload_location(
        context, resource, path=Path(resource.extras["artifact_path"]), digest=resource.attrs["code_sha256"]
    )


def layer_arns(context: Any, layers: list[Any]) -> list[str]:
    """Layer references resolved: a layer published in this run has its new version ARN in the outputs."""
    arns = []
    for layer in layers:
        if isinstance(layer, LayerRef):
            published = context.outputs.get(layer.address, {}).get("arn")
            live = context.plan.live.get(layer.address)
            arn = published or (live.extras.get("arn") if live is not None else None)
            if arn is None:
                raise AssertionError(f"{layer.address} has no version: the plan must publish it first")
            arns.append(arn)
        else:
            arns.append(layer)
    return arns


def image_settings(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration fields that differ for image functions: no runtime, handler or layers; ImageConfig."""
    if not attrs.get("image_uri"):
        return {}
    return {"ImageConfig": dict(attrs.get("image_config") or {})}


def layer_publish(context: Any, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    content = upload_location(
        context, resource, path=Path(resource.extras["artifact_path"]), digest=resource.extras["code_sha256"]
    )
    if "ZipFile" in content:
        content = {"ZipFile": content["ZipFile"]}
    published = context.aws.layers.publish(
        resource.name,
        content=content,
        description=layer_description(
            attrs["content_sha256"],
            attrs["description"],
            owner=layer_owner(service=resource.extras["service"], stage=resource.extras["stage"]),
        ),
        runtimes=attrs["compatible_runtimes"],
        architectures=attrs["compatible_architectures"],
    )
    context.outputs[step.address] = {"arn": published["LayerVersionArn"], "version": published["Version"]}


def layer_delete(context: Any, step: Step) -> None:
    """A layer that left the manifest: every version goes (functions already using one keep working)."""
    live = context.live(step)
    for version in context.aws.layers.list_versions(live.name):
        context.aws.layers.delete_version(live.name, version["Version"])


def image_push(context: Any, step: Step) -> None:
    from fnship.packaging.images.push import push_layout
    from fnship.packaging.images.registry import RegistryClient

    resource = context.desired(step)
    extras = resource.extras
    context.aws.ecr.ensure_repository(
        extras["repository"], tags=extras["tags"], scan_on_push=bool(extras.get("scan_on_push"))
    )
    _host, user, password = context.aws.ecr.credentials()
    client = RegistryClient(extras["registry"], basic=(user, password))
    digest, uploaded = push_layout(Path(extras["layout"]), client, extras["repository"], tag=extras["tag"])
    context.outputs[step.address] = {"digest": digest, "uploaded": uploaded}


HANDLERS = {
    "layer.publish": layer_publish,
    "layer.delete": layer_delete,
    "image.push": image_push,
}
