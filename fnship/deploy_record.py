"""The deploy record: what the last complete apply left on each function's alias, so a plan need not read it again.

Why: Lambda's control plane allows 15 requests per second for every call but GetFunction (100/s), GetPolicy (15/s)
and invocations, reads and writes together, and those limits cannot be raised
(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests). What hangs on a function's
alias is read through that budget (ListAliases, GetFunctionUrlConfig, GetFunctionEventInvokeConfig,
ListEventSourceMappings) and GetPolicy's: 50 functions would wait about 15 s for them on every plan.

What: per function (by physical name), the version each of its aliases served when the apply ended and a digest of
what fnship put on them (policy statements, URL, async config, event source mappings, provisioned concurrency), as
the apply resolved them. One SSM parameter per service and stage, `/fnship/{service}/{stage}/applied` (the header
and the first functions; more in `applied-1` ... `applied-7` when one 4 KB parameter is not enough), read in the
plan's first round with fnship's other parameters (one GetParameters call).

When it is trusted (plan/live.py): only when complete. It is written complete at the end of an apply that
succeeded, while the deploy lock is held; every taker of the deploy lock (deploy, rollback, tune, remove) first
overwrites its header as incomplete, so an apply that dies half-way leaves it untrusted. A plan takes a function's
alias and sub-resources from it only when GetFunction through the alias (GetFunction's own budget) answers the
recorded version and the desired sub-resources digest to the recorded digest; anything else reads that function in
full. A change made outside fnship to those sub-resources is not seen unless `--refresh` is given: the plan says how
many resources it took from the record. The function itself, its role (inline policies added outside fnship
included), log group and the triggers' other ends are read every time.

The header's SSM version also says whether anything was applied since a plan read it: the taker of the lock
overwrites the header, and SSM answers the new version; one more than the version the plan saw means no one wrote
the header in between, so no one applied anything, and the plan stands without a re-read (pipeline.py).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from fnship.jsonvalue import Json, JsonArray, JsonMapping, JsonObject, JsonValue
from fnship.model.resources import Ref, Resource
from fnship.secret import Secret

if TYPE_CHECKING:
    from fnship.aws import Aws
    from fnship.plan.diff import Plan, Step

FORMAT = 1
MAX_CHUNKS = 8
CHUNK_BYTES = 4096  # a standard SSM parameter's value: https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html


@dataclass(frozen=True)
class Entry:
    """One function as the last complete apply left it: alias name -> the version it served, and the digest of
    its aliases' sub-resources."""

    aliases: Mapping[str, str]
    digest: str


@dataclass(frozen=True)
class Record:
    id: str
    complete: bool
    functions: Mapping[str, Entry] = field(default_factory=dict)
    # The header parameter's SSM version when it was read (None: it did not exist).
    version: int | None = None
    # plan.live.inventory of the state the apply left (None: not kept, as after a `-f` deploy).
    inventory: str | None = None


def names(service: str, stage: str) -> list[str]:
    """The record's parameters: the header first."""
    base = f"/fnship/{service}/{stage}/applied"
    return [base, *(f"{base}-{n}" for n in range(1, MAX_CHUNKS))]


def parse(found: Mapping[str, tuple[str, int]], service: str, stage: str) -> Record | None:
    """The record from its parameters (name -> (value, SSM version)); None when it does not exist. A header that
    does not parse, or chunks of another writing than the header's, make an incomplete record (trusted for
    nothing)."""
    chunk_names = names(service, stage)
    header = found.get(chunk_names[0])
    if header is None:
        return None
    text, version = header
    try:
        data = json.loads(text)
        record_id, chunks = str(data["id"]), int(data.get("chunks", 0))
        complete = bool(data.get("complete")) and data.get("format") == FORMAT and 1 <= chunks <= MAX_CHUNKS
        functions: dict[str, Entry] = {}
        for index in range(chunks if complete else 0):
            part = data if index == 0 else json.loads(found[chunk_names[index]][0])
            if str(part["id"]) != record_id:
                return Record(record_id, False, version=version)
            for name, (aliases, digest) in part["functions"].items():
                functions[str(name)] = Entry({str(k): str(v) for k, v in aliases.items()}, str(digest))
        inventory = data.get("inventory") if complete else None
    except (ValueError, KeyError, TypeError, RecursionError):
        return Record("?", False, version=version)
    return Record(record_id, complete, functions if complete else {}, version, str(inventory) if inventory else None)


def encode(
    functions: Mapping[str, Entry], service: str, stage: str, *, inventory: str | None = None
) -> dict[str, str] | None:
    """Parameter name -> value of a complete record holding `functions` (and the `inventory` of the state the apply
    left); None when it does not fit in MAX_CHUNKS parameters (then no record is kept, and every plan reads
    everything)."""
    record_id = uuid.uuid4().hex
    kept: JsonObject = {"inventory": inventory} if inventory else {}
    chunk_names = names(service, stage)
    chunks: list[JsonObject] = [{}]  # each parameter's functions: name -> [aliases, digest]
    for name in sorted(functions):
        entry = functions[name]
        aliases: JsonObject = dict(sorted(entry.aliases.items()))
        value: JsonArray = [aliases, entry.digest]
        chunks[-1][name] = value
        largest: JsonObject = {
            "id": record_id,
            "functions": chunks[-1],
            "format": FORMAT,
            "complete": True,
            "chunks": MAX_CHUNKS,
            **kept,
        }
        if len(_text(largest)) > CHUNK_BYTES:
            del chunks[-1][name]
            chunks.append({name: value})
    if len(chunks) > MAX_CHUNKS:
        return None
    parts: list[JsonObject] = [{"id": record_id, "functions": chunk} for chunk in chunks]
    parts[0] = {"format": FORMAT, "complete": True, "chunks": len(parts), **kept, **parts[0]}
    return {chunk_names[index]: _text(part) for index, part in enumerate(parts)}


