"""Where artifacts are kept before Lambda takes them: `deployment_bucket` (the bucket fnship creates once per account
and region for zips over Lambda's direct-upload limit) and `ecr_repository` (the service's image repository).

Both are planned like any resource, so a plan shows them before they are created. Neither is deleted by fnship:
the bucket is shared by every service of the account and region, and the repository keeps the images older
versions still run.
"""

from __future__ import annotations

from fnship.kinds.base import Context, Kind
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


DEPLOYMENT_BUCKET_KIND = Kind(name="deployment_bucket", handlers={"deployment_bucket.create": deployment_bucket_create})
ECR_REPOSITORY_KIND = Kind(
    name="ecr_repository",
    handlers={"ecr_repository.create": ecr_repository_create, "ecr_repository.update": ecr_repository_update},
)
