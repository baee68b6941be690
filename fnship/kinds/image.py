"""The `image` kind: a function's container image pushed to the service's ECR repository, compared by digest."""

from __future__ import annotations

from pathlib import Path

from fnship.kinds.base import Context, Kind
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


KIND = Kind(name="image", steps=image_steps, handlers={"image.push": image_push})
