"""Read what is live for one service and stage, normalized to the same shape as the desired state.

Read-only AWS calls: this module never mutates anything. It decides which reads go out when (concurrently, in a
few rounds whatever the service's size); how each kind is found and parsed is the kind's own (`read`,
`discover`, `discover_on_alias` in fnship/kinds), and the reads several kinds share are plan/reads.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from fnship.arns import parse_arn
from fnship.kinds import KINDS
from fnship.kinds.event_rule import EventRule
from fnship.kinds.function import unqualified_arn
from fnship.kinds.rest_api import existing_rest_api
from fnship.kinds.s3 import Bucket
from fnship.model.address import Address
from fnship.model.resources import Resource, State, refs_in
from fnship.plan.reads import OnAlias, Reads

if TYPE_CHECKING:
    from fnship.aws import Aws
    from fnship.deploy_record import Entry, Record

# Reads in flight at once: enough for a round of 100+ functions. A read waiting for its API's budget in the
# client-side limiter (fnship/aws/limits.py) holds its thread, so there are enough threads that reads of every API
# wait at the same time instead of one API's queue holding the others back; the HTTP connection pool is as
# large (fnship/aws/session.py).
READ_WORKERS = 128

T = TypeVar("T")


@dataclass(frozen=True)
class Discovery:
    """What discovery found beyond the desired resources: stubs of owned leftovers, and (by address) where a
    movable trigger was found somewhere else than the manifest now says. Kept so the re-plan under the deploy
    lock reads the same resources again without discovering again."""

    stubs: tuple[Resource, ...] = ()
    elsewhere: Mapping[str, Resource] = field(default_factory=dict)
    # Addresses whose live side was taken from the deploy record instead of read (see `_from_record`).
    recorded: tuple[str, ...] = ()


def _in_parallel(pool: ThreadPoolExecutor, calls: Iterable[Callable[[], T]]) -> list[T]:
    """Run `calls` on the pool at once and wait for all: one round of reads. (Only the planner's thread and
    discovery's thread wait on the pool, never a pool thread, so a busy pool cannot deadlock.)"""
    return [future.result() for future in [pool.submit(call) for call in calls]]


def _warm_function(aws: Reads, function_arn: str, aliases: Iterable[str]) -> list[Callable[[], object]]:
    """The reads of one existing function that discovery and the readers share, to run in one round: its aliases,
    and per alias the version it serves, its policy, mappings, URL and async config."""
    name = function_arn.rsplit(":function:", 1)[1]
    calls: list[Callable[[], object]] = [lambda: aws.aliases(name)]
    for alias in aliases:
        calls += [
            partial(aws.function, name, alias),
            partial(aws.alias_policy, name, alias),
            partial(aws.alias_url, name, alias),
            partial(aws.alias_invoke_config, name, alias),
            partial(aws.alias_mappings, f"{function_arn}:{alias}"),
        ]
    return calls


def discover(
    aws: Reads, *, service: str, stage: str, pool: ThreadPoolExecutor, deferred: Collection[str] = ()
) -> list[Resource]:
    """Stubs (address, kind, name) for everything this service and stage owns, found by each kind's `discover`
    (the one tagging call filtered by both ownership tags, roles under the service's IAM path, its APIs and
    layers) and, on every alias of every owned function, by each kind's `discover_on_alias` (what fnship put
    there: policy statements, mappings, URL, async config). No list of the whole account.

    Three rounds, each concurrent: every kind's lookups; then every owned function's aliases (with the reads of
    each alias, all shared with the readers through the memo); then nothing but memo hits. The aliases of the
    `deferred` functions (which the deploy record may vouch for) are left to `read_live`."""
    aws.owner = (service, stage)
    finders = [kind.discover for kind in KINDS.values() if kind.discover is not None]
    # The first round has threads of its own: the shared pool's queue may hold a round of rate-limited reads.
    with ThreadPoolExecutor(max_workers=len(finders)) as first:
        found = _in_parallel(first, [partial(finder, aws) for finder in finders])
    stubs: list[Resource] = [stub for part in found for stub in part]
    functions = {
        s.name: (Address(s.address).function_key or "", s.found.arn)
        for s in stubs
        if s.kind == "function" and s.found is not None and s.found.arn and s.name not in deferred
    }
    return stubs + _discover_on_aliases(aws, service=service, stage=stage, pool=pool, functions=functions)


def _discover_on_aliases(
    aws: Reads, *, service: str, stage: str, pool: ThreadPoolExecutor, functions: Mapping[str, tuple[str, str]]
) -> list[Resource]:
    """Stubs of what fnship put on every alias of `functions` (name -> (key, unqualified ARN)): two rounds, their
    aliases, then every alias's reads."""
    _in_parallel(pool, [partial(aws.aliases, name) for name in functions])
    _in_parallel(
        pool, [call for name, (_, arn) in functions.items() for call in _warm_function(aws, arn, aws.aliases(name))]
    )
    on_alias = [kind.discover_on_alias for kind in KINDS.values() if kind.discover_on_alias is not None]
    stubs: list[Resource] = []
    for function_name, (key, function_arn) in functions.items():
        for alias in aws.aliases(function_name):
            where = OnAlias(service, stage, key, function_arn, alias)
            stubs += [stub for finder in on_alias for stub in finder(aws, where)]
    return stubs


def _identity(resource: Resource) -> tuple[str, str]:
    """Kinds found by physical name (a discovered role has no address until its tags are read); the rest by
    address (see kinds.base.Kind.by_name)."""
    return (resource.kind, resource.name if KINDS[resource.kind].by_name else resource.address)


def _locator(resource: Resource) -> tuple[str, str | None, str | None]:
    """Where a movable trigger is: its name, its rule's bus, the alias it serves."""
    # A discovered rule's bus comes from its permission's SourceArn.
    if isinstance(resource.spec, EventRule):
        bus = resource.spec.event_bus
    else:
        bus = resource.found.event_bus if resource.found is not None else None
    alias_arn = resource.scope.alias_arn if resource.scope else None
    return resource.name, bus, alias_arn


def inventory(desired: State) -> str:
    """A digest of what a state is made of: each resource's address, kind and physical name, and where a movable
    trigger is. A complete deploy record keeps the inventory of the state its apply left; a plan whose desired
    state has the same one can find nothing owned beyond it (only an apply under the lock makes resources, and
    every taker of the lock marks the record first), so discovery's lookups (the tagging call, the roles under
    the service's path, the schedule group...) are skipped."""
    import hashlib
    import json

    items = sorted(
        json.dumps([r.address, r.kind, r.name, *(_locator(r) if KINDS[r.kind].movable else ())])
        for r in desired.resources
    )
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:32]


