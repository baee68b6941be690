"""Read what is live for one service and stage, normalized to the same shape as the desired state.

Read-only AWS calls: this module never mutates anything. It decides which reads go out when (concurrently, in a
few rounds whatever the service's size); how each kind is found and parsed is the kind's own (`read`,
`discover`, `discover_on_alias` in fnship/kinds), and the reads several kinds share are plan/reads.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from fnship.arns import parse_arn
from fnship.kinds import KINDS
from fnship.kinds.event_rule import EventRule
from fnship.kinds.function import unqualified_arn
from fnship.kinds.s3 import Bucket
from fnship.model.address import Address
from fnship.model.resources import Resource, State
from fnship.plan.reads import OnAlias, Reads

if TYPE_CHECKING:
    from fnship.aws import Aws

# Reads in flight at once: enough for a round of 100+ functions. A read waiting for its API's budget in the
# client-side limiter (fnship/aws/limits.py) holds its thread, so there are enough threads that reads of every API
# wait at the same time instead of one API's queue holding the others back; the HTTP connection pool is as
# large (fnship/aws/session.py).
READ_WORKERS = 128


@dataclass(frozen=True)
class Discovery:
    """What discovery found beyond the desired resources: stubs of owned leftovers, and (by address) where a
    movable trigger was found somewhere else than the manifest now says. Kept so the re-plan under the deploy
    lock reads the same resources again without discovering again."""

    stubs: tuple[Resource, ...] = ()
    elsewhere: Mapping[str, Resource] = field(default_factory=dict)


def _in_parallel(pool: ThreadPoolExecutor, calls: Iterable[Callable[[], Any]]) -> list[Any]:
    """Run `calls` on the pool at once and wait for all: one round of reads. (Only the planner's thread and
    discovery's thread wait on the pool, never a pool thread, so a busy pool cannot deadlock.)"""
    return [future.result() for future in [pool.submit(call) for call in calls]]


def _warm_function(aws: Reads, function_arn: str, aliases: Iterable[str]) -> list[Callable[[], Any]]:
    """The reads of one existing function that discovery and the readers share, to run in one round: its aliases,
    and per alias the version it serves, its policy, mappings, URL and async config."""
    name = function_arn.rsplit(":function:", 1)[1]
    calls: list[Callable[[], Any]] = [lambda: aws.aliases(name)]
    for alias in aliases:
        calls += [
            partial(aws.function, name, alias),
            partial(aws.alias_policy, name, alias),
            partial(aws.alias_url, name, alias),
            partial(aws.alias_invoke_config, name, alias),
            partial(aws.alias_mappings, f"{function_arn}:{alias}"),
        ]
    return calls


def discover(aws: Reads, *, service: str, stage: str, pool: ThreadPoolExecutor) -> list[Resource]:
    """Stubs (address, kind, name) for everything this service and stage owns, found by each kind's `discover`
    (the one tagging call filtered by both ownership tags, roles under the service's IAM path, its APIs and
    layers) and, on every alias of every owned function, by each kind's `discover_on_alias` (what fnship put
    there: policy statements, mappings, URL, async config). No list of the whole account.

    Three rounds, each concurrent: every kind's lookups; then every owned function's aliases (with the reads of
    each alias, all shared with the readers through the memo); then nothing but memo hits."""
    aws.owner = (service, stage)
    finders = [kind.discover for kind in KINDS.values() if kind.discover is not None]
    # The first round has threads of its own: the shared pool's queue may hold a round of rate-limited reads.
    with ThreadPoolExecutor(max_workers=len(finders)) as first:
        found = _in_parallel(first, [partial(finder, aws) for finder in finders])
    stubs: list[Resource] = [stub for part in found for stub in part]
    functions = {
        s.name: (Address(s.address).function_key or "", s.found.arn)
        for s in stubs
        if s.kind == "function" and s.found is not None and s.found.arn
    }
    _in_parallel(pool, [partial(aws.aliases, name) for name in functions])
    _in_parallel(
        pool, [call for name, (_, arn) in functions.items() for call in _warm_function(aws, arn, aws.aliases(name))]
    )
    on_alias = [kind.discover_on_alias for kind in KINDS.values() if kind.discover_on_alias is not None]
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


def _on_function(resource: Resource) -> tuple[str, str | None]:
    """(function name, alias) of a resource that lives on a function."""
    scope = resource.in_scope()
    return scope.function_name, scope.alias


def read_live(
    aws: Aws | Reads, desired: State, *, discover_owned: bool = True, known: Discovery | None = None
) -> tuple[State, Discovery]:
    """The live counterpart of every desired resource, plus (with `discover_owned`) every owned leftover; and
    what discovery found, so that a second reading (`known`) reads the same resources without discovering.

    Everything goes out at once, in a few concurrent rounds whatever the service's size: the functions by name,
    the roles, the log groups (one batch) and the discovery lookups; as each function answers, the reads that
    hang on it (aliases, policies, mappings, URLs), shared by discovery and the readers through the memo; then
    the triggers whose place discovery may have found moved, and the owned leftovers."""
    reads = aws if isinstance(aws, Reads) else Reads(aws)
    reads.owner = (desired.service, desired.stage)
    reads.log_groups = frozenset(r.name for r in desired.resources if r.kind == "log_group")
    aliases_of: dict[str, set[str]] = {r.name: set() for r in desired.resources if r.kind == "function"}
    for resource in desired.resources:
        if KINDS[resource.kind].hangs_on_function:
            function_name, alias = _on_function(resource)
            aliases_of.setdefault(function_name, set()).update([alias] if alias else [])
    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:

        def warm(name: str, aliases: set[str]) -> None:
            found = reads.function(name)
            if found is not None:
                arn = unqualified_arn(found["Configuration"]["FunctionArn"])
                for call in _warm_function(reads, arn, sorted(aliases)):
                    pool.submit(call)  # errors stay in the memo, for the reader that needs the answer

        def warm_owned() -> None:
            """The functions the tagging answer names as ours: their desired aliases' reads go out page by page,
            without waiting for each function's GetFunction (one round saved)."""
            seen: set[str] = set()

            def warm_page(part: Mapping[str, Any]) -> None:
                for arn in part:
                    parts = parse_arn(arn)
                    if parts is None or parts.service != "lambda" or not parts.resource.startswith("function:"):
                        continue
                    name = parts.resource.split(":", 2)[1]
                    if name in seen:
                        continue
                    seen.add(name)
                    for call in _warm_function(reads, unqualified_arn(arn), sorted(aliases_of.get(name, ()))):
                        pool.submit(call)

            warm_page(reads.tagged(on_page=warm_page))  # (the pages were seen, unless discovery asked first)

        warming = [pool.submit(warm, name, aliases) for name, aliases in aliases_of.items()]
        warming.append(pool.submit(warm_owned))
        discovered = None
        if known is None and discover_owned:
            # Discovery's own rounds overlap the reads (its thread waits on the pool; no pool thread does).
            side = ThreadPoolExecutor(max_workers=1)
            discovered = side.submit(discover, reads, service=desired.service, stage=desired.stage, pool=pool)
            side.shutdown(wait=False)

        def read(stub: Resource, elsewhere: Mapping[str, Resource]) -> list[Resource]:
            kind = KINDS[stub.kind]
            assert kind.read is not None, f"kind {stub.kind} has no reader"
            if kind.hangs_on_function and reads.function(_on_function(stub)[0]) is None:
                return []
            if stub.address in elsewhere:
                # The one in use is the live side, so the plan moves it (the update handler replaces it) instead
                # of leaving it behind; a copy already where the manifest says is then overwritten.
                found = kind.read(reads, elsewhere[stub.address])
                if found:
                    return found
            return kind.read(reads, stub)

        # What discovery cannot move is read at once; a movable trigger waits for discovery's word on its place.
        if known is None:
            later = [r for r in desired.resources if KINDS[r.kind].movable]
            early = [r for r in desired.resources if not KINDS[r.kind].movable]
        else:
            later, early = [], [*desired.resources, *known.stubs]
        reading = [pool.submit(read, stub, known.elsewhere if known else {}) for stub in early]
        if known is None:
            found_stubs: list[Resource] = []
            elsewhere: dict[str, Resource] = {}
            wanted = {_identity(r): r for r in desired.resources}
            for stub in discovered.result() if discovered is not None else ():
                identity = _identity(stub)
                if identity not in wanted:
                    wanted[identity] = stub
                    found_stubs.append(stub)
                elif KINDS[stub.kind].movable and _locator(stub) != _locator(wanted[identity]):
                    elsewhere[stub.address] = stub
            known = Discovery(tuple(found_stubs), elsewhere)
            reading += [pool.submit(read, stub, known.elsewhere) for stub in [*later, *known.stubs]]
        for future in warming:
            future.result()
        found = [resource for future in reading for resource in future.result()]
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
