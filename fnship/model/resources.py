"""Desired and live state as the same shape: resources with an address, a kind, a physical name and attributes.

Pure: no AWS, no filesystem. Both the model (desired) and the live reader (live) produce `Resource`s whose
`attrs` are normalized the same way, so the diff can compare them field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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
    """A value that another resource's attribute decides, known once that resource exists: an API's `id` inside a
    SourceArn, a layer version's `arn` in a function's layers.

    One resolver (`resolve_refs`) replaces it: the planner's lookup answers from live state (when the referenced
    resource keeps that value through this plan), the executor's from what earlier steps reported, then live
    state. Until then it prints as (known after apply).
    """

    address: str  # the referenced resource (an Address)
    attribute: str  # "id", "arn"
    template: str = "{value}"  # how the value appears: "{value}" stands for it

    def with_value(self, value: str) -> str:
        return self.template.replace("{value}", value)

    def __str__(self) -> str:
        return str(KNOWN_AFTER_APPLY)


Lookup = Callable[[str, str], "str | None"]  # (address, attribute) -> the value, or None while unknown


def resolve_refs(value: Any, lookup: Lookup) -> Any:
    """`value` with every Ref that `lookup` knows replaced by its text (recursively); the others stay Refs."""
    if isinstance(value, Ref):
        found = lookup(value.address, value.attribute)
        return value.with_value(found) if found else value
    if isinstance(value, Mapping):
        return {key: resolve_refs(item, lookup) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(resolve_refs(item, lookup) for item in value)
    return value


def refs_in(value: Any) -> list[Ref]:
    """Every Ref inside `value` (recursively)."""
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, Mapping):
        return [ref for item in value.values() for ref in refs_in(item)]
    if isinstance(value, (list, tuple)):
        return [ref for item in value for ref in refs_in(item)]
    return []


def has_ref(value: Any) -> bool:
    return bool(refs_in(value))


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
