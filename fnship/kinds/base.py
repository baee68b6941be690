"""What every resource kind module provides, and the apply context its handlers get.

A `Kind` is one resource kind's vocabulary in one value: how its desired and live sides are compared, which
fields AWS cannot change in place (a change to one plans a replacement, `-/+`), which steps a change needs, the
handlers that carry those steps out, and what it depends on. Purity stays per function: `diff`/`steps`/`depends`
are pure, handlers mutate AWS (through the `fnship.aws` handle in the context, never boto3 directly).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

from fnship.errors import AwsError
from fnship.jsonvalue import JsonValue
from fnship.model.address import Address
from fnship.model.resources import Resource, S, T, has_ref, resolve_refs
from fnship.plan.diff import CREATE, DELETE, REPLACE, Change, FieldChange, Plan, Step, generic_fields

if TYPE_CHECKING:  # (plan/reads.py imports the model's trigger helpers, which import this module)
    from fnship.aws import Aws
    from fnship.plan.reads import OnAlias, Reads
    from fnship.strategies.shifter import Runtime


# What apply steps report, by address: the identifiers AWS assigned (`id`, `arn`, `version`...), and under
# "release" the release's outcome per function.
Outputs = dict[str, dict[str, JsonValue]]


@dataclass
class Context:
    """What a handler gets: the AWS handle, the plan it applies, and what earlier steps reported."""

    aws: Aws
    plan: Plan
    description: str  # the published version's description: names the release
    outputs: Outputs = field(default_factory=dict)
    release: Mapping[str, str | None] = field(default_factory=dict)  # release id, commit, who: what hooks are told
    runtime: Runtime | None = None  # clock, sleep, progress, interrupt policy
    # The executor's progress reporter: ("progress", step with a `message` detail) says how a long step goes.
    report: Callable[[str, Step], None] = lambda _event, _step: None

    def desired(self, step: Step) -> Resource:
        """The step's desired resource (a step that makes or changes something has one)."""
        return self.desired_at(step.address)

    def live(self, step: Step) -> Resource | None:
        """The step's live resource, None while it does not exist yet."""
        return self.plan.live.get(step.address)

    def desired_spec(self, step: Step, spec_type: type[S]) -> S:
        """The typed spec of the step's desired resource."""
        return self.desired_at(step.address).spec_as(spec_type)

    def live_spec(self, step: Step, spec_type: type[S]) -> S:
        """The typed spec of the step's live resource, as its reader made it."""
        return self.live_at(step.address).spec_as(spec_type)

    def desired_at(self, address: str) -> Resource:
        """The desired resource at `address`, which the plan that made the step holds, with the references in its
        spec that earlier steps (or live state) answer filled in (a value the companion stack decides)."""
        found = self.plan.desired.get(address)
        assert found is not None, f"the plan has no desired {address}"
        if found.spec is not None and has_ref(found.spec):
            return replace(found, spec=resolve_refs(found.spec, self.value))
        return found

    def live_at(self, address: str) -> Resource:
        found = self.plan.live.get(address)
        assert found is not None, f"the plan has no live {address}"
        return found

    def value(self, address: str, attribute: str) -> str | None:
        """A resource's attribute (`id`, `arn`): reported by the step that made it in this run, else live."""
        made = self.outputs.get(address, {}).get(attribute)
        if made:
            return str(made)
        live = self.plan.live.get(address)
        return live.output(attribute) if live is not None else None

    def require(self, address: str, attribute: str = "id") -> str:
        found = self.value(address, attribute)
        if found is None:
            raise AwsError(resource=address, action="lookup", code="NotFound", detail=f"{address} does not exist")
        return found

    def resolved(self, value: T) -> T:
        """`value` with its references filled in (the one resolver the planner uses too, see plan/steps.py)."""
        resolved = resolve_refs(value, self.value)
        if has_ref(resolved):
            raise AwsError(
                resource="plan", action="resolve", code="Unresolved", detail=f"unresolved reference in {value}"
            )
        return resolved