def incomplete(service: str, stage: str) -> tuple[str, str]:
    """(header name, value) of a record that trusts nothing: what a taker of the deploy lock writes first."""
    return names(service, stage)[0], _text({"format": FORMAT, "id": uuid.uuid4().hex, "complete": False})


def _text(data: JsonMapping) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def digest(resources: Iterable[Resource]) -> str | None:
    """A digest of what fnship put on a function's aliases (the resources' addresses, names and compared
    attributes); None when one of them still has a value known only after apply (a Ref): nothing to compare."""
    return _digest((r.address, r.kind, r.name, r.attrs) for r in resources)


def _digest(rows: Iterable[tuple[str, str, str, Mapping[str, object]]]) -> str | None:
    items = [list(row) for row in sorted(rows, key=lambda row: row[0])]
    try:
        text = json.dumps(items, sort_keys=True, separators=(",", ":"), default=_plain)
    except _Unresolved:
        return None
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def function_digest(resources: Iterable[Resource]) -> str | None:
    """The digest of what fnship puts on one function's aliases (its resources of the kinds read `from_record`,
    resolved): of an alias only its name and provisioned concurrency (the version it serves is recorded beside),
    of the others everything they compare."""
    from fnship.kinds.alias import PROVISIONED

    return _digest(
        (r.address, r.kind, r.name, {PROVISIONED: r.attrs.get(PROVISIONED)} if r.kind == "alias" else r.attrs)
        for r in resources
    )


def entries(plan: Plan, outputs: Mapping[str, Mapping[str, JsonValue]]) -> dict[str, Entry]:
    """What an applied plan left on each of its functions' aliases: the record's entries. Values known only after
    apply are filled in from the apply's `outputs` (then from live state), as the executor filled them; a function
    with a value still unknown gets no entry (it is read in full next time)."""
    from fnship.kinds import KINDS
    from fnship.model.resources import resolve_refs
    from fnship.plan.live import function_of

    def lookup(address: str, attribute: str) -> str | None:
        made = outputs.get(address, {}).get(attribute)
        if made:
            return str(made)
        live = plan.live.get(address)
        return live.output(attribute) if live is not None else None

    on_alias: dict[str, list[Resource]] = {}
    for resource in plan.desired.resources:
        if KINDS[resource.kind].from_record:
            if resource.spec is not None:
                resource = replace(resource, spec=resolve_refs(resource.spec, lookup))
            on_alias.setdefault(function_of(resource)[0], []).append(resource)
    found: dict[str, Entry] = {}
    for function in plan.desired.of_kind("function"):
        resources = on_alias.get(function.name, [])
        aliases = {}
        for alias in (r for r in resources if r.kind == "alias"):
            live = plan.live.get(alias.address)
            version = outputs.get(alias.address, {}).get("version") or (live.output("version") if live else None)
            if version:
                aliases[alias.name] = str(version)
        function_digest_ = function_digest(resources)
        if function_digest_ is not None and len(aliases) == sum(1 for r in resources if r.kind == "alias"):
            found[function.name] = Entry(aliases, function_digest_)
    return found


def may_write_beside(plan: Plan, running: Iterable[Step], outputs: Mapping[str, Mapping[str, JsonValue]]) -> bool:
    """Whether the record may be written while the steps `running` are still in flight (beside the apply's last
    round of calls instead of after it): each points a new or $LATEST-serving alias at the version this apply
    published (known already), with no provisioned concurrency on either side. A plan trusts the record for a
    function only once GetFunction through each alias answers the recorded version (plan/live.py `_from_record`),
    so an alias step that does not complete (a failure, a kill) makes the next plan read that function in full;
    a failure also marks the record incomplete again before the lock goes (pipeline.deploy)."""
    from fnship.kinds.alias import Alias

    for step in running:
        desired, live = plan.desired.get(step.address), plan.live.get(step.address)
        if step.type != "alias.set" or desired is None or not outputs.get(step.address, {}).get("version"):
            return False
        if desired.spec_as(Alias).provisioned_concurrency or (live and live.spec_as(Alias).provisioned_concurrency):
            return False
    return True


class _Unresolved(Exception):
    pass


def _plain(value: object) -> Json:
    if isinstance(value, Ref):
        raise _Unresolved
    if isinstance(value, Secret):  # (nothing on an alias is secret; kept out of the record all the same)
        return "(sensitive)"
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


# -- reading and writing it (SSM, through the fnship.aws handle) ------------------------------------------------


def mark_incomplete(aws: Aws, service: str, stage: str) -> int:
    """Overwrite the header as incomplete (a taker of the deploy lock, before anything is applied); returns the
    header's new SSM version."""
    name, value = incomplete(service, stage)
    return aws.ssm.overwrite(name, value)


def write(aws: Aws, service: str, stage: str, functions: Mapping[str, Entry], *, inventory: str | None = None) -> None:
    """Store a complete record (the holder of the deploy lock, after an apply that succeeded). The other chunks go
    first and the header last, so a reader never sees a complete header over another writing's chunks. A record too
    big to keep leaves the header incomplete."""
    values = encode(functions, service, stage, inventory=inventory)
    if values is None:
        mark_incomplete(aws, service, stage)
        return
    header = names(service, stage)[0]
    for name, value in values.items():
        if name != header:
            aws.ssm.overwrite(name, value)
    aws.ssm.overwrite(header, values[header])


def remove(aws: Aws, service: str, stage: str) -> None:
    """Delete the record's parameters (`fn remove`, after everything else is gone): one call."""
    aws.ssm.delete_many(names(service, stage))
