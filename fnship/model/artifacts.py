"""Layers and container images as desired state, and what they change in the functions that use them.

Pure: no AWS, no filesystem. `layer.<key>` is a published layer version compared by content hash (kept in the
version's description, since layer versions carry no tags); `image.<function>` is an image pushed to ECR,
compared by manifest digest. A function that uses a layer of this service refers to its version ARN with a `Ref`
until the plan stage knows the live version ARN (or that a new version will be published).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from fnship.kinds.alias import Alias
from fnship.kinds.artifact_stores import DeploymentBucket, EcrRepository
from fnship.kinds.function import LambdaFunction
from fnship.kinds.image import Image
from fnship.kinds.layer import Layer
from fnship.manifest.checks import mapping_at
from fnship.manifest.intrinsics import StackValue
from fnship.manifest.types import Manifest
from fnship.model import names
from fnship.model.address import Address
from fnship.model.resources import Ref, Resource, ownership_tags

if TYPE_CHECKING:
    from fnship.packaging.artifacts import Artifact

# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: 50 MB zipped for a direct upload.
DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024


def ecr_repository(manifest: Manifest) -> str:
    """The ECR repository of the service's images, named as the Serverless Framework names it."""
    return f"serverless-{manifest.service}-{manifest.stage}".lower()


def ecr_registry(*, account_id: str, region: str) -> str:
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com"


def merge_artifacts(
    manifest: Manifest,
    resources: list[Resource],
    artifacts: Mapping[str, Artifact],
    *,
    layers: Mapping[str, Artifact],
    account_id: str,
    registry: str | None = None,
) -> list[Resource]:
    """`resources` with layer and image resources added and every function's layers and image filled in."""
    from fnship.model.build import release_of

    host = registry or ecr_registry(account_id=account_id, region=manifest.region)
    repository = ecr_repository(manifest)
    extra: list[Resource] = []
    own_bucket = names.deployment_bucket_name(account_id=account_id, region=manifest.region)
    for key, artifact in layers.items():
        spec = manifest.artifacts.layers[key]
        bucket = upload_bucket(manifest, artifact.size, own_bucket)
        layer = Layer(
            content_sha256=artifact.sha256_hex,
            description=spec.description,
            compatible_runtimes=tuple(sorted(spec.compatible_runtimes)),
            compatible_architectures=tuple(sorted(spec.compatible_architectures)),
            service=manifest.service,
            stage=manifest.stage,
            artifact_path=str(artifact.path),
            code_sha256=artifact.code_sha256,
            upload_bucket=bucket,
        )
        depends = (Address.deployment_bucket(),) if bucket == own_bucket else ()
        extra.append(Resource.of(Address.layer(key), spec.name, layer, depends_on=depends))
    out: list[Resource] = []
    functions: dict[str, Resource] = {}
    for resource in resources:
        if resource.kind == "function":
            key = Address(resource.address).function_key or ""
            resource = _function(manifest, resource, key, artifacts[key], host, repository, extra)
            function_spec = resource.spec_as(LambdaFunction)
            if function_spec.image_uri is None:
                bucket = upload_bucket(manifest, artifacts[key].size, own_bucket)
                depends = (Address.deployment_bucket(),) if bucket == own_bucket else ()
                function_spec = replace(function_spec, upload_bucket=bucket)
                resource = replace(resource, depends_on=(*resource.depends_on, *depends), spec=function_spec)
            functions[key] = resource
        elif isinstance(resource.spec, Alias) and resource.spec.release is not None:
            function = functions[resource.in_scope().function_key]
            release = release_of(function.spec_as(LambdaFunction))
            resource = replace(resource, spec=replace(resource.spec, release=release))
        out.append(resource)
    uploads = [r for r in (*extra, *out) if _upload_bucket(r) == own_bucket]
    if uploads:
        # Code over the direct-upload limit with no deployment bucket set: the bucket fnship keeps per account
        # and region, created once (public access blocked, SSE-S3) and planned like everything else.
        bucket_spec = DeploymentBucket(tags=ownership_tags(manifest.service, manifest.stage))
        extra.insert(0, Resource.of(Address.deployment_bucket(), own_bucket, bucket_spec))
    images = [r for r in extra if r.kind == "image"]
    if images:
        scan = bool(mapping_at(manifest.provider.raw, "ecr").get("scanOnPush"))
        repository_spec = EcrRepository(scan_on_push=scan, tags=ownership_tags(manifest.service, manifest.stage))
        extra.insert(0, Resource.of(Address.repository(repository), repository, repository_spec))
    return [*extra, *out]


def upload_bucket(manifest: Manifest, size: int, own_bucket: str) -> str | None:
    """Where a zip goes: `provider.deploymentBucket`, else inline (None) when Lambda takes it directly, else the
    bucket fnship keeps per account and region."""
    if manifest.provider.deployment_bucket:
        return manifest.provider.deployment_bucket
    return own_bucket if size > DIRECT_UPLOAD_LIMIT else None


def _upload_bucket(resource: Resource) -> str | None:
    if isinstance(resource.spec, (LambdaFunction, Layer)):
        return resource.spec.upload_bucket
    return None


def _function(
    manifest: Manifest,
    resource: Resource,
    key: str,
    artifact: Artifact,
    host: str,
    repository: str,
    extra: list[Resource],
) -> Resource:
    spec = resource.spec_as(LambdaFunction)
    depends = list(resource.depends_on)
    refs = manifest.artifacts.function_layers.get(key, tuple(str(layer) for layer in spec.layers))
    # A layer version ARN as written, or one the companion stack decides (a StackValue: model/stack.py refers it).
    given = [ref for ref in refs if ref.startswith("arn:") or isinstance(ref, StackValue)]
    layers = tuple(ref if ref in given else Ref(Address.layer(ref), "arn") for ref in refs)
    depends += [Address.layer(ref) for ref in refs if ref not in given]
    spec = replace(spec, layers=layers, image_uri=None, image_config={})
    image = getattr(artifact, "image", None)
    if image is not None:
        uri = image.uri or f"{host}/{repository}@{image.digest}"
        spec = replace(
            spec, runtime=None, handler=None, layers=(), code_sha256=None, image_config=dict(image.image_config),
            image_uri=uri,
        )  # fmt: skip
        if not image.uri:
            address = Address.image(key)
            image_spec = Image(
                digest=image.digest, layout=str(image.layout), registry=host, repository=repository, tag=key
            )
            extra.append(Resource.of(address, uri, image_spec, depends_on=(Address.repository(repository),)))
            depends.append(address)
    return replace(resource, spec=spec, depends_on=tuple(depends))