Handler = Callable[[Context, Step], None]
# Read-only: the live resource(s) a stub (a desired resource, or what discovery found) stands for; [] when it does
# not exist. `aws` is the reading's session (plan/reads.py `Reads`).
Reader = Callable[["Reads", Resource], list[Resource]]
# Read-only: stubs (address, kind, name) of everything of the kind this service and stage owns.
Discoverer = Callable[["Reads"], list[Resource]]
# Read-only: stubs of what fnship put on one alias of a function the service owns.
AliasDiscoverer = Callable[["Reads", "OnAlias"], list[Resource]]
Differ = Callable[[Resource | None, Resource | None], list[FieldChange]]
StepMaker = Callable[[Change], list[Step]]


def known(value: T | None, what: str) -> T:
    """A value a handler cannot do without: an identifier AWS assigned (on every live spec a reader made), or a
    desired field the model always sets. Its absence is a programming error, said with what is missing."""
    assert value is not None, f"{what} is unknown"
    return value


def reading_owner(aws: Reads) -> tuple[str, str]:
    """(service, stage) the reading is for: what discovery and the shared resources' readers look for."""
    assert aws.owner is not None, "live state is read for a service and stage"
    return aws.owner


A = TypeVar("A")  # an API as API Gateway answers it (an HTTP API's GetApi, a REST API's GetRestApi)
# Our API read by name and owner among the ids the reading knows (kinds.http_api / rest_api `find_*`), or None.
ApiFinder = Callable[["Reads", str, tuple[str, str]], "A | None"]


def service_api(aws: Reads, find: ApiFinder[A]) -> tuple[str, A] | None:
    """(name, read answer) of the reading's service's API that `find` looks up by name and owner, if it exists."""
    from fnship.model.triggers import api as api_model  # (fnship.model.triggers imports the kind modules)

    service, stage = owner = reading_owner(aws)
    name = api_model.api_name(service=service, stage=stage)
    found = find(aws, name, owner)
    return (name, found) if found is not None else None


def api_id_of(aws: Reads, stub: Resource, find: ApiFinder[A], id_of: Callable[[A], str]) -> str | None:
    """The id of the API a route, method, authorizer or stage stub belongs to: the one discovery found it in (its
    permission's SourceArn names it), else the service's (`id_of`: its id in the read answer)."""
    if stub.found is not None and stub.found.api_id:
        return stub.found.api_id
    found = service_api(aws, find)
    return id_of(found[1]) if found else None


def no_parent(_resource: Resource) -> str | None:
    return None


