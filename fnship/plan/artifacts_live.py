"""Live layers and images.

Read-only AWS calls (ListLayerVersions, ListLayers, DescribeRepositories, GetAuthorizationToken, a registry HEAD):
this module never mutates anything.
"""

from __future__ import annotations

from typing import Any

from fnship.errors import FnError
from fnship.model.address import Address
from fnship.model.artifacts import layer_owner, parse_layer_description
from fnship.model.resources import Resource


def read_layer(aws: Any, stub: Resource) -> list[Resource]:
    latest = aws.layers.latest_version_or_none(stub.name)
    if latest is None:
        return []
    digest, owner, description = parse_layer_description(latest.get("Description") or "")
    service, stage = stub.extras.get("service"), stub.extras.get("stage")
    if owner is not None and service and stage and owner != layer_owner(service=service, stage=stage):
        raise FnError(
            f"layer {stub.name} is published by another service or stage of fnship; publishing here would take it over",
            hint=f"give layers.{Address(stub.address).name} its own `name:`",
        )
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
    """Layers fnship published for this service and stage: their latest version's description carries this
    service and stage's owner marker (layers cannot be tagged, and a name prefix is shared: `demo-dev-` also
    starts stage `dev-feature1`'s layers). Versions published before the marker existed are not claimed.
    """
    owner = layer_owner(service=service, stage=stage)
    prefix = f"{service}-{stage}-"
    stubs = []
    for layer in aws.layers.list_layers():
        latest = layer.get("LatestMatchingVersion") or {}
        if parse_layer_description(latest.get("Description") or "")[1] != owner:
            continue
        name = layer["LayerName"]
        key = name.removeprefix(prefix)
        if key == "python-requirements":
            key = "pythonRequirements"
        stubs.append(Resource(Address.layer(key), "layer", name, {}, extras={"service": service, "stage": stage}))
    return stubs


def read_deployment_bucket(aws: Any, stub: Resource) -> list[Resource]:
    """The bucket fnship keeps per account and region: live when it exists (it is created whole, never changed)."""
    return [Resource(stub.address, stub.kind, stub.name, {})] if aws.buckets.exists(stub.name) else []


def read_repository(aws: Any, stub: Resource) -> list[Resource]:
    found = aws.ecr.repository_or_none(stub.name)
    if found is None:
        return []
    scan = bool((found.get("imageScanningConfiguration") or {}).get("scanOnPush"))
    return [Resource(stub.address, stub.kind, stub.name, {"scan_on_push": scan})]


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
