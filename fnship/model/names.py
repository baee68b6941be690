"""Physical names, as the Serverless Framework makes them, shortened with a stable hash where AWS limits them.

Pure: no AWS, no filesystem.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from fnship.arns import arn

if TYPE_CHECKING:
    from fnship.manifest.types import FunctionSpec

IAM_ROLE_NAME_MAX = 64


def shorten(name: str, limit: int) -> str:
    """`name` if it fits, else a prefix plus an 8-character hash of the whole name (stable across runs)."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-_')}-{digest}"


def role_name(*, service: str, stage: str, function_key: str, region: str) -> str:
    return shorten(f"{service}-{stage}-{function_key}-{region}-lambdaRole", IAM_ROLE_NAME_MAX)


def shared_role_name(*, service: str, stage: str, region: str) -> str:
    """The one role of `provider.iam.role.mode: shared`, named as the Serverless Framework names its role."""
    return shorten(f"{service}-{stage}-{region}-lambdaRole", IAM_ROLE_NAME_MAX)


def scheduler_role_name(*, service: str, stage: str, function_key: str, region: str) -> str:
    """The role EventBridge Scheduler assumes to invoke one function's alias."""
    return shorten(f"{service}-{stage}-{function_key}-{region}-schedulerRole", IAM_ROLE_NAME_MAX)


SCHEDULE_GROUP_NAME_MAX = 64  # https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateScheduleGroup.html


def schedule_group_name(*, service: str, stage: str) -> str:
    """One EventBridge Scheduler group per service and stage: it holds the ownership tags schedules cannot."""
    return shorten(f"{service}-{stage}", SCHEDULE_GROUP_NAME_MAX)


def capacity_provider_name(*, service: str, stage: str, key: str) -> str:
    """A `provider.capacityProviders` entry's name (Lambda allows letters, digits, '-' and '_', 140 characters)."""
    return f"{service}-{stage}-{key}"


def capacity_provider_arn(*, region: str, account_id: str, name: str) -> str:
    return arn("lambda", f"capacity-provider:{name}", region=region, account_id=account_id)


def operator_role_name(*, service: str, stage: str, key: str, region: str) -> str:
    """The role Lambda assumes to run a capacity provider's instances."""
    return shorten(f"{service}-{stage}-{key}-{region}-operatorRole", IAM_ROLE_NAME_MAX)


def role_path(*, service: str, stage: str) -> str:
    """Our roles live under their own IAM path, so `fn remove` can list exactly this service and stage's roles."""
    return f"/fnship/{service}/{stage}/"


def role_arn(*, account_id: str, path: str, name: str, region: str) -> str:
    """IAM is global, but its ARNs carry the partition of the region the role is used in."""
    return arn("iam", f"role{path}{name}", account_id=account_id, partition_of=region)


def deployment_bucket_name(*, account_id: str, region: str) -> str:
    """The bucket fnship creates once per account and region for code over Lambda's direct-upload limit."""
    return f"fnship-deployments-{account_id}-{region}"


def log_group_name(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def log_group_arn(*, region: str, account_id: str, function_name: str, group: str | None = None) -> str:
    """The ARN of the function's log group: `group` (a custom `logs.logGroup`) or its /aws/lambda/ one."""
    name = group or log_group_name(function_name)
    return arn("logs", f"log-group:{name}", region=region, account_id=account_id)


def function_log_group(function: FunctionSpec) -> str:
    """Where a function's logs go: its `logs.logGroup` (or provider.logs.lambda's), else /aws/lambda/<name>."""
    logging = function.lambda_settings.logging
    return (logging.log_group if logging is not None else None) or log_group_name(function.name)


def function_arn(*, region: str, account_id: str, function_name: str) -> str:
    return arn("lambda", f"function:{function_name}", region=region, account_id=account_id)