def no_dependencies(_resource: Resource) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Kind:
    name: str
    handlers: Mapping[str, Handler]  # step type -> handler
    steps: StepMaker | None = None  # None: one step `<name>.<action>` (a replacement: delete, then create)
    diff: Differ = generic_fields
    # Fields AWS cannot change in place (Terraform's ForceNew): a change to one is planned as a replacement.
    replace_on: frozenset[str] = frozenset()
    # A replacement normally deletes first (the new one would clash with the old); these create the new first.
    create_before_destroy: bool = False
    # The address of what depends_on-style edges a live resource has (desired resources carry their own).
    depends: Callable[[Resource], tuple[str, ...]] = no_dependencies
    # The resource whose deletion removes this one too (a route with its API): deleted with it, no step of its own.
    parent: Callable[[Resource], str | None] = no_parent
    # Steps that touch one shared AWS document (a function's resource policy, a bucket's notification
    # configuration, an API) are made one at a time: this names that document, or None.
    serial: Callable[[Resource], str | None] = lambda _resource: None
    # A create or update of this kind runs after every delete of these kinds (a REST API stage deploys a snapshot
    # of the API's methods, so the removed ones must be gone first).
    after_deletes_of: frozenset[str] = frozenset()
    # The step of its creation after which what depends on it may start (a new role may be named by a function
    # before its policies are in place). Whatever waits for that dependent also waits for this one's last step
    # (plan/steps.py). None: dependents wait for its last step.
    usable_after: str | None = None
    # Whether a create or update of a resource of this kind may start once what it depends on is usable
    # (`usable_after`) rather than complete (a function that Lambda creates without checking its role's
    # permissions).
    starts_on_usable: Callable[[Resource], bool] = lambda _resource: False
    # Its delete runs after every other step: a delete AWS may refuse (a bucket that still holds objects) then
    # stops nothing else.
    delete_last: bool = False
    # Changes of this kind carried out together (all of a bucket's notification entries in one write): given every
    # change of the kind, the steps and the addresses each carries. None: each change has its own steps.
    batch: Callable[[list[Change]], list[tuple[Step, tuple[str, ...]]]] | None = None
    # Outputs that survive an update (an API's id): references to them resolve from live state at plan time.
    stable_outputs: frozenset[str] = frozenset()
    # Fields whose change leaves every output as it is (a layer's `recorded`): references resolve from live state.
    output_neutral: frozenset[str] = frozenset()
    # Whether one output of a changed resource keeps its live value through the plan (desired, live, attribute):
    # decided by the kind when the two above cannot say (a stack's output whose expression and resources stay).
    keeps_output: Callable[[Resource, Resource, str], bool] | None = None
    by_name: bool = False  # discovered by physical name before its address is known
    movable: bool = False  # keeps its address when what it names moves (a rule to another bus)
    # Reading live state (read-only; plan/live.py decides which reads go out when).
    read: Reader | None = None  # how a resource of the kind is parsed from AWS's read answers
    discover: Discoverer | None = None  # how the service's own resources of the kind are found
    discover_on_alias: AliasDiscoverer | None = None  # how they are found on each alias of an owned function
    hangs_on_function: bool = False  # cannot exist without its function: not asked while the function is missing
    # On a function's alias, read through Lambda's control-plane budget (ListAliases, GetPolicy, the URL, async
    # config and mappings): taken from the deploy record when the plan trusts it (fnship/deploy_record.py).
    from_record: bool = False

    def make_steps(self, change: Change) -> list[Step]:
        if self.steps is not None:
            return self.steps(change)
        if change.action == REPLACE:
            delete = Step(f"{self.name}.{DELETE}", change.address)
            create = Step(f"{self.name}.{CREATE}", change.address)
            return [create, delete] if self.create_before_destroy else [delete, create]
        return [Step(f"{self.name}.{change.action}", change.address)]


def tag_delta(before: Mapping[str, str] | None, after: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    before = before or {}
    add = {k: v for k, v in after.items() if before.get(k) != v}
    remove = sorted(k for k in before if k not in after and not k.startswith("aws:"))
    return add, remove


def function_scoped(resource: Resource) -> tuple[str, ...]:
    """What a trigger or permission of a function depends on: the alias it targets."""
    if resource.scope is not None:
        return (Address.alias(resource.scope.function_key, resource.scope.alias),)
    return ()


def normalize_cors(config: Mapping[str, object] | None) -> dict[str, JsonValue] | None:
    """A CORS configuration (ours, or as an HTTP API or a function URL answers it) in one spelling: unset keys
    dropped, lists sorted (header names lower-cased)."""
    if not config:
        return None
    out: dict[str, JsonValue] = {}
    for key, value in sorted(config.items()):
        if value in (None, False, [], ""):
            continue
        if isinstance(value, list):
            out[key] = sorted(str(v).lower() if "Header" in key else str(v) for v in value)
        elif isinstance(value, (str, int, float, bool)):
            out[key] = value
    return out or None


def compact_json(text: str | None) -> str | None:
    """A JSON document AWS returns (a pattern, a filter policy) in the model's spelling (compact, sorted keys), so
    desired and live compare equal."""
    if not text:
        return None
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), sort_keys=True)
    except ValueError:
        return text
