"""Where artifacts are kept before Lambda takes them: `deployment_bucket` (the bucket fnship creates once per account
and region for zips over Lambda's direct-upload limit) and `ecr_repository` (the service's image repository).

Both are planned like any resource, so a plan shows them before they are created. Neither is deleted by fnship:
the bucket is shared by every service of the account and region, and the repository keeps the images older
versions still run.
"""

from __future__ import annotations

from typing import Any

from fnship.kinds.base import Context, Kind
from fnship.model.resources import Resource
from fnship.plan.diff import Step


def deployment_bucket_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.buckets.ensure(resource.name, tags=resource.extras["tags"])


def ecr_repository_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.ecr.ensure_repository(
        resource.name, tags=resource.extras["tags"], scan_on_push=resource.attrs["scan_on_push"]
    )


def ecr_repository_update(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.ecr.set_scan_on_push(resource.name, resource.attrs["scan_on_push"])


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_deployment_bucket(aws: Any, stub: Resource) -> list[Resource]:
    """The bucket fnship keeps per account and region: live when it exists (it is created whole, never changed)."""
    return [Resource(stub.address, stub.kind, stub.name, {})] if aws.buckets.exists(stub.name) else []


def read_repository(aws: Any, stub: Resource) -> list[Resource]:
    found = aws.ecr.repository_or_none(stub.name)
    if found is None:
        return []
    scan = bool((found.get("imageScanningConfiguration") or {}).get("scanOnPush"))
    return [Resource(stub.address, stub.kind, stub.name, {"scan_on_push": scan})]


DEPLOYMENT_BUCKET_KIND = Kind(
    name="deployment_bucket",
    handlers={"deployment_bucket.create": deployment_bucket_create},
    read=read_deployment_bucket,
)
ECR_REPOSITORY_KIND = Kind(
    name="ecr_repository",
    handlers={"ecr_repository.create": ecr_repository_create, "ecr_repository.update": ecr_repository_update},
    read=read_repository,
)
