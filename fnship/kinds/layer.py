"""The `layer` kind: a layer of this service, published as a new version when its content changes (versions are
immutable) and compared by the content hash kept in the version's description.

Layers cannot be tagged, and listing the account's layers is not how a service finds its own: fnship keeps the
names of the layers it published for a service and stage in one SSM parameter (`registry_name`), written before a
layer is published and after it is deleted, so it always names at least every layer that exists. Discovery reads
that one parameter; every layer is then read by its exact name."""

from __future__ import annotations

import hashlib
import json
from functools import partial
from pathlib import Path
from typing import Any

from fnship.errors import FnError
from fnship.kinds.base import Context, Kind
from fnship.kinds.function import upload_location
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.plan.diff import DELETE, UPDATE, Change, FieldChange, Step, generic_fields, top_fields

LAYER_HASH_PREFIX = "fnship sha256:"
LAYER_OWNER_SEPARATOR = "@"


def layer_owner(*, service: str, stage: str) -> str:
    """The ownership marker of a service and stage's layer versions: layers carry no tags, and a name prefix is no
    proof (stage `dev`'s `demo-dev-` prefixes stage `dev-feature1`'s layers), so each version's description names
    its exact owner. A digest keeps the marker short (a version's description holds 256 characters)."""
    return hashlib.sha256(f"{service}\n{stage}".encode()).hexdigest()[:12]


def layer_description(content_sha256: str, description: str, *, owner: str) -> str:
    """What a published layer version's Description holds: our content hash and owner marker, then the user's text."""
    return f"{LAYER_HASH_PREFIX}{content_sha256}{LAYER_OWNER_SEPARATOR}{owner} {description}".strip()


def parse_layer_description(text: str) -> tuple[str | None, str | None, str]:
    """(content hash, owner marker, user description) from a layer version's Description. Versions published
    before the owner marker existed give None for the owner."""
    if not text.startswith(LAYER_HASH_PREFIX):
        return None, None, text
    token, _, rest = text[len(LAYER_HASH_PREFIX) :].partition(" ")
    digest, _, owner = token.partition(LAYER_OWNER_SEPARATOR)
    return digest, owner or None, rest


RECORDED = "recorded"  # whether the registry names the layer (see the module's docstring)


def registry_name(*, service: str, stage: str) -> str:
    return f"/fnship/{service}/{stage}/layers"


def layer_fields(desired: Resource | None, live: Resource | None) -> list[FieldChange]:
    """The layer's attributes, and whether the registry names it: a layer published before the registry existed
    is recorded (a planned `layer.record`), so that it is found once it leaves the manifest."""
    fields = generic_fields(desired, live)
    if desired is not None and live is not None and live.extras.get(RECORDED) is False:
        fields.append(FieldChange(RECORDED, False, True))
    return fields


def layer_steps(change: Change) -> list[Step]:
    if change.action == DELETE:
        return [Step("layer.delete", change.address)]
    if change.action == UPDATE and top_fields(change) == {RECORDED}:
        return [Step("layer.record", change.address)]
    return [Step("layer.publish", change.address)]


def _record(context: Context, resource: Resource, *, present: bool) -> None:
    """Add the layer to (or remove it from) its service and stage's registry. Registry writes are made one at a
    time (the kind's `serial`): each reads the registry and writes it back whole."""
    name = registry_name(service=resource.extras["service"], stage=resource.extras["stage"])
    registry = json.loads(context.aws.ssm.get_or_none(name) or "{}")
    key = Address(resource.address).name
    if present:
        registry[key] = resource.name
    else:
        registry.pop(key, None)
    if registry:
        context.aws.ssm.overwrite(name, json.dumps(registry, sort_keys=True))
    else:
        context.aws.ssm.delete(name)


def layer_record(context: Context, step: Step) -> None:
    _record(context, context.desired(step), present=True)


def layer_publish(context: Context, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    extras = resource.extras
    _record(context, resource, present=True)  # first: a layer that exists is always in the registry
    content = upload_location(
        context,
        bucket=extras.get("upload_bucket"),
        service=extras["service"],
        stage=extras["stage"],
        path=Path(extras["artifact_path"]),
        digest=extras["code_sha256"],
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
    live = context.live_at(step.address)
    for version in context.aws.layers.list_versions(live.name):
        context.aws.layers.delete_version(live.name, version["Version"])
    _record(context, live, present=False)


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
    extras = {"arn": latest["LayerVersionArn"], "version": latest["Version"], "service": service, "stage": stage}
    if aws.owner is not None:
        extras[RECORDED] = _registry(aws).get(Address(stub.address).name) == stub.name
    return [Resource(address=stub.address, kind="layer", name=stub.name, attrs=attrs, extras=extras)]


def _registry(aws: Any) -> dict[str, str]:
    """Layer key -> name of the layers fnship published for the reading's service and stage (one GetParameter)."""
    service, stage = aws.owner
    name = registry_name(service=service, stage=stage)
    text = aws.once(("layer registry", name), partial(aws.ssm.get_or_none, name))
    return dict(json.loads(text)) if text else {}


def discover_layers(aws: Any) -> list[Resource]:
    """The layers the registry names for this service and stage (layers cannot be tagged; a name prefix is
    shared: `demo-dev-` also starts stage `dev-feature1`'s layers; and the account's list is not read)."""
    service, stage = aws.owner
    extras = {"service": service, "stage": stage}
    return [Resource(Address.layer(key), "layer", name, {}, extras=extras) for key, name in _registry(aws).items()]


KIND = Kind(
    name="layer",
    steps=layer_steps,
    diff=layer_fields,
    handlers={"layer.publish": layer_publish, "layer.record": layer_record, "layer.delete": layer_delete},
    serial=lambda _resource: "layer registry",
    output_neutral=frozenset({RECORDED}),
    # Matched by name (a layer may be renamed with `name:` under the same key).
    by_name=True,
    read=read_layer,
    discover=discover_layers,
)
