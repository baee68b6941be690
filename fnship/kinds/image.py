"""The `image` kind: a function's container image pushed to the service's ECR repository, compared by digest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fnship.kinds.base import Context, Kind
from fnship.model.resources import Resource
from fnship.plan.diff import DELETE, Change, Step


def image_steps(change: Change) -> list[Step]:
    # An image that left the manifest stays in the repository (older versions may still run it).
    return [] if change.action == DELETE else [Step("image.push", change.address)]


def image_push(context: Context, step: Step) -> None:
    from fnship.packaging.images.push import push_layout
    from fnship.packaging.images.registry import RegistryClient

    resource = context.desired(step)
    extras = resource.extras
    _host, user, password = context.aws.ecr.credentials()
    client = RegistryClient(extras["registry"], basic=(user, password))
    digest, uploaded = push_layout(Path(extras["layout"]), client, extras["repository"], tag=extras["tag"])
    context.outputs[step.address] = {"digest": digest, "uploaded": uploaded}


# -- reading live state (read-only) ------------------------------------------------------------------------------


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


KIND = Kind(
    name="image",
    steps=image_steps,
    handlers={"image.push": image_push},
    read=read_image,
)
