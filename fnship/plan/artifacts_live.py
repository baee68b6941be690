"""Live layers and images, and resolving functions' layer references against them.

Read-only AWS calls (ListLayerVersions, ListLayers, DescribeRepositories, GetAuthorizationToken, a registry HEAD):
this module never mutates anything.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fnship.model.artifacts import LAYER_HASH_PREFIX, LayerRef, parse_layer_description
from fnship.model.resources import Resource, State


def read_layer(aws: Any, stub: Resource) -> list[Resource]:
    latest = aws.layers.latest_version_or_none(stub.name)
    if latest is None:
        return []
    digest, description = parse_layer_description(latest.get("Description") or "")
    return [
        Resource(
            address=stub.address,
            kind="layer",
            name=stub.name,
            attrs={
                "content_sha256": digest,
                "description": description,
                "compatible_runtimes": sorted(latest.get("CompatibleRuntimes") or []),
                "compatible_architectures": sorted(latest.get("CompatibleArchitectures") or []),
            },
            extras={"arn": latest["LayerVersionArn"], "version": latest["Version"]},
        )
    ]


def discover_layers(aws: Any, *, service: str, stage: str) -> list[Resource]:
    """Layers fnship published for this service and stage: named `{service}-{stage}-*`, hash in the description.

    Layers cannot be tagged, so the name prefix and our description marker stand for the ownership tags.
    """
    stubs = []
    prefix = f"{service}-{stage}-"
    for layer in aws.layers.find_layers(prefix):
        latest = layer.get("LatestMatchingVersion") or {}
        if not (latest.get("Description") or "").startswith(LAYER_HASH_PREFIX):
            continue
        key = layer["LayerName"][len(prefix) :]
        if key == "python-requirements":
            key = "pythonRequirements"
        stubs.append(Resource(f"layer.{key}", "layer", layer["LayerName"], {}))
    return stubs


def read_image(aws: Any, stub: Resource) -> list[Resource]:
    """The image is live when its repository exists and the registry has its manifest digest."""
    from fnship.packaging.images.registry import RegistryClient, RegistryError

    repository = stub.extras["repository"]
    if aws.ecr.repository_or_none(repository) is None:
        return []
    _host, user, password = aws.ecr.credentials()
    client = RegistryClient(stub.extras["registry"], basic=(user, password))
    digest = stub.attrs["digest"]
    try:
        present = client.has_manifest(repository, digest)
    except RegistryError:
        present = False
    if not present:
        return []
    return [Resource(stub.address, "image", stub.name, {"digest": digest}, extras=dict(stub.extras))]


def resolve_layer_refs(desired: State, live: State) -> State:
    """Replace each LayerRef whose layer is unchanged with the live version ARN; the rest stay unknown."""
    live_by_address = live.by_address()
    arns: dict[str, str] = {}
    for resource in desired.of_kind("layer"):
        current = live_by_address.get(resource.address)
        if current is not None and dict(current.attrs) == dict(resource.attrs):
            arns[resource.address] = current.extras["arn"]
    if not arns:
        return desired

    def resolve(value: Any) -> Any:
        if isinstance(value, LayerRef):
            return arns.get(value.address, value)
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    resources = []
    for resource in desired.resources:
        if resource.kind in ("function", "alias"):
            resource = replace(resource, attrs=resolve(dict(resource.attrs)))
        resources.append(resource)
    return desired.with_resources(resources)
