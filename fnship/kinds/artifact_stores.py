"""Where artifacts are kept before Lambda takes them: `deployment_bucket` (the bucket fnship creates once per account
and region for zips over Lambda's direct-upload limit) and `ecr_repository` (the service's image repository).

Both are planned like any resource, so a plan shows them before they are created. Neither is deleted by fnship:
the bucket is shared by every service of the account and region, and the repository keeps the images older
versions still run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.kinds.base import Context, Kind
from fnship.model.resources import Resource, Spec
from fnship.plan.diff import Step

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import RepositoryTypeDef

    from fnship.plan.reads import Reads


@dataclass(frozen=True, kw_only=True)
class DeploymentBucket(Spec):
    """The bucket fnship keeps per account and region (its name is the resource's name): created whole, never
    changed, so nothing of it is compared."""

    kind: ClassVar[str] = "deployment_bucket"
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)  # set when created (desired only)


@dataclass(frozen=True, kw_only=True)
class EcrRepository(Spec):
    """The service's image repository (its name is the resource's name)."""

    kind: ClassVar[str] = "ecr_repository"
    scan_on_push: bool
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)  # set when created (desired only)


def repository_from_aws(found: RepositoryTypeDef) -> EcrRepository:
    """A DescribeRepositories item as the spec."""
    return EcrRepository(scan_on_push=bool((found.get("imageScanningConfiguration") or {}).get("scanOnPush")))


def deployment_bucket_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.buckets.ensure(resource.name, tags=resource.spec_as(DeploymentBucket).tags)


def ecr_repository_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(EcrRepository)
    context.aws.ecr.ensure_repository(resource.name, tags=spec.tags, scan_on_push=spec.scan_on_push)


def ecr_repository_update(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.ecr.set_scan_on_push(resource.name, resource.spec_as(EcrRepository).scan_on_push)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_deployment_bucket(aws: Reads, stub: Resource) -> list[Resource]:
    """The bucket fnship keeps per account and region: live when it exists (it is created whole, never changed)."""
    return [Resource.of(stub.address, stub.name, DeploymentBucket())] if aws.buckets.exists(stub.name) else []


def read_repository(aws: Reads, stub: Resource) -> list[Resource]:
    found = aws.ecr.repository_or_none(stub.name)
    if found is None:
        return []
    return [Resource.of(stub.address, stub.name, repository_from_aws(found))]


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
