"""What the AWS service models that botocore ships say, read without any AWS call.

Only fnship/aws imports botocore; this module is imported lazily (loading the Lambda model takes ~0.2 s), and
the answer is kept for the life of the process.
"""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def lambda_runtimes() -> tuple[str, ...]:
    """The `Runtime` enum of the Lambda API model: every identifier `CreateFunction` accepts, in the model's order.
    A boto3 upgrade brings AWS's new runtimes with it."""
    from botocore.loaders import create_loader

    model = create_loader().load_service_model("lambda", "service-2")
    return tuple(model["shapes"]["Runtime"]["enum"])
