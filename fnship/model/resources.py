"""Desired and live state as the same shape: resources with an address, a kind, a physical name and attributes.

Pure: no AWS, no filesystem. Both the model (desired) and the live reader (live) produce `Resource`s whose
`attrs` are normalized the same way, so the diff can compare them field by field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, ClassVar, TypeAlias, TypeGuard, TypeVar, Union, cast

from fnship.secret import Secret

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

OWNER_SERVICE_TAG = "fnship:service"
OWNER_STAGE_TAG = "fnship:stage"
OWNER_FUNCTION_TAG = "fnship:function"
# On a role fnship makes for a service rather than for Lambda (EventBridge Scheduler's): what it is for, so
# discovery gives it its own address (`role.<function>.scheduler`), not the execution role's.
ROLE_PURPOSE_TAG = "fnship:role"
OWNER_API_TAG = "fnship:api"  # a shared API's own resource (the REST API's access log group): which API
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


T = TypeVar("T")


def resolve_refs(value: T, lookup: Lookup) -> T:
    """`value` with every Ref that `lookup` knows replaced by its text (recursively, into specs too); the others
    stay Refs."""
    # The same shape as `value` (each container rebuilt as its own type), a Ref in it replaced by its text.
    return cast(T, _resolve(value, lookup))


def _resolve(value: object, lookup: Lookup) -> object:
    if isinstance(value, Ref):
        found = lookup(value.address, value.attribute)
        return value.with_value(found) if found else value
    if isinstance(value, Spec) or _is_part(value):
        # (a part of a spec too: an alias's release settings name alarms the companion stack may decide)
        fields = [f.name for f in dataclasses.fields(value) if f.init]
        changed = {name: _resolve(getattr(value, name), lookup) for name in fields}
        if all(changed[name] is getattr(value, name) for name in fields):
            return value
        return dataclasses.replace(value, **changed)
    if isinstance(value, Mapping):
        return {key: _resolve(item, lookup) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve(item, lookup) for item in value)
    return value


def refs_in(value: object) -> list[Ref]:
    """Every Ref inside `value` (recursively)."""
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, Spec) or _is_part(value):
        return [ref for f in dataclasses.fields(value) for ref in refs_in(getattr(value, f.name))]
    if isinstance(value, Mapping):
        return [ref for item in value.values() for ref in refs_in(item)]
    if isinstance(value, (list, tuple)):
        return [ref for item in value for ref in refs_in(item)]
    return []


def _is_part(value: object) -> TypeGuard[DataclassInstance]:
    """A dataclass instance inside a spec (release settings, a rule's target)."""
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def has_ref(value: object) -> bool:
    return bool(refs_in(value))


class Spec:
    """A resource kind's typed spec: a frozen dataclass in the kind's module (fnship/kinds/<kind>.py), made by the
    model (desired) and by the kind's reader from AWS's answer (live), so both sides are the same type.

    Its fields that compare (dataclass `compare=True`, the default) are what the differ compares and the plan
    shows, by name; the others (`field(compare=False)`) are identifiers AWS assigns (an id, a UUID: set on the
    live side only) that handlers and references use.
    """

    kind: ClassVar[str]  # the key into fnship.kinds.KINDS
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[object]]]  # every Spec is a dataclass

    def output_value(self, attribute: str) -> str | None:
        """An identifier AWS assigned (`id`, `arn`, `uuid`): the field of that name (a kind with other outputs
        says how to find them)."""
        found = getattr(self, attribute, None)
        return str(found) if found else None

    def compared(self) -> dict[str, PlanValue]:
        """The compared fields as plain data (tuples as lists, nested specs as mappings): the plan's attributes."""
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.compare}


# A value as the plan compares and shows it: JSON-like data, with Secrets and Refs kept as they are.
PlanValue: TypeAlias = Union[str, int, float, bool, None, Ref, Secret, _KnownAfterApply, "PlanMapping", "PlanList"]
PlanMapping: TypeAlias = Mapping[str, PlanValue]
PlanList: TypeAlias = list[PlanValue]


