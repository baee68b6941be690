"""The `layer` kind: a layer of this service, published as a new version when its content changes (versions are
immutable) and compared by the content hash kept in the version's description."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fnship.errors import FnError
from fnship.kinds.base import Context, Kind
from fnship.kinds.function import upload_location
from fnship.model.address import Address
from fnship.model.artifacts import layer_description, layer_owner, parse_layer_description
from fnship.model.resources import Resource
from fnship.plan.diff import DELETE, Change, Step


def layer_steps(change: Change) -> list[Step]:
    return [Step("layer.delete" if change.action == DELETE else "layer.publish", change.address)]


def layer_publish(context: Context, step: Step) -> None:
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


def layer_delete(context: Context, step: Step) -> None:
    """A layer that left the manifest: every version goes (functions already using one keep working)."""
    live = context.live(step)
    for version in context.aws.layers.list_versions(live.name):
        context.aws.layers.delete_version(live.name, version["Version"])


# -- reading live state (read-only) ------------------------------------------------------------------------------


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
    attrs = {
        "content_sha256": digest,
        "description": description,
        "compatible_runtimes": sorted(latest.get("CompatibleRuntimes") or []),
        "compatible_architectures": sorted(latest.get("CompatibleArchitectures") or []),
    }
    extras = {"arn": latest["LayerVersionArn"], "version": latest["Version"]}
    return [Resource(address=stub.address, kind="layer", name=stub.name, attrs=attrs, extras=extras)]


def discover_layers(aws: Any) -> list[Resource]:
    """Layers fnship published for this service and stage: their latest version's description carries this
    service and stage's owner marker (layers cannot be tagged, and a name prefix is shared: `demo-dev-` also
    starts stage `dev-feature1`'s layers). Versions published before the marker existed are not claimed.
    """
    service, stage = aws.owner
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


KIND = Kind(
    name="layer",
    steps=layer_steps,
    handlers={"layer.publish": layer_publish, "layer.delete": layer_delete},
    # A discovered layer's address is only a guess from its name: it is matched by name.
    by_name=True,
    read=read_layer,
    discover=discover_layers,
)
