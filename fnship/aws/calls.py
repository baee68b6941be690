"""Turning botocore failures into fnship errors that name the resource, the action and AWS's error; paged list
calls through boto3's paginators."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar, overload

from fnship.errors import FnError

if TYPE_CHECKING:
    from botocore.client import BaseClient

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


def aws_call(resource: str, action: str, fn: Callable[..., T], **kwargs: object) -> T:
    """Run one boto3 call; a failure becomes an AwsError naming `resource` and `action`."""
    return _call(resource, action, fn, kwargs, missing_ok=False)


def call_or_none(resource: str, action: str, fn: Callable[..., T], **kwargs: object) -> T | None:
    """Like aws_call, but a not-found answer is None."""
    return _call(resource, action, fn, kwargs, missing_ok=True)


class Tag(TypedDict):
    Key: str
    Value: str


def tag_list(tags: Mapping[str, str]) -> list[Tag]:
    """Tags in the list form most AWS APIs take (`[{"Key": ..., "Value": ...}]`), sorted by key."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


# boto3's paginator for an operation named by a string (the typed clients' `get_paginator` takes only literals).
def pages(
    client: BaseClient, operation: str, resource: str, *, missing_ok: bool = False, **kwargs: object
) -> Iterator[dict[str, Any]]:
    """Each page of a paged call, through boto3's paginator for `operation` (the client method's name), asked for
    as it is consumed: stop early, and no further page is requested. With `missing_ok`, a not-found answer ends
    the pages instead of failing. A page is boto3's answer as it enters: the adapter method that asked says what
    its items are (its return type)."""
    from botocore.exceptions import BotoCoreError, ClientError

    action = client.meta.method_to_api_mapping.get(operation, operation)  # GetRestApis, as errors name it
    iterator = iter(client.get_paginator(operation).paginate(**kwargs))
    while True:
        try:
            page = next(iterator)
        except StopIteration:
            return
        except (ClientError, BotoCoreError) as exc:
            if missing_ok and isinstance(exc, ClientError) and is_not_found(exc):
                return
            raise describe(exc, resource=resource, action=action, client=client) from exc
        yield page


def paged(
    client: BaseClient, operation: str, resource: str, items: str, *, missing_ok: bool = False, **kwargs: object
) -> list[Any]:
    """The `items` member of every page of a paged call, in order (see `pages`)."""
    listed = pages(client, operation, resource, missing_ok=missing_ok, **kwargs)
    return [item for page in listed for item in page.get(items) or []]


def paged_or_none(client: BaseClient, operation: str, resource: str, items: str, **kwargs: object) -> list[Any] | None:
    """Like `paged`, but None when the first page answers not found (the resource the list hangs on is gone)."""
    found: list[Any] = []
    answered = False
    for page in pages(client, operation, resource, missing_ok=True, **kwargs):
        answered = True
        found += page.get(items) or []
    return found if answered else None


@overload
def _call(
    resource: str, action: str, fn: Callable[..., T], kwargs: dict[str, object], *, missing_ok: Literal[False]
) -> T: ...
@overload
def _call(
    resource: str, action: str, fn: Callable[..., T], kwargs: dict[str, object], *, missing_ok: Literal[True]
) -> T | None: ...
def _call(resource: str, action: str, fn: Callable[..., T], kwargs: dict[str, object], *, missing_ok: bool) -> T | None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return fn(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        if missing_ok and isinstance(exc, ClientError) and is_not_found(exc):
            return None
        raise describe(exc, resource=resource, action=action, client=getattr(fn, "__self__", None)) from exc


def describe(exc: BaseException, *, resource: str, action: str, client: object = None) -> FnError:
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