def plain(value: object) -> PlanValue:
    """A spec's value as the plan shows and compares it: JSON-like data, Secrets and Refs kept as they are."""
    if value is None or isinstance(value, (str, int, float, bool, Ref, Secret, _KnownAfterApply)):
        return value
    if isinstance(value, Spec):
        return value.compared()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # a part of a spec (a rule's target)
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare}
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    raise TypeError(f"a spec holds {value!r}, which a plan cannot show")


S = TypeVar("S", bound=Spec)


@dataclass(frozen=True)
class FunctionScope:
    """The function alias a resource belongs to (a trigger, its permission, a URL, an async config): where its
    handlers and readers find it, and what it depends on."""

    function_key: str
    function_name: str
    alias: str  # also the qualifier of the alias's policy, URL and async config
    alias_arn: str
    event_type: str = ""  # a trigger's event type ("sqs", "httpApi", ...) and name, unique per function and type
    trigger_name: str = ""
    service: str = ""  # the owner: what finds the service's shared resources (its APIs) for a route
    stage: str = ""


@dataclass(frozen=True)
class Found:
    """What discovery learnt of a resource it has not read yet (a stub: no spec), besides its name and scope:
    where its reader finds it."""

    arn: str | None = None  # a function's unqualified ARN (where its aliases are); a topic's ARN
    api_id: str | None = None  # the API of a route, method or authorizer (its statement's SourceArn names it)
    event_bus: str | None = None  # a rule's event bus (None: the default bus)
    bucket: str | None = None  # the bucket of a notification entry


@dataclass(frozen=True)
class Resource:
    """A resource of a typed kind (`of`: its kind and compared attributes come from its spec), or a stub: what
    discovery found, or a reader is asked for, before reading (no spec, no attributes)."""

    address: str  # "function.api", "role.api", "log_group.api", "alias.api.live"
    kind: str  # the key into the planner's and executor's tables
    name: str  # the physical name in AWS
    _: KW_ONLY
    depends_on: tuple[str, ...] = ()
    # The kind's typed spec: None only on a stub.
    spec: Spec | None = field(default=None, compare=False)
    scope: FunctionScope | None = field(default=None, compare=False)  # the function alias it belongs to, if any
    found: Found | None = field(default=None, compare=False)  # where discovery found a stub
    # Compared with the other side: the spec's compared fields, derived here (never given); Secret values compare
    # by value, print as (sensitive). Empty on a stub.
    attrs: PlanMapping = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.spec is not None:
            assert self.spec.kind == self.kind, f"{self.address}: a {self.spec.kind} spec on a {self.kind}"
            object.__setattr__(self, "attrs", self.spec.compared())

    @classmethod
    def of(
        cls, address: str, name: str, spec: Spec, *, depends_on: Iterable[str] = (), scope: FunctionScope | None = None
    ) -> Resource:
        """A resource of a typed kind: its kind and attributes come from its spec."""
        return cls(address, spec.kind, name, depends_on=tuple(depends_on), spec=spec, scope=scope)

    def spec_as(self, spec_type: type[S]) -> S:
        """The typed spec, checked to be of the kind's type (a reader that made another is a programming error)."""
        assert isinstance(self.spec, spec_type), f"{self.address} has no {spec_type.__name__} spec: {self.spec!r}"
        return self.spec

    def in_scope(self) -> FunctionScope:
        assert self.scope is not None, f"{self.address} belongs to no function"
        return self.scope

    def output(self, attribute: str) -> str | None:
        """An identifier AWS assigned to it (`id`, `arn`, `uuid`) that references resolve to: its spec's field of
        that name."""
        return self.spec.output_value(attribute) if self.spec is not None else None


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


def secret_env_tag(environment: Mapping[str, object]) -> dict[str, str]:
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