def function_of(resource: Resource) -> tuple[str, str | None]:
    """(function name, alias) of a resource that lives on a function."""
    scope = resource.in_scope()
    return scope.function_name, scope.alias


def read_live(
    aws: Aws | Reads,
    desired: State,
    *,
    discover_owned: bool = True,
    known: Discovery | None = None,
    record: Record | None = None,
) -> tuple[State, Discovery]:
    """The live counterpart of every desired resource, plus (with `discover_owned`) every owned leftover; and
    what discovery found, so that a second reading (`known`) reads the same resources without discovering.

    Everything goes out at once, in a few concurrent rounds whatever the service's size: the functions by name,
    the roles, the log groups (one batch) and the discovery lookups; as each function answers, the reads that
    hang on it (aliases, policies, mappings, URLs), shared by discovery and the readers through the memo; then
    the triggers whose place discovery may have found moved, and the owned leftovers.

    With a complete deploy `record` (fnship/deploy_record.py), a function it names is read through GetFunction
    only (GetFunction's own budget): when its alias serves the recorded version and what the manifest puts on the
    alias digests as recorded, the alias's settings and sub-resources are taken from the record (their addresses
    in `Discovery.recorded`); otherwise, in one more round, that function is read in full."""
    reads = aws if isinstance(aws, Reads) else Reads(aws)
    reads.owner = (desired.service, desired.stage)
    reads.log_groups = frozenset(r.name for r in desired.resources if r.kind == "log_group")
    reads.existing_rest_api = existing_rest_api(desired.resources)
    aliases_of: dict[str, set[str]] = {r.name: set() for r in desired.resources if r.kind == "function"}
    for resource in desired.resources:
        if KINDS[resource.kind].hangs_on_function:
            function_name, alias = function_of(resource)
            aliases_of.setdefault(function_name, set()).update([alias] if alias else [])
    candidates = _candidates(record, desired, aliases_of) if known is None else {}
    reads.without_api_statements = _without_api_statements(desired, candidates)
    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:

        def warm_reads(name: str, arn: str) -> list[Callable[[], object]]:
            aliases = sorted(aliases_of.get(name, ()))
            if name in candidates:  # GetFunction through each alias: the record says the rest
                return [partial(reads.function, name, alias) for alias in aliases]
            return _warm_function(reads, arn, aliases)

        def warm(name: str) -> None:
            if name in candidates:  # its aliases are named: asked beside the function, not after it
                for alias in sorted(aliases_of.get(name, ())):
                    pool.submit(reads.function, name, alias)
            found = reads.function(name)
            if found is not None:
                for call in warm_reads(name, unqualified_arn(found["Configuration"]["FunctionArn"])):
                    pool.submit(call)  # errors stay in the memo, for the reader that needs the answer

        def warm_owned() -> None:
            """The functions the tagging answer names as ours: their desired aliases' reads go out page by page,
            without waiting for each function's GetFunction (one round saved)."""
            seen: set[str] = set()

            def warm_page(part: Mapping[str, Mapping[str, str]]) -> None:
                for arn in part:
                    parts = parse_arn(arn)
                    if parts is None or parts.service != "lambda" or not parts.resource.startswith("function:"):
                        continue
                    name = parts.resource.split(":", 2)[1]
                    if name in seen:
                        continue
                    seen.add(name)
                    for call in warm_reads(name, unqualified_arn(arn)):
                        pool.submit(call)

            warm_page(reads.tagged(on_page=warm_page))  # (the pages were seen, unless discovery asked first)

        warming = [pool.submit(warm, name) for name in aliases_of]
        vouched_inventory = (
            known is None and record is not None and record.complete and record.inventory == inventory(desired)
        )

        def warm_tags() -> None:
            """The tagging answer, asked beside the first reads even without discovery: the log groups' tags come
            from it."""
            reads.tagged()

        warming.append(pool.submit(warm_tags if vouched_inventory else warm_owned))
        discovered = None
        if known is None and discover_owned and not vouched_inventory:
            # Discovery's own rounds overlap the reads (its thread waits on the pool; no pool thread does).
            side = ThreadPoolExecutor(max_workers=1)
            discovered = side.submit(
                discover, reads, service=desired.service, stage=desired.stage, pool=pool, deferred=candidates
            )
            side.shutdown(wait=False)

        def read(stub: Resource, elsewhere: Mapping[str, Resource]) -> list[Resource]:
            kind = KINDS[stub.kind]
            assert kind.read is not None, f"kind {stub.kind} has no reader"
            if kind.hangs_on_function and reads.function(function_of(stub)[0]) is None:
                return []
            if _awaits_stack(stub) and stub.address not in elsewhere:
                return []  # (named by a value the stack has not decided yet: nothing can carry that name)
            if stub.address in elsewhere:
                # The one in use is the live side, so the plan moves it (the update handler replaces it) instead
                # of leaving it behind; a copy already where the manifest says is then overwritten.
                found = kind.read(reads, elsewhere[stub.address])
                if found:
                    return found
            return kind.read(reads, stub)

        # What the record may vouch for waits for GetFunction's word; what discovery cannot move is read at once;
        # a movable trigger waits for discovery's word on its place.
        # (A movable trigger of such a function waits too: only its full reading, if any, says where it is.)
        deferred = [
            r
            for r in desired.resources
            if (KINDS[r.kind].from_record or KINDS[r.kind].movable) and function_of(r)[0] in candidates
        ]
        deferred_addresses = {r.address for r in deferred}
        plain = [r for r in desired.resources if r.address not in deferred_addresses]
        if known is None:
            later = [r for r in plain if KINDS[r.kind].movable]
            early = [r for r in plain if not KINDS[r.kind].movable]
        else:
            later, early = [], [*plain, *known.stubs]
        reading = [pool.submit(read, stub, known.elsewhere if known else {}) for stub in early]
        wanted = {_identity(r): r for r in desired.resources}
        if known is None:
            found_stubs, elsewhere = _merge(discovered.result() if discovered is not None else (), wanted)
            known = Discovery(tuple(found_stubs), elsewhere)
            reading += [pool.submit(read, stub, known.elsewhere) for stub in [*later, *known.stubs]]
        for future in warming:
            future.result()
        found = [resource for future in reading for resource in future.result()]
        if candidates:
            taken, recorded, untrusted = _from_record(reads, desired, candidates, found)
            found += taken
            vouched = [r for r in deferred if not KINDS[r.kind].from_record and function_of(r)[0] not in untrusted]
            if untrusted:
                # One more round for the functions the record does not vouch for: read in full, as without it.
                more_stubs: list[Resource] = []
                if discover_owned:
                    functions = {}
                    for name in untrusted:
                        live_function = reads.function(name)
                        if live_function is not None:
                            arn = unqualified_arn(live_function["Configuration"]["FunctionArn"])
                            functions[name] = (candidates[name].key, arn)
                    discovered_more = _discover_on_aliases(
                        reads, service=desired.service, stage=desired.stage, pool=pool, functions=functions
                    )
                    more_stubs, more_elsewhere = _merge(discovered_more, wanted)
                    known = replace(known, stubs=(*known.stubs, *more_stubs),
                                    elsewhere={**known.elsewhere, **more_elsewhere})  # fmt: skip
                vouched += [r for r in deferred if function_of(r)[0] in untrusted]
                vouched += more_stubs
            rereading = [pool.submit(read, stub, known.elsewhere) for stub in vouched]
            found += [resource for future in rereading for resource in future.result()]
            known = replace(known, recorded=tuple(sorted(recorded)))
    # An owned bucket the manifest no longer names: S3 refuses to destroy one that holds objects, and the plan must
    # know that before it promises a destroy (see plan.steps.keep_full_buckets).
    desired_addresses = {resource.address for resource in desired.resources}
    found = [
        replace(r, spec=replace(r.spec, holds_objects=reads.s3.holds_objects(r.name)))
        if isinstance(r.spec, Bucket) and r.address not in desired_addresses
        else r
        for r in found
    ]
    return desired.with_resources(found), known


