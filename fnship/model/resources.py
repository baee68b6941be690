"""Desired and live state as the same shape: resources with an address, a kind, a physical name and attributes.

Pure: no AWS, no filesystem. Both the model (desired) and the live reader (live) produce `Resource`s whose
`attrs` are normalized the same way, so the diff can compare them field by field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fnship.secret import Secret

OWNER_SERVICE_TAG = "fnship:service"
OWNER_STAGE_TAG = "fnship:stage"
OWNER_FUNCTION_TAG = "fnship:function"
# On a function with environment variables: the names of those that are secrets (space-separated), so a plan can
# show a removed plain variable's value and still hide a removed secret's. "*" when the names do not fit in a tag.
SECRET_ENV_TAG = "fnship:secret-env"
ALL_SECRET = "*"
TAG_VALUE_MAX = 256  # https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html


class _KnownAfterApply:
    """A value that only exists once the plan runs (a version number, an ARN)."""

    _instance: _KnownAfterApply | None = None

    def __new__(cls) -> _KnownAfterApply:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    __str__ = __repr__


KNOWN_AFTER_APPLY = _KnownAfterApply()


@dataclass(frozen=True)
class Ref:
    """A value built from another resource's id, known once that resource exists (an API id in a SourceArn).

    The planner swaps it for the real value when the referenced resource is live; the executor does the same
    with the id a create step reported. Until then it prints as (known after apply).
    """

    address: str  # the referenced resource ("http_api", "rest_api")
    template: str  # "{id}" stands for the referenced resource's id

    def with_id(self, resource_id: str) -> str:
        return self.template.replace("{id}", resource_id)

    def __str__(self) -> str:
        return str(KNOWN_AFTER_APPLY)


def resolve_refs(value: Any, ids: Mapping[str, str]) -> Any:
    """`value` with every Ref whose address has an id in `ids` replaced by its text (recursively)."""
    if isinstance(value, Ref):
        found = ids.get(value.address)
        return value.with_id(found) if found else value
    if isinstance(value, Mapping):
        return {key: resolve_refs(item, ids) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(resolve_refs(item, ids) for item in value)
    return value


def has_ref(value: Any) -> bool:
    if isinstance(value, Ref):
        return True
    if isinstance(value, Mapping):
        return any(has_ref(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_ref(item) for item in value)
    return False


@dataclass(frozen=True)
class Resource:
    address: str  # "function.api", "role.api", "log_group.api", "alias.api.live"
    kind: str  # the key into the planner's and executor's tables
    name: str  # the physical name in AWS
    attrs: Mapping[str, Any]  # compared with the other side; Secret values compare by value, print as (sensitive)
    depends_on: tuple[str, ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict, compare=False)  # carried for the executor, not diffed


@dataclass(frozen=True)
class State:
    """A set of resources for one service and stage, in dependency order."""

    service: str
    stage: str
    region: str
    resources: tuple[Resource, ...] = ()

    def by_address(self) -> dict[str, Resource]:
        return {resource.address: resource for resource in self.resources}

    def get(self, address: str) -> Resource | None:
        return self.by_address().get(address)

    def of_kind(self, kind: str) -> list[Resource]:
        return [resource for resource in self.resources if resource.kind == kind]

    def with_resources(self, resources: Iterable[Resource]) -> State:
        return State(self.service, self.stage, self.region, tuple(resources))


def ownership_tags(service: str, stage: str) -> dict[str, str]:
    return {OWNER_SERVICE_TAG: service, OWNER_STAGE_TAG: stage}


def secret_env_tag(environment: Mapping[str, Any]) -> dict[str, str]:
    """The SECRET_ENV_TAG for a function's environment (none without environment variables)."""
    if not environment:
        return {}
    names = " ".join(sorted(name for name, value in environment.items() if isinstance(value, Secret)))
    return {SECRET_ENV_TAG: names if len(names) <= TAG_VALUE_MAX else ALL_SECRET}


def secret_env_names(tags: Mapping[str, str] | None) -> frozenset[str] | None:
    """The secret variables a live function's SECRET_ENV_TAG names; None when it has none (deployed without the
    record, or names that did not fit): then any of its values may be a secret."""
    record = (tags or {}).get(SECRET_ENV_TAG)
    if record is None or record == ALL_SECRET:
        return None
    return frozenset(record.split())
