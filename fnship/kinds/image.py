"""The `image` kind: a function's container image pushed to the service's ECR repository, compared by digest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from fnship.kinds.base import Context, Kind
from fnship.model.resources import Resource, Spec
from fnship.plan.diff import DELETE, Change, Step

if TYPE_CHECKING:
    from fnship.plan.reads import Reads


@dataclass(frozen=True, kw_only=True)
class Image(Spec):
    """A function's container image (its URI is the resource's name), compared by its manifest digest."""

    kind: ClassVar[str] = "image"
    digest: str
    # Where it is built and where it goes (not compared: the digest is).
    layout: str = field(compare=False)  # the OCI layout directory the build wrote
    registry: str = field(compare=False)  # the registry host
    repository: str = field(compare=False)
    tag: str = field(compare=False)


def image_steps(change: Change) -> list[Step]:
    # An image that left the manifest stays in the repository (older versions may still run it).
    return [] if change.action == DELETE else [Step("image.push", change.address)]


def image_push(context: Context, step: Step) -> None:
    from fnship.packaging.images.push import push_layout
    from fnship.packaging.images.registry import RegistryClient

    spec = context.desired_spec(step, Image)
    _host, user, password = context.aws.ecr.credentials()
    client = RegistryClient(spec.registry, basic=(user, password))
    digest, uploaded = push_layout(Path(spec.layout), client, spec.repository, tag=spec.tag)
    context.outputs[step.address] = {"digest": digest, "uploaded": uploaded}


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_image(aws: Reads, stub: Resource) -> list[Resource]:
    """The image is live when its repository exists and the registry has its manifest digest (a desired image is
    the stub: images are not discovered, an image that left the manifest stays)."""
    from fnship.packaging.images.registry import RegistryClient, RegistryError

    spec = stub.spec_as(Image)
    if aws.ecr.repository_or_none(spec.repository) is None:
        return []
    _host, user, password = aws.ecr.credentials()
    client = RegistryClient(spec.registry, basic=(user, password))
    try:
        present = client.has_manifest(spec.repository, spec.digest)
    except RegistryError:
        present = False
    if not present:
        return []
    return [Resource.of(stub.address, stub.name, spec)]


KIND = Kind(
    name="image",
    steps=image_steps,
    handlers={"image.push": image_push},
    read=read_image,
)
