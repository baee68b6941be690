"""The `layer` kind: a layer of this service, published as a new version when its content changes (versions are
immutable) and compared by the content hash kept in the version's description."""

from __future__ import annotations

from pathlib import Path

from fnship.kinds.base import Context, Kind
from fnship.kinds.function import upload_location
from fnship.plan.diff import DELETE, Change, Step


def layer_steps(change: Change) -> list[Step]:
    return [Step("layer.delete" if change.action == DELETE else "layer.publish", change.address)]


def layer_publish(context: Context, step: Step) -> None:
    # Imported here: model.artifacts makes function specs (this package), so a top-level import would be a cycle.
    from fnship.model.artifacts import layer_description, layer_owner

    resource = context.desired(step)
    attrs = resource.attrs
    extras = resource.extras
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
    live = context.live(step)
    for version in context.aws.layers.list_versions(live.name):
        context.aws.layers.delete_version(live.name, version["Version"])


KIND = Kind(
    name="layer",
    steps=layer_steps,
    handlers={"layer.publish": layer_publish, "layer.delete": layer_delete},
    # A discovered layer's address is only a guess from its name: it is matched by name.
    by_name=True,
)
