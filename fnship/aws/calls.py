"""Turning botocore failures into fnship errors that name the resource, the action and AWS's error; following
the continuation token of paged list calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from fnship.errors import FnError

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


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags in the list form most AWS APIs take (`[{"Key": ..., "Value": ...}]`), sorted by key."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


# How a paged call names its continuation token: (request parameter, response member).
MARKER = ("Marker", "NextMarker")  # Lambda
NEXT_TOKEN = ("NextToken", "NextToken")  # API Gateway v2, SNS
POSITION = ("position", "position")  # API Gateway (REST)
PAGINATION_TOKEN = ("PaginationToken", "PaginationToken")  # Resource Groups Tagging


def pages(
    resource: str,
    action: str,
    fn: Callable[..., dict[str, Any]],
    *,
    token: tuple[str, str],
    missing_ok: bool = False,
    **kwargs: Any,
) -> Iterator[dict[str, Any]]:
    """Each page of a paged call, asked for as it is consumed (stop early, and no further page is requested).

    With `missing_ok`, a not-found answer ends the pages instead of failing.
    """
    request, response = token
    while True:
        page = _call(resource, action, fn, kwargs, missing_ok=missing_ok)
        if page is None:
            return
        yield page
        next_token = page.get(response)
        if not next_token:
            return
        kwargs = {**kwargs, request: next_token}


def paged_items(
    resource: str,
    action: str,
    fn: Callable[..., dict[str, Any]],
    *,
    items: str,
    token: tuple[str, str],
    missing_ok: bool = False,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """The `items` member of every page of a paged call, in order."""
    every = pages(resource, action, fn, token=token, missing_ok=missing_ok, **kwargs)
    return [item for page in every for item in page.get(items) or []]


def _call(resource: str, action: str, fn: Callable[..., T], kwargs: dict[str, Any], *, missing_ok: bool) -> T | None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return fn(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        if missing_ok and isinstance(exc, ClientError) and is_not_found(exc):
            return None
        raise describe(exc, resource=resource, action=action, client=getattr(fn, "__self__", None)) from exc


def describe(exc: BaseException, *, resource: str, action: str, client: Any = None) -> FnError:
    """The FnError for a failed call, with the profile, region and service of the client that made it."""
    from fnship.aws.errors import explain
    from fnship.aws.session import target_of

    target = target_of(client) if client is not None else None
    meta = getattr(client, "meta", None)
    service = str(getattr(getattr(meta, "service_model", None), "signing_name", "") or "")
    region = target.region if target else getattr(meta, "region_name", None)
    return explain(
        exc,
        resource=resource,
        action=action,
        service=service,
        region=region,
        profile=target.profile if target else None,
        local_endpoint=target.endpoint_url if target and target.local else None,
    )
