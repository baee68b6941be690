"""A function's durable execution (`durableConfig`) and Lambda Managed Instances (`provider.capacityProviders`, a
function's `capacityProvider`), validated against the Lambda API's ranges and combinations. Pure.

Durable functions: https://docs.aws.amazon.com/lambda/latest/dg/durable-configuration.html
Managed Instances (Serverless v4's key names): https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fnship.frozen import frozen
from fnship.manifest.checks import Checker, show
from fnship.manifest.types import KeyPath

DURABLE_KEYS = frozenset({"executionTimeout", "retentionPeriodInDays", "kmsKeyArn"})
# https://docs.aws.amazon.com/lambda/latest/api/API_DurableConfig.html
EXECUTION_TIMEOUT_S = (1, 31_622_400)  # a 366-day year
RETENTION_DAYS = (1, 90)
DEFAULT_RETENTION_DAYS = 14  # what Lambda keeps when the setting is left out
# The managed runtimes durable execution supports (container images bring their own SDK, any runtime):
# https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html
DURABLE_RUNTIMES = (
    "nodejs22.x",
    "nodejs24.x",
    "python3.13",
    "python3.14",
    "java17",
    "java21",
    "java25",
    "dotnet8",
    "dotnet10",
)
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+$")
DURABLE_DOCS = "https://docs.aws.amazon.com/lambda/latest/dg/durable-functions.html"


@frozen
class DurableSpec:
    """`durableConfig`: how long one durable execution may run, how long its history is kept, its KMS key."""

    execution_timeout: int
    retention_days: int = DEFAULT_RETENTION_DAYS
    kms_key_arn: str | None = None


def parse_durable(
    raw: Mapping[str, Any], path: KeyPath, check: Checker, *, runtime: str, image: bool, versioned: bool = True
) -> DurableSpec | None:
    """A function's `durableConfig`, or None when it has none. Its runtime must be one durable execution supports
    (an image function's is its own), and its versions published: Lambda runs durable executions on a version,
    never on an unqualified ARN, so every trigger and invoke goes through the alias."""
    value = raw.get("durableConfig")
    if value is None or value is False:
        return None
    where = (*path, "durableConfig")
    found = check.want_mapping(value, where, what="a mapping (executionTimeout, retentionPeriodInDays, kmsKeyArn)")
    if found is None:
        return None
    check.keys(found, where, DURABLE_KEYS)
    if not versioned:
        check.error(
            where,
            "a durable function needs published versions (Lambda refuses unqualified invokes of it), and "
            "provider.versionFunctions is false",
            "remove versionFunctions: false, so its alias serves a published version",
            at_key=True,
        )
    if not image and runtime not in DURABLE_RUNTIMES:
        runtime_path = (*path, "runtime") if raw.get("runtime") is not None else ("provider", "runtime")
        check.error(
            runtime_path if raw.get("runtime") is not None else where,
            f"runtime {runtime} does not support durable execution; it runs on {', '.join(DURABLE_RUNTIMES)} "
            "(or a container image)",
            "https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html",
        )
    if found.get("executionTimeout") is None:
        check.error(where, "executionTimeout is required (seconds a durable execution may run)", DURABLE_DOCS,
                    at_key=True)  # fmt: skip
        return None
    low, high = EXECUTION_TIMEOUT_S
    timeout = check.want_int(found["executionTimeout"], (*where, "executionTimeout"), minimum=low, maximum=high,
                             unit="seconds", limit="AWS")  # fmt: skip
    retention = DEFAULT_RETENTION_DAYS
    if found.get("retentionPeriodInDays") is not None:
        low, high = RETENTION_DAYS
        retention = check.want_int(found["retentionPeriodInDays"], (*where, "retentionPeriodInDays"), minimum=low,
                                   maximum=high, unit="days", limit="AWS") or DEFAULT_RETENTION_DAYS  # fmt: skip
    key = None
    if found.get("kmsKeyArn") is not None:
        key = check.want_str(found["kmsKeyArn"], (*where, "kmsKeyArn"))
        if key is not None and not KMS_KEY_ARN.match(key):
            check.error(
                (*where, "kmsKeyArn"), f"{show(key)} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/...)"
            )
            key = None
    if timeout is None:
        return None
    return DurableSpec(execution_timeout=timeout, retention_days=retention, kms_key_arn=key)
