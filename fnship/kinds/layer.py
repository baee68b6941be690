"""The `layer` kind: a layer of this service, published as a new version when its content changes (versions are
immutable) and compared by the content hash kept in the version's description.

Layers cannot be tagged, and listing the account's layers is not how a service finds its own: fnship keeps the
names of the layers it published for a service and stage in one SSM parameter (`registry_name`), written before a
layer is published and after it is deleted, so it always names at least every layer that exists. Discovery reads
that one parameter; every layer is then read by its exact name."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from fnship.errors import FnError
from fnship.kinds.base import Context, Kind, reading_owner
from fnship.kinds.function import upload_location
from fnship.model.address import Address
from fnship.model.resources import Resource, Spec
from fnship.plan.diff import DELETE, UPDATE, Change, FieldChange, Step, generic_fields, top_fields

if TYPE_CHECKING:
    from mypy_boto3_lambda.type_defs import LayerVersionsListItemTypeDef

    from fnship.plan.reads import Reads

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


@dataclass(frozen=True, kw_only=True)
class Layer(Spec):
    """A layer (its name is the resource's name) as its latest version has it: the content hash and the user's
    description (both kept in the version's Description, see `layer_description`), runtimes and architectures."""

    kind: ClassVar[str] = "layer"
    content_sha256: str | None  # None: a version fnship did not publish
    description: str
    compatible_runtimes: tuple[str, ...]  # sorted
    compatible_architectures: tuple[str, ...]  # sorted
    service: str = field(compare=False)  # the owner: its registry, and the marker in each version's Description
    stage: str = field(compare=False)
    # The desired side: the zip and where it goes (not compared: the content hash is).
    artifact_path: str | None = field(default=None, compare=False)
    code_sha256: str | None = field(default=None, compare=False)
    upload_bucket: str | None = field(default=None, compare=False)  # None: inline
    # The live side: assigned by Lambda, and whether the registry names it (None: not asked).
    arn: str | None = field(default=None, compare=False)
    version: int | None = field(default=None, compare=False)
    recorded: bool | None = field(default=None, compare=False)


def from_aws(latest: LayerVersionsListItemTypeDef, *, service: str, stage: str, recorded: bool | None) -> Layer:
    """ListLayerVersions' newest item as the spec; `recorded`: whether the registry names the layer."""
    digest, _owner, description = parse_layer_description(latest.get("Description") or "")
    return Layer(
        content_sha256=digest,
        description=description,
        compatible_runtimes=tuple(sorted(latest.get("CompatibleRuntimes") or [])),
        compatible_architectures=tuple(sorted(latest.get("CompatibleArchitectures") or [])),
        service=service,
        stage=stage,
        arn=latest["LayerVersionArn"],
        version=latest["Version"],
        recorded=recorded,
    )


def registry_name(*, service: str, stage: str) -> str:
    return f"/fnship/{service}/{stage}/layers"


def layer_fields(desired: Resource | None, live: Resource | None) -> list[FieldChange]:
    """The layer's attributes, and whether the registry names it: a layer published before the registry existed
    is recorded (a planned `layer.record`), so that it is found once it leaves the manifest."""
    fields = generic_fields(desired, live)
    if desired is not None and live is not None and live.spec_as(Layer).recorded is False:
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
    spec = resource.spec_as(Layer)
    name = registry_name(service=spec.service, stage=spec.stage)
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
    spec = resource.spec_as(Layer)
    _record(context, resource, present=True)  # first: a layer that exists is always in the registry
    assert spec.artifact_path is not None and spec.code_sha256 is not None, "a desired layer has its artifact"
    content = upload_location(
        context,
        bucket=spec.upload_bucket,
        service=spec.service,
        stage=spec.stage,
        path=Path(spec.artifact_path),
        digest=spec.code_sha256,
    )
    if "ZipFile" in content:
        content = {"ZipFile": content["ZipFile"]}
    published = context.aws.layers.publish(
        resource.name,
        content=content,
        description=layer_description(
            spec.content_sha256 or "", spec.description, owner=layer_owner(service=spec.service, stage=spec.stage)
        ),
        runtimes=list(spec.compatible_runtimes),
        architectures=list(spec.compatible_architectures),
    )
    context.outputs[step.address] = {"arn": published["LayerVersionArn"], "version": published["Version"]}


def layer_delete(context: Context, step: Step) -> None:
    """A layer that left the manifest: every version goes (functions already using one keep working)."""
    live = context.live_at(step.address)
    for version in context.aws.layers.list_versions(live.name):
        context.aws.layers.delete_version(live.name, version["Version"])
    _record(context, live, present=False)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_layer(aws: Reads, stub: Resource) -> list[Resource]:
    latest = aws.layers.latest_version_or_none(stub.name)
    if latest is None:
        return []
    # A desired layer names its owner; a discovered one is the reading's (found in its registry).
    service, stage = (
        (stub.spec_as(Layer).service, stub.spec_as(Layer).stage) if stub.spec is not None else reading_owner(aws)
    )
    _digest, owner, _description = parse_layer_description(latest.get("Description") or "")
    if owner is not None and owner != layer_owner(service=service, stage=stage):
        raise FnError(
            f"layer {stub.name} is published by another service or stage of fnship; publishing here would take it over",
            hint=f"give layers.{Address(stub.address).name} its own `name:`",
        )
    recorded = _registry(aws).get(Address(stub.address).name) == stub.name if aws.owner is not None else None
    return [Resource.of(stub.address, stub.name, from_aws(latest, service=service, stage=stage, recorded=recorded))]


def _registry(aws: Reads) -> dict[str, str]:
    """Layer key -> name of the layers fnship published for the reading's service and stage (one GetParameter)."""
    service, stage = reading_owner(aws)
    name = registry_name(service=service, stage=stage)
    text = aws.once(("layer registry", name), partial(aws.ssm.get_or_none, name))
    return dict(json.loads(text)) if text else {}


def discover_layers(aws: Reads) -> list[Resource]:
    """The layers the registry names for this service and stage (layers cannot be tagged; a name prefix is
    shared: `demo-dev-` also starts stage `dev-feature1`'s layers; and the account's list is not read)."""
    return [Resource(Address.layer(key), "layer", name) for key, name in _registry(aws).items()]


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
