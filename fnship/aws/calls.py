"""Turning botocore failures into fnship errors that name the resource, the action and AWS's error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fnship.errors import AwsError, FnError

T = TypeVar("T")

NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "NoSuchEntity",
        "NoSuchEntityException",
        "ParameterNotFound",
        "NotFoundException",
        "NotFound",  # SNS: a missing topic
        "NoSuchBucket",
    }
)


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(exc).__name__))


def error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Message", exc))


def is_not_found(exc: BaseException) -> bool:
    return error_code(exc) in NOT_FOUND_CODES


def aws_call(resource: str, action: str, fn: Callable[..., T], **kwargs: Any) -> T:
    """Run one boto3 call; a failure becomes an AwsError naming `resource` and `action`."""
    return _call(resource, action, fn, kwargs, missing_ok=False)  # type: ignore[return-value]


def call_or_none(resource: str, action: str, fn: Callable[..., T], **kwargs: Any) -> T | None:
    """Like aws_call, but a not-found answer is None."""
    return _call(resource, action, fn, kwargs, missing_ok=True)


def _call(resource: str, action: str, fn: Callable[..., T], kwargs: dict[str, Any], *, missing_ok: bool) -> T | None:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        return fn(**kwargs)
    except NoCredentialsError as exc:
        raise FnError(
            "No AWS credentials found (tried the profile, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and instance roles)",
            hint="set AWS_PROFILE or pass --profile, export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or use --local to deploy to the embedded emulator",
        ) from exc
    except ClientError as exc:
        if missing_ok and is_not_found(exc):
            return None
        raise AwsError(resource=resource, action=action, code=error_code(exc), detail=error_message(exc)) from exc
    except BotoCoreError as exc:
        raise AwsError(resource=resource, action=action, code=type(exc).__name__, detail=str(exc)) from exc
