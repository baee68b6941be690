"""Desired vs live -> changes, and the graph of steps that carries them out. Pure: no AWS, no filesystem.

Each kind (fnship/kinds) says how its two sides compare, which fields force a replacement and which steps a change
needs. The order is a graph, not a list of kinds: a step runs after the steps of what its resource depends on
(`depends_on`, and for what is deleted the kind's own dependencies, in reverse); `graphlib` orders it, and the
executor runs every step whose predecessors are done, several at a time.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable
from dataclasses import replace

from fnship.kinds import KINDS
from fnship.kinds.s3 import Bucket
from fnship.model.address import Address
from fnship.model.resources import (
    OWNER_FUNCTION_TAG,
    OWNER_SERVICE_TAG,
    OWNER_STAGE_TAG,
    Resource,
    State,
    refs_in,
    resolve_refs,
)
from fnship.plan.diff import CREATE, DELETE, REPLACE, UPDATE, Change, FieldChange, Plan, Step, release_shifts

OWNER_TAGS = frozenset({OWNER_SERVICE_TAG, OWNER_STAGE_TAG, OWNER_FUNCTION_TAG})
SHIFT = "alias.shift"  # a moved alias's shift: merged into the release's one `release.shift` step
RELEASE_SHIFT = "release.shift"


def _forcing(kind_name: str, fields: Iterable[FieldChange]) -> tuple[str, ...]:
    touched = {f.path.split(".", 1)[0] for f in fields}
    return tuple(sorted(touched & KINDS[kind_name].replace_on))


def diff(desired: State, live: State) -> list[Change]:
    live_by_address = live.by_address()
    changes: list[Change] = []
    for resource in desired.resources:
        kind = KINDS[resource.kind]
        before = live_by_address.get(resource.address)
        fields = kind.diff(resource, before)
        if before is None:
            changes.append(Change(CREATE, resource.address, resource.kind, resource.name, tuple(fields), resource))
            continue
        if "name" in kind.replace_on and before.name != resource.name:
            fields = [FieldChange("name", before.name, resource.name), *fields]
        if fields:
            forcing = _forcing(resource.kind, fields)
            action = REPLACE if forcing else UPDATE
            changes.append(
                Change(action, resource.address, resource.kind, resource.name, tuple(fields), resource, before,
                       forces_replacement=forcing)
            )  # fmt: skip
    desired_addresses = {r.address for r in desired.resources}
    gone = [r for r in live.resources if r.address not in desired_addresses]
    gone_addresses = {r.address for r in gone}
    for resource in gone:
        kind = KINDS[resource.kind]
        parent = kind.parent(resource)
        changes.append(
            Change(DELETE, resource.address, resource.kind, resource.name, tuple(kind.diff(None, resource)), None,
                   resource, deleted_with=parent if parent in gone_addresses else None)
        )  # fmt: skip
    return changes


def live_dependencies(resource: Resource) -> tuple[str, ...]:
    """What a live resource depends on: its own `depends_on` when it has one, else what its kind derives."""
    return tuple(resource.depends_on) or KINDS[resource.kind].depends(resource)


def _rank(step: Step, kinds: dict[str, str]) -> tuple[int, int, str]:
    """Tie-break among steps that are ready together: creates and updates in the table's order, deletes in
    reverse, then by address (only readability and determinism depend on this, never correctness)."""
    order = list(KINDS)
    kind = kinds.get(step.key, "")
    index = order.index(kind) if kind in order else len(order)
    deleting = step.type.endswith(".delete")
    return (1 if deleting else 0, -index if deleting else index, step.address)


def order_steps(changes: list[Change]) -> list[Step]:
    """The steps of every change, each knowing the steps it must wait for (`Step.after`), in a topological order."""
    by_address = {change.address: change for change in changes}
    chains: dict[str, list[Step]] = {}  # change address -> the steps that carry it out, in order
    kinds: dict[str, str] = {}
    batched = {kind for kind in {change.kind for change in changes} if KINDS[kind].batch is not None}
    for change in changes:
        if change.deleted_with or change.kind in batched:
            continue
        steps = KINDS[change.kind].make_steps(change)
        if steps:
            chains[change.address] = steps
            kinds.update({step.key: change.kind for step in steps})
    for name in sorted(batched):
        members = [change for change in changes if change.kind == name and not change.deleted_with]
        batch = KINDS[name].batch
        assert batch is not None, f"{name} carries its changes in batches"
        for step, addresses in batch(members) if members else []:
            kinds[step.key] = name
            for address in addresses:
                chains.setdefault(address, []).append(step)
    edges: dict[str, set[str]] = {step.key: set() for chain in chains.values() for step in chain}

    def carried_by(address: str) -> str:
        """A delete carried out by another (a route with its API) is waited for as that one."""
        change = by_address.get(address)
        while change is not None and change.deleted_with:
            address = change.deleted_with
            change = by_address.get(address)
        return address

    def waits_for(change: Change, dependency: str) -> bool:
        """Whether `change` waits for the steps of `dependency` (unchanged, or deleted: there are none to wait for)."""
        carrier = by_address.get(carried_by(dependency))
        return dependency != change.address and carrier is not None and carrier.action != DELETE

    def usable(address: str) -> str | None:
        """The step after which what depends on the resource at `address` may start, when it comes before the end
        of its chain (a new role: see Kind.usable_after); else None."""
        change = by_address.get(address)
        wanted = KINDS[change.kind].usable_after if change is not None else None
        return next((step.key for step in chains.get(address, [])[:-1] if step.type == wanted), None)

    def ready(address: str) -> set[str]:
        """The steps after which the resource at `address` is in place (a shift does not hold its dependents). A
        resource that started once a dependency was merely usable is in place once that dependency is too."""
        address = carried_by(address)
        chain = [step for step in chains.get(address, []) if step.type != SHIFT]
        keys = {chain[-1].key} if chain else set()
        change = by_address.get(address)
        if (
            chain
            and change is not None
            and change.desired is not None
            and KINDS[change.kind].starts_on_usable(change.desired)
        ):
            for dependency in change.desired.depends_on:
                if waits_for(change, dependency) and usable(carried_by(dependency)) is not None:
                    keys |= ready(dependency)
        return keys

    def first(address: str) -> str | None:
        chain = chains.get(address)
        return chain[0].key if chain else None

    for chain in chains.values():
        for before, after in zip(chain, chain[1:], strict=False):
            if before.key != after.key:
                edges[after.key].add(before.key)
    deletes = [c for c in changes if c.action == DELETE and c.address in chains]
    for change in changes:
        if change.address not in chains or change.desired is None:
            continue  # a delete (or a bucket left in place): ordered in reverse below
        start = first(change.address)
        assert start is not None
        # A value that refers to another resource (an API id in a SourceArn) depends on it too.
        referenced = [ref.address for ref in refs_in(change.desired.attrs)]
        starts_early = KINDS[change.kind].starts_on_usable(change.desired)
        for dependency in (*change.desired.depends_on, *referenced):
            if waits_for(change, dependency):
                early = usable(carried_by(dependency)) if starts_early and dependency in change.desired.depends_on \
                    else None  # fmt: skip
                edges[start].update({early} if early is not None else ready(dependency))
        for other in deletes:
            if other.kind in KINDS[change.kind].after_deletes_of:
                edges[start].add(chains[other.address][-1].key)
    # Deletes go in reverse: what depends on a resource (deleted, or updated away from it) goes before it does.
    users: dict[str, list[Change]] = {}
    for change in changes:
        if change.live is not None and change.action != CREATE:
            for dependency in live_dependencies(change.live):
                users.setdefault(carried_by(dependency), []).append(change)
    for change in deletes:
        start = first(change.address)
        assert start is not None
        for user in users.get(change.address, []):
            if user.address in chains and user.address != change.address:
                edges[start].add(chains[user.address][-1].key)
    # A delete AWS may refuse (a bucket with objects) runs last, so it stops nothing else.
    last = [c for c in deletes if KINDS[c.kind].delete_last]
    others = [key for address, chain in chains.items() if address not in {c.address for c in last} for key in
              (step.key for step in chain)]  # fmt: skip
    for change in last:
        edges[chains[change.address][0].key].update(others)
    by_key = {step.key: step for chain in chains.values() for step in chain}
    by_key, edges = _release_step(by_key, edges)
    ordered = _topological(by_key, edges, kinds)
    return _serialize(ordered, by_key, edges, chains, by_address)


def _release_step(steps: dict[str, Step], edges: dict[str, set[str]]) -> tuple[dict[str, Step], dict[str, set[str]]]:
    """Every function of a release shifts in parallel: the `alias.shift`s become one `release.shift` step, after
    everything else is in place (hooks and triggers included) and before nothing but deletes."""
    shifts = [step for step in steps.values() if step.type == SHIFT]
    if not shifts:
        return steps, edges
    release = Step(RELEASE_SHIFT, Address.release(), {"aliases": {step.address: dict(step.detail) for step in shifts}})
    shift_keys = {step.key for step in shifts}
    kept = {key: step for key, step in steps.items() if key not in shift_keys}
    new_edges = {key: {d for d in deps if d not in shift_keys} for key, deps in edges.items() if key not in shift_keys}
    new_edges[release.key] = {key for key, step in kept.items() if not step.type.endswith(".delete")}
    for key, deps in edges.items():
        if key not in shift_keys and deps & shift_keys:
            new_edges[key].add(release.key)
    kept[release.key] = release
    return kept, new_edges


def _topological(steps: dict[str, Step], edges: dict[str, set[str]], kinds: dict[str, str]) -> list[str]:
    sorter = graphlib.TopologicalSorter(edges)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        raise AssertionError(f"the plan's steps depend on each other in a cycle: {exc.args[1]}") from exc
    ordered: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda key: _rank(steps[key], kinds))
        ordered.extend(ready)
        sorter.done(*ready)
    return ordered


def _serialize(
    ordered: list[str],
    steps: dict[str, Step],
    edges: dict[str, set[str]],
    chains: dict[str, list[Step]],
    by_address: dict[str, Change],
) -> list[Step]:
    """Steps that write one shared document (a function's policy, a bucket's notifications, a REST API) wait for
    each other, in the order above; then every step learns what it waits for."""
    last_on: dict[str, str] = {}
    for key in ordered:
        step = steps[key]
        change = by_address.get(step.address)
        resource = (change.desired or change.live) if change is not None else None
        document = KINDS[change.kind].serial(resource) if change is not None and resource is not None else None
        if document is not None:
            if document in last_on:
                edges[key].add(last_on[document])
            last_on[document] = key
    return [replace(steps[key], after=tuple(sorted(edges[key]))) for key in ordered]


def with_pruning(plan: Plan, prune: dict[str, list[str]]) -> Plan:
    """`plan` whose release step names, per alias, the versions the release deletes once it completes."""
    steps = []
    for step in plan.steps:
        if step.type == RELEASE_SHIFT:
            aliases = {a: {**detail, "prune": list(prune.get(a, []))} for a, detail in release_shifts(step).items()}
            step = replace(step, detail={**step.detail, "aliases": aliases})
        steps.append(step)
    return replace(plan, steps=tuple(steps))


def resolve_live_refs(desired: State, live: State) -> State:
    """Desired values that embed another resource's attribute (an API id in a SourceArn, a layer version ARN)
    filled in from live state where this plan keeps that value; the rest stay `Ref`s, shown as (known after
    apply), and the executor fills them in with the same resolver."""
    live_by_address = live.by_address()
    desired_by_address = desired.by_address()

    def lookup(address: str, attribute: str) -> str | None:
        current = live_by_address.get(address)
        if current is None:
            return None
        kind = KINDS[current.kind]
        if attribute not in kind.stable_outputs:
            wanted = desired_by_address.get(address)
            if wanted is not None and kind.keeps_output is not None:
                return current.output(attribute) if kind.keeps_output(wanted, current, attribute) else None
            changed = [] if wanted is None else kind.diff(wanted, current)
            if wanted is None or any(f.path.split(".", 1)[0] not in kind.output_neutral for f in changed):
                return None  # changed by this plan: the new value is known after apply
        return current.output(attribute)

    def resolved(resource: Resource) -> Resource:
        return resource if resource.spec is None else replace(resource, spec=resolve_refs(resource.spec, lookup))

    return desired.with_resources(resolved(r) for r in desired.resources)


def keep_full_buckets(changes: list[Change]) -> tuple[list[Change], list[str]]:
    """An owned bucket to destroy that still holds objects (the user's data): S3 would refuse the destroy, and
    every later deploy would fail the same way. Plan instead to leave it where it is and stop owning it (its
    ownership tags removed, so no later plan claims it), and warn, naming it."""
    kept: list[Change] = []
    warnings: list[str] = []
    for change in changes:
        live = change.live
        if (
            change.kind == "s3_bucket"
            and change.action == DELETE
            and live is not None
            and live.spec_as(Bucket).holds_objects
        ):
            tags = live.spec_as(Bucket).tags
            fields = tuple(FieldChange(f"tags.{key}", tags[key], None) for key in sorted(tags) if key in OWNER_TAGS)
            change = Change(UPDATE, change.address, change.kind, change.name, fields, None, live)
            warnings.append(
                f"{change.address}: bucket {change.name} still holds objects, so destroying it would fail "
                "(BucketNotEmpty): fnship leaves it in place and stops owning it (removes its fnship tags); "
                "empty and delete it yourself if it is no longer needed"
            )
        kept.append(change)
    return kept, warnings


# What Lambda deletes with a function (DeleteFunction removes its aliases, resource policy, URL configs and async
# invoke configs; event source mappings stay): https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html
DELETED_WITH_FUNCTION = frozenset({"alias", "permission", "function_url", "invoke_config"})


def without_replaced_functions_parts(desired: State, live: State) -> State:
    """`live` without what goes with a function the plan replaces (a create-only field changed): those parts are
    then planned as created anew, after the new function."""
    live_by_address = live.by_address()
    replaced: set[str] = set()
    for resource in desired.of_kind("function"):
        before = live_by_address.get(resource.address)
        if before is not None and _forcing("function", KINDS["function"].diff(resource, before)):
            replaced.add(Address(resource.address).function_key or "")
    if not replaced:
        return live
    kept = [
        r for r in live.resources
        if not (r.kind in DELETED_WITH_FUNCTION and r.scope is not None and r.scope.function_key in replaced)
    ]  # fmt: skip
    return live.with_resources(kept)


def make_plan(desired: State, live: State, *, release_id: str, warnings: tuple[str, ...] = ()) -> Plan:
    live = without_replaced_functions_parts(desired, live)
    desired = resolve_live_refs(desired, live)
    changes, bucket_warnings = keep_full_buckets(diff(desired, live))
    warnings = (*warnings, *bucket_warnings)
    ordered = sorted(changes, key=lambda c: (c.action == DELETE, c.address))
    return Plan(
        service=desired.service,
        stage=desired.stage,
        region=desired.region,
        release_id=release_id,
        changes=tuple(ordered),
        steps=tuple(order_steps(changes)),
        desired=desired,
        live=live,
        warnings=tuple(warnings),
    )