def _awaits_stack(stub: Resource) -> bool:
    """A desired resource whose spec or name still holds a value of the companion stack this plan cannot know
    (the stack is not made yet, or this plan changes what the value comes from)."""
    from fnship.manifest.intrinsics import MARKED

    if stub.kind == "stack":
        return False
    if MARKED.search(stub.name):
        return True
    return stub.spec is not None and any(ref.address == Address.stack() for ref in refs_in(stub.spec))


def with_stack_values(reads: Reads, desired: State) -> State:
    """`desired` with the values the companion stack decides filled in where the deployed stack has them and this
    plan keeps them (see plan.steps.resolve_live_refs), names included (an event source mapping is named by its
    queue's ARN): read first, so every other reading looks for the real names."""
    from fnship.manifest.intrinsics import MARKED
    from fnship.plan.steps import resolve_live_refs

    stack = desired.get(Address.stack())
    if stack is None:
        return desired
    read = KINDS["stack"].read
    assert read is not None
    live = desired.with_resources(read(reads, stack))
    resolved = resolve_live_refs(desired, live)
    live_stack = live.get(Address.stack())

    def named(resource: Resource) -> Resource:
        found = MARKED.search(resource.name)
        if found is None:
            return resource
        value = live_stack.output(found.group(1)) if live_stack is not None else None
        if value is None or resource.kind == "stack":
            return resource
        from fnship.kinds import KINDS as kinds  # (the stack kind decides whether the plan keeps the value)

        keeps = kinds["stack"].keeps_output
        if keeps is not None and live_stack is not None and not keeps(stack, live_stack, found.group(1)):
            return resource
        renamed = replace(resource, name=resource.name.replace(found.group(0), value))
        scope = resource.scope
        if resource.kind == "event_source_mapping" and scope is not None:
            # Addressed by its source's name, as discovery addresses the mapping it finds (kinds/event_source_mapping)
            from fnship.model.triggers.sources import source_name

            trigger = source_name(renamed.name)
            renamed = replace(renamed, address=Address.trigger(scope.function_key, scope.event_type, trigger),
                              scope=replace(scope, trigger_name=trigger))  # fmt: skip
        return renamed

    return resolved.with_resources(named(resource) for resource in resolved.resources)


