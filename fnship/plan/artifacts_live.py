"""Live layers and images.

Read-only AWS calls (ListLayerVersions, ListLayers, DescribeRepositories, GetAuthorizationToken, a registry HEAD):
this module never mutates anything.
"""

from __future__ import annotations

from typing import Any

from fnship.model.address import Address
from fnship.model.artifacts import LAYER_HASH_PREFIX, parse_layer_description
from fnship.model.resources import Resource


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
        stubs.append(Resource(Address.layer(key), "layer", layer["LayerName"], {}))
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