def _merge(
    discovered: Iterable[Resource], wanted: dict[tuple[str, str], Resource]
) -> tuple[list[Resource], dict[str, Resource]]:
    """Discovered stubs against what is wanted (updated in place): the owned leftovers (new identities), and by
    address where a movable trigger was found somewhere else than the manifest now says."""
    found_stubs: list[Resource] = []
    elsewhere: dict[str, Resource] = {}
    for stub in discovered:
        identity = _identity(stub)
        if identity not in wanted:
            wanted[identity] = stub
            found_stubs.append(stub)
        elif KINDS[stub.kind].movable and _locator(stub) != _locator(wanted[identity]):
            elsewhere[stub.address] = stub
    return found_stubs, elsewhere


@dataclass(frozen=True)
class _Candidate:
    """A desired function the deploy record names: its key, and what the record says of it (deploy_record.Entry)."""

    key: str
    entry: Entry


def _candidates(record: Record | None, desired: State, aliases_of: Mapping[str, set[str]]) -> dict[str, _Candidate]:
    """Function name -> what the complete `record` says of it, for the desired functions it names with the same
    aliases."""
    if record is None or not record.complete:
        return {}
    found = {}
    for function in desired.of_kind("function"):
        entry = record.functions.get(function.name)
        if entry is not None and set(entry.aliases) == aliases_of.get(function.name, set()):
            found[function.name] = _Candidate(Address(function.address).function_key or "", entry)
    return found


def _without_api_statements(desired: State, candidates: Mapping[str, _Candidate]) -> frozenset[str]:
    """The functions the record says fnship left no API statement on: what the manifest puts on their aliases has
    no reference to an API (nor anything else known only after apply) and digests as recorded. Finding the service's
    APIs from policy statements (when the tagging answer names none: the emulator's) skips them; were the record
    wrong about one, its full reading would find its statements anyway."""
    from fnship import deploy_record

    on_alias: dict[str, list[Resource]] = {}
    for resource in desired.resources:
        if KINDS[resource.kind].from_record:
            on_alias.setdefault(function_of(resource)[0], []).append(resource)
    return frozenset(
        name
        for name, candidate in candidates.items()
        if deploy_record.function_digest(on_alias.get(name, [])) == candidate.entry.digest
    )


def _from_record(
    reads: Reads, desired: State, candidates: Mapping[str, _Candidate], found: list[Resource]
) -> tuple[list[Resource], list[str], list[str]]:
    """(live resources taken from the record, their addresses, the functions it does not vouch for).

    The record vouches for a function when each alias serves the recorded version (GetFunction through the alias)
    and what the manifest puts on its aliases, resolved against live state as the plan resolves it, digests as
    recorded: then that is what is live. An alias whose release moves is read all the same (ListAliases: its
    weights, revision and release history), since the plan changes it."""
    from fnship import deploy_record
    from fnship.kinds.alias import Alias
    from fnship.kinds.alias import from_aws as alias_from_aws
    from fnship.kinds.function import from_aws as function_from_aws
    from fnship.model.build import release_of
    from fnship.plan.steps import resolve_live_refs

    # Resolved against live state as the plan resolves it, all in one pass (whatever the number of functions).
    on_alias: dict[str, list[Resource]] = {}
    for resource in resolve_live_refs(desired, desired.with_resources(found)).resources:
        if KINDS[resource.kind].from_record and function_of(resource)[0] in candidates:
            on_alias.setdefault(function_of(resource)[0], []).append(resource)
    taken: list[Resource] = []
    recorded: list[str] = []
    untrusted: list[str] = []
    for name, candidate in candidates.items():
        function = reads.function(name)
        resolved = on_alias.get(name, [])
        aliases = [r for r in resolved if r.kind == "alias"]
        served = {alias.name: reads.function(name, alias.name) for alias in aliases}
        if (
            function is None
            or any(
                answer is None or str(answer["Configuration"].get("Version")) != candidate.entry.aliases[alias]
                for alias, answer in served.items()
            )
            or deploy_record.function_digest(resolved) != candidate.entry.digest
        ):
            untrusted.append(name)
            continue
        arn = unqualified_arn(function["Configuration"]["FunctionArn"])
        for resource in resolved:
            if resource.kind != "alias":
                taken.append(resource)
                recorded.append(resource.address)
                continue
            version = candidate.entry.aliases[resource.name]
            answer = served[resource.name]
            assert answer is not None
            release = None
            if version != "$LATEST":
                release = release_of(function_from_aws(answer["Configuration"], None, None, answer.get("Code")))
            # As ListAliases would answer it after the apply that wrote the record: no weights (a shift that did
            # not end leaves no complete record); its revision and release history are read if it moves.
            spec = alias_from_aws(
                {"FunctionVersion": version, "AliasArn": f"{arn}:{resource.name}"},
                release=release,
                provisioned_concurrency=resource.spec_as(Alias).provisioned_concurrency,
            )
            alias = Resource.of(resource.address, resource.name, spec, scope=resource.scope)
            if KINDS["alias"].diff(resource, alias):
                read_alias = KINDS["alias"].read
                assert read_alias is not None
                taken += read_alias(reads, resource)
            else:
                taken.append(alias)
                recorded.append(resource.address)
    return taken, recorded, untrusted
