"""The core jobs the commands call: load -> package -> model -> plan -> apply, and info / remove.

Commands stay thin: each calls one function here and renders its result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypedDict

from fnship.errors import Diagnostic, FnError, InputError

if TYPE_CHECKING:  # (the core is imported lazily, inside each job: `fn --help` stays fast)
    from concurrent.futures import Future

    from fnship.aws import Aws
    from fnship.cost.plan_cost import PlanCost
    from fnship.cost.traffic import Traffic
    from fnship.deploy_record import Record
    from fnship.executor import ApplyResult, Reporter
    from fnship.jsonvalue import JsonObject, JsonValue
    from fnship.kinds.base import Outputs
    from fnship.lock import LockInfo
    from fnship.manifest.types import Manifest
    from fnship.model.resources import State
    from fnship.packaging.artifacts import Artifact, Packaged
    from fnship.packaging.deps import Tools
    from fnship.plan.diff import Plan, Step
    from fnship.plan.endpoints import Endpoints
    from fnship.plan.live import Discovery
    from fnship.plan.reads import Reads
    from fnship.strategies.shifter import Runtime

    LockWait = Callable[[LockInfo | None], None]  # told who holds the lock while a command waits for it

BUILD_DIR = ".fn"
# The services every plan reads (functions, roles, log groups, the tagging answer), by boto3's names.
READ_CLIENTS = ("lambda", "iam", "logs", "resourcegroupstaggingapi")
# What discovery alone asks (the companion stack, the schedule group): made when no complete record vouches.
DISCOVERY_CLIENTS = ("cloudformation", "scheduler")
NOT_RUN_SHOWN = 10  # steps named after a failure; the --json document lists them all


@dataclass(frozen=True)
class Options:
    """What every command knows from its options."""

    config: Path = Path("serverless.yml")
    stage: str | None = None
    region: str | None = None
    profile: str | None = None
    local: bool = False
    functions: tuple[str, ...] = ()  # -f NAME: restrict to these functions
    extra: Mapping[str, str] = field(default_factory=dict)  # other ${opt:} values


@dataclass
class Loaded:
    manifest: Manifest
    aws: Aws
    # What the last plan's discovery found: the re-plan under the lock reads the same resources again instead of
    # discovering again.
    discovery: Discovery | None = None
    # The last plan's read session: an unchanged service's endpoints are answered from its memo.
    reads: Reads | None = None
    # The last plan's warnings about sources (queues' visibility): the re-plan under the lock gives them again.
    source_warnings: tuple[str, ...] = ()
    # Whether a killed `fn tune` left its journal (read in the plan's first round, with the other parameters).
    tune_journal: bool = False
    # The deploy record as the plan's first round read it (None: there is none).
    record: Record | None = None
    # The record header's SSM version once the holder of the deploy lock marked it incomplete.
    marked: Future[int] | None = None
    # What the holder of the deploy lock does last, beside the release's first read (lock.release's `last`).
    finishing: list[Callable[[], None]] = field(default_factory=list)
    # Whether the lock was still ours, read beside the apply's last round of calls (lock.still_ours): the release
    # then deletes it without reading it again.
    checked: Future[bool] | None = None


def aws_for(options: Options, *, region: str, profile: str | None) -> Aws:
    from fnship.aws import Aws, Target
    from fnship.aws.session import local_requested

    if local_requested(options.local):
        from fnship.local import emulator

        return Aws(Target(region=region, endpoint_url=emulator.endpoint(), local=True))
    return Aws(Target(region=region, profile=options.profile or profile))


def load(options: Options) -> Loaded:
    """The manifest, resolved and validated, and an AWS handle for its region."""
    from fnship.manifest import load_manifest
    from fnship.manifest.types import Lookups

    handles: dict[tuple[str, str | None], Aws] = {}

    def aws_at(*, region: str, profile: str | None) -> Aws:
        # ${ssm:} and ${aws:accountId} are asked while the manifest loads, in the region and with the profile it
        # deploys to; the deployment then reuses the same handle (and its cached account id).
        if (region, profile) not in handles:
            handles[(region, profile)] = aws_for(options, region=region, profile=profile)
        return handles[(region, profile)]

    opts = {**options.extra}
    if options.stage:
        opts["stage"] = options.stage
    if options.region:
        opts["region"] = options.region
    manifest = load_manifest(
        options.config,
        stage=options.stage,
        region=options.region,
        options=opts,
        lookups=Lookups(
            ssm=lambda name, **where: aws_at(**where).ssm_parameter(name),
            account_id=lambda **where: aws_at(**where).account_id(),
            stack_outputs=lambda stack, **where: aws_at(**where).stack_outputs(stack),
            s3_object=lambda bucket, key, **where: aws_at(**where).s3_object_text(bucket, key),
        ),
    )
    check_region(manifest, options)
    unknown = [name for name in options.functions if name not in manifest.functions]
    if unknown:
        raise InputError(
            f"function {', '.join(unknown)} is not in {options.config}",
            hint=f"choose one of: {', '.join(manifest.functions) or '(none)'}",
        )
    return Loaded(manifest, aws_at(region=manifest.region, profile=manifest.provider.profile))


def check_region(manifest: Manifest, options: Options) -> None:
    """A region botocore does not know fails here, before any call (AWS would answer with a DNS error),
    pointing at where the region came from."""
    from fnship.aws.errors import region_problem

    problem = region_problem(manifest.region)
    if problem is None:
        return
    message, hint = problem
    if options.region:
        raise InputError(Diagnostic(message, key="--region", hint=hint))
    provider = manifest.raw.get("provider") or {}
    if isinstance(provider, Mapping) and provider.get("region"):
        where = manifest.locate(("provider", "region"))
        raise InputError(Diagnostic(message, key="provider.region", location=where, hint=hint))
    raise InputError(Diagnostic(message, key="AWS_REGION / AWS_DEFAULT_REGION", hint=hint))


def build_dir(manifest: Manifest) -> Path:
    return manifest.root / BUILD_DIR / "build" / manifest.stage


def check_code(loaded: Loaded) -> None:
    """What `fn validate` checks of the code, without building: each handler's file is in what its function ships
    and defines the function (fn package and everything after check the same while building)."""
    from fnship.packaging import check_handlers

    check_handlers(loaded.manifest, out_dir=build_dir(loaded.manifest))


def refuse_blocked_creates(manifest: Manifest, plan: Plan) -> None:
    """Lambda refuses creating a function on a runtime past its block-create date (updates go on until the
    block-update date): refuse it here, before any call, naming the date and the successor."""
    from fnship import runtimes

    created = {
        change.address.split(".", 1)[1]
        for change in plan.changes
        if change.action == "create" and change.kind == "function"
    }
    problems = []
    for key in sorted(created & set(manifest.functions)):
        runtime = manifest.functions[key].runtime
        verdict = runtimes.judge(runtime, on=runtimes.today(), runtimes=runtimes.catalogue())
        if verdict.create_blocked is not None:
            dep = runtimes.DEPRECATIONS[runtime]
            raw = manifest.functions[key].raw
            where = ("functions", key, "runtime") if "runtime" in raw else ("provider", "runtime")
            problems.append(
                Diagnostic(
                    f"function {key} would be created with runtime {runtime}, which Lambda blocks for new functions "
                    f"since {verdict.create_blocked}",
                    key=".".join(where),
                    location=manifest.locate(where),
                    hint=f"use {dep.successor}",
                )
            )
    if problems:
        raise InputError(problems)


def package(loaded: Loaded, *, out_dir: Path | None = None, only: Collection[str] = ()) -> dict[str, Artifact]:
    """Function key -> Artifact (see package_artifacts for layers too)."""
    return package_artifacts(loaded, out_dir=out_dir, only=only).functions


def package_artifacts(
    loaded: Loaded,
    *,
    out_dir: Path | None = None,
    only: Collection[str] = (),
    reporter: Callable[[str, str], None] | None = None,
    container: str | None = None,
    tools: Tools | None = None,
    cache_writes: bool = True,
) -> Packaged:
    """Every function's artifact and the layers they use (packaging.Packaged). With a deployment bucket set, it
    doubles as a cache shared between machines: artifacts already there are downloaded instead of built, and
    (with `cache_writes`) what was built is stored there."""
    from fnship.packaging import package_all

    manifest = loaded.manifest
    remote = None
    if manifest.provider.deployment_bucket and loaded.aws is not None:
        from fnship.aws.buckets_api import S3ArtifactCache

        remote = S3ArtifactCache(
            loaded.aws.client("s3"),
            manifest.provider.deployment_bucket,
            prefix=f"fnship/{manifest.service}/{manifest.stage}/",
            read_only=not cache_writes,
        )
    return package_all(
        manifest,
        out_dir=out_dir or build_dir(manifest),
        only=list(only) or None,
        reporter=reporter,
        container=container,
        remote=remote,
        tools=tools,
    )


def image_registry() -> str | None:
    """`FN_ECR_REGISTRY` replaces the account's ECR registry host (a mirror, or a loopback registry in tests)."""
    return os.environ.get("FN_ECR_REGISTRY") or None


def release_id(clock: Callable[[], dt.datetime] | None = None) -> str:
    now = (clock or (lambda: dt.datetime.now(dt.timezone.utc)))()
    return now.strftime("%Y%m%dT%H%M%SZ")


def git_commit(directory: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=directory, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def make_plan(
    loaded: Loaded,
    *,
    only: Collection[str] = (),
    strategy: str | None = None,
    cache_writes: bool = True,
    refresh: bool = False,
    before_reads: Callable[[], None] | None = None,
) -> Plan:
    """Package, model and diff: the Plan value that `fn plan` prints and `fn deploy` executes.
    `strategy` (`--strategy`) overrides every function's traffic-shifting strategy. Without `cache_writes`
    (`fn plan`, `--dry-run`) the shared build cache on the deployment bucket is only read: no mutating call.
    With `refresh` nothing is taken from the deploy record: everything is read. `before_reads` runs after the
    first round (fnship's parameters, the deploy record among them), before live state is read."""
    from concurrent.futures import ThreadPoolExecutor

    from fnship.manifest.release import release_settings
    from fnship.model.build import build_desired
    from fnship.plan.reads import Reads

    manifest = loaded.manifest
    releases = release_settings(manifest, strategy=strategy)
    reads = Reads(loaded.aws)

    # fnship's own parameters (the tune journal, the deploy record, the layer registry) are asked while the
    # artifacts build: one round. The account is remembered for these credentials, or named by the parameters'
    # ARNs; when this machine has not seen these credentials, GetCallerIdentity goes out in the same round.
    def first_round(identity: Future[str] | None) -> str:
        _read_parameters(loaded, reads)
        if loaded.record is None or not loaded.record.complete:  # discovery will run: made ready meanwhile
            side.submit(_ready_for_discovery, loaded)
        if before_reads is not None:
            before_reads()
        return identity.result() if identity is not None else loaded.aws.account_id()

    # One client is made at a time (each loads its service's model): the first round's go first.
    loaded.aws.clients.prepare(("ssm",))
    remembered = loaded.aws.remembered_account_id()
    with ThreadPoolExecutor(max_workers=4) as side:
        identity = None if remembered is not None else side.submit(loaded.aws.account_id)
        account_id = side.submit(first_round, identity)
        # The clients every reading uses are made while the first round is in flight, not in the reading's round.
        clients = side.submit(loaded.aws.clients.prepare, READ_CLIENTS)
        packaged = package_artifacts(loaded, only=only, cache_writes=cache_writes)
        account_id.result()
        clients.result()
    desired = build_desired(
        manifest,
        packaged.functions,
        account_id=account_id.result(),
        only=only,
        releases=releases,
        layers=packaged.layers,
        registry=image_registry(),
    )
    plan = _plan_against_live(loaded, desired, only=only, reads=reads, record=None if refresh else loaded.record)
    refuse_blocked_creates(manifest, plan)
    return plan


def _ready_for_discovery(loaded: Loaded) -> None:
    """What discovery needs before its lookups go out, made while the first rounds are in flight: the clients only
    it uses, and every kind (it asks each for its lookups; the table imports a kind's module when first asked)."""
    from fnship.kinds import KINDS

    loaded.aws.clients.prepare(DISCOVERY_CLIENTS)
    for _kind in KINDS.values():
        pass


def _read_parameters(loaded: Loaded, reads: Reads) -> None:
    """fnship's own SSM parameters for this service and stage, in one call: whether a killed `fn tune` left its
    journal, the deploy record, and the layer registry (handed to the reading's memo)."""
    from fnship import deploy_record, lock
    from fnship.kinds.layer import registry_name

    manifest = loaded.manifest
    journal = lock.journal_name(manifest.service, manifest.stage)
    registry = registry_name(service=manifest.service, stage=manifest.stage)
    record_names = deploy_record.names(manifest.service, manifest.stage)
    found = loaded.aws.ssm.get_many([journal, registry, *record_names])
    loaded.tune_journal = journal in found
    loaded.record = deploy_record.parse(found, manifest.service, manifest.stage)
    reads.known(("layer registry", registry), found[registry][0] if registry in found else None)


def _plan_against_live(
    loaded: Loaded, desired: State, *, only: Collection[str], reads: Reads | None = None, record: Record | None = None
) -> Plan:
    from concurrent.futures import ThreadPoolExecutor

    from fnship.kinds.event_source_mapping import queue_warnings
    from fnship.plan.live import read_live, with_stack_values
    from fnship.plan.reads import Reads
    from fnship.plan.steps import make_plan as plan_of
    from fnship.plan.versions import plan_pruning

    reads = loaded.reads = reads if reads is not None else Reads(loaded.aws)
    reads.nothing_recorded = loaded.record is None and record is None
    desired = with_stack_values(reads, desired)  # (the companion stack's values first: names hang on them)
    with ThreadPoolExecutor(max_workers=1) as side:  # the sources' checks go out beside the live reads
        warnings = side.submit(queue_warnings, reads, desired)
        live, loaded.discovery = read_live(reads, desired, discover_owned=not only, record=record)
    loaded.source_warnings = tuple(warnings.result())
    plan = plan_of(desired, live, release_id=release_id(), warnings=loaded.source_warnings)
    return plan_pruning(reads, replace(plan, recorded=loaded.discovery.recorded))


def replan_under_lock(loaded: Loaded, shown: Plan, *, only: Collection[str] = ()) -> Plan:
    """The plan again, under the deploy lock: applied only when it makes the same changes as the one shown.

    Only live state can have moved since `shown` (another deploy, rollback, tune or remove). Each of them takes
    the lock and marks the deploy record first, so when the record's header is at the version after the one the
    plan read (this lock's own mark), nothing was applied meanwhile and `shown` stands without a read. Otherwise
    (or with no record to tell) it is planned again in full, nothing taken from the record, with its desired state
    reused (nothing is packaged twice) and the first plan's warnings about sources (queues)."""
    from fnship.plan.serialize import plan_to_dict

    seen = loaded.record.version if loaded.record is not None else None
    marked = loaded.marked.result() if loaded.marked is not None else None
    if seen is not None and marked == seen + 1:
        return shown
    loaded.record = None  # (what it said may be stale now: a `-f` deploy keeps none of it)
    fresh = _plan_against_live(loaded, shown.desired, only=only)

    def changes(plan: Plan) -> JsonObject:  # the plan as JSON-like data
        data = plan_to_dict(plan)
        data.pop("release")
        data.pop("recorded", None)
        return data

    if changes(fresh) != changes(shown):
        raise FnError(
            "live state changed after the plan was shown (another deploy or rollback ran meanwhile); nothing applied",
            hint="run the command again to see the new plan",
        )
    return fresh


def checked_beside_lock(loaded: Loaded, plan: Plan, *, only: Collection[str] = ()) -> Plan:
    """A plan whose reads went out beside the taking of the lock (a first deploy, nothing to ask) stands when no
    one held the lock between the first round and this one: the deploy record's header is then at the version after
    the one the first round read (this lock's own mark; 1 when there was none). Otherwise everything is read again,
    now under the lock."""
    seen = loaded.record.version if loaded.record is not None else None
    assert loaded.marked is not None  # (deploy_lock marks the record as it takes the lock)
    if loaded.marked.result() == (seen or 0) + 1:
        return plan
    loaded.record = None
    fresh = _plan_against_live(loaded, plan.desired, only=only)
    refuse_blocked_creates(loaded.manifest, fresh)
    return fresh


API_EVENT_TYPES = frozenset({"httpApi", "http", "websocket"})


def endpoints(
    loaded: Loaded, plan: Plan | None = None, outputs: Mapping[str, Mapping[str, JsonValue]] | None = None
) -> Endpoints:
    """The HTTP API (URL, routes), the REST API (URL, methods) and the function URLs, as deployed.

    After `plan` (applied, or empty) live state is its desired state: only the APIs and function URLs it has are
    looked for, and when it changed nothing the answers come from its own reading (no call at all). The APIs'
    ids come from the plan's live state and the apply's `outputs` when they are there."""
    from fnship.model.address import Address
    from fnship.model.build import alias_name
    from fnship.plan.endpoints import read_endpoints
    from fnship.plan.reads import Reads

    manifest = loaded.manifest
    functions = [(key, spec.name, alias_name(manifest, spec)) for key, spec in manifest.functions.items()]
    reads = Reads(loaded.aws)
    # Where the APIs' ids are named when the tagging answer names none (the emulator's): the policies of the
    # functions with API events, not of every function.
    reads.api_aliases = [
        (spec.name, alias_name(manifest, spec))
        for spec in manifest.functions.values()
        if any(event.type in API_EVENT_TYPES for event in spec.events)
    ]
    where: dict[str, set[str]] = {}
    planned = {r.address for r in plan.desired.of_kind("function")} if plan is not None else set()
    if plan is not None and planned >= {f"function.{key}" for key in manifest.functions}:  # not a `-f` plan
        where["urls"] = {r.in_scope().function_key for r in plan.desired.of_kind("function_url")}
        where["apis"] = {kind for kind in ("http_api", "rest_api", "websocket_api") if plan.desired.of_kind(kind)}
        if plan.empty and loaded.reads is not None:
            reads = loaded.reads  # (its API ids, if asked, were found while planning)
        known: dict[str, set[str]] = {}
        for kind, address, arn_kind in (("http_api", Address.http_api(), "apis"),
                                        ("rest_api", Address.rest_api(), "restapis"),
                                        ("websocket_api", Address.websocket_api(), "apis")):  # fmt: skip
            ids = [
                ((outputs or {}).get(address) or {}).get("id"),
                *(r.output("id") for r in plan.live.of_kind(kind)),
            ]
            known.setdefault(arn_kind, set()).update(str(found) for found in ids if found)
        if any(known.values()):
            reads.known_api_ids = {kind: frozenset(ids) for kind, ids in known.items()}
    reads.existing_rest_api = manifest.provider.rest_api.existing_id  # (its methods' REST API: not ours by name)
    return read_endpoints(
        reads, service=manifest.service, stage=manifest.stage, region=manifest.region, functions=functions, **where
    )


def release_record(plan: Plan, manifest: Manifest) -> dict[str, str | None]:
    """Who released what and when: written into each published version's description, and told to hooks."""
    from fnship.releases import who_am_i

    return {
        "release": plan.release_id,
        "time": _release_time(plan),
        "commit": git_commit(manifest.root),
        "by": who_am_i(),
        "service": plan.service,
        "stage": plan.stage,
    }


def _release_time(plan: Plan) -> str:
    """When the release was planned, as ISO 8601 (its id is the compact form)."""
    return dt.datetime.strptime(plan.release_id, "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")


def apply(
    loaded: Loaded,
    plan: Plan,
    *,
    reporter: Reporter | None = None,
    runtime: Runtime | None = None,
    beside_last: Callable[[tuple[Step, ...], Outputs], None] | None = None,
) -> ApplyResult:
    """Run the plan. `runtime` (strategies.shifter.Runtime) carries the clock, progress and interrupt policy;
    `beside_last` is told when only the last steps are running (executor.apply_plan)."""
    from fnship.executor import apply_plan
    from fnship.releases import format_description

    record = release_record(plan, loaded.manifest)
    description = format_description(
        release_id=plan.release_id, time=_release_time(plan), commit=record["commit"], who=record["by"]
    )
    return apply_plan(plan, loaded.aws, description=description, reporter=reporter, release=record, runtime=runtime,
                      beside_last=beside_last)  # fmt: skip


@contextlib.contextmanager
def deploy_lock(
    loaded: Loaded,
    *,
    command: str,
    strategy: str | None = None,
    wait: float = 0,
    on_wait: LockWait | None = None,
    mark_beside: bool = False,
) -> Iterator[LockInfo]:
    """The service-and-stage deploy lock as a context manager: a lease renewed while the command works (however
    long its strategy's waits), so a crashed deploy blocks the next one for at most the lease (fnship.lock).

    Once held, the deploy record is marked incomplete (fnship/deploy_record.py) before the body runs, so a
    command that dies half-way never leaves a record that vouches for what it half did. With `mark_beside` the
    mark goes out beside the body's first reads instead, and the body waits for `loaded.marked` before it changes
    anything."""
    from concurrent.futures import ThreadPoolExecutor

    from fnship import deploy_record

    manifest = loaded.manifest
    lease = _lease(loaded, command=command, strategy=strategy, wait=wait, on_wait=on_wait)
    with lease as held, ThreadPoolExecutor(max_workers=1) as side:
        loaded.marked = side.submit(deploy_record.mark_incomplete, loaded.aws, manifest.service, manifest.stage)
        if not mark_beside:
            loaded.marked.result()
        yield held


def _lease(
    loaded: Loaded, *, command: str, strategy: str | None, wait: float, on_wait: LockWait | None
) -> AbstractContextManager[LockInfo]:
    from fnship import lock
    from fnship.manifest.release import release_settings
    from fnship.manifest.strategy import total_wait
    from fnship.releases import who_am_i

    settings = release_settings(loaded.manifest, strategy=strategy).values()
    longest = max((total_wait(s.strategy) for s in settings), default=0.0)
    manifest = loaded.manifest
    return lock.held(
        loaded.aws,
        service=manifest.service,
        stage=manifest.stage,
        who=who_am_i(),
        command=command,
        ttl=lock.ttl_for(longest),
        wait=wait,
        unlock_command=unlock_command(loaded),
        last=loaded.finishing,
        on_wait=on_wait or (lambda _holder: None),
        checked=partial(_checked_beside_last, loaded),
    )


def _checked_beside_last(loaded: Loaded) -> bool | None:
    """What lock.still_ours answered beside the apply's last round; None when it was not asked (or failed: the
    release then reads it)."""
    checked, loaded.checked = loaded.checked, None  # (said of this lock only: a later one reads its own)
    if checked is None:
        return None
    try:
        return checked.result()
    except FnError:
        return None


def unlock_command(loaded: Loaded) -> str:
    """The exact `fn unlock` that breaks this service's and stage's lock, for a message to paste from."""
    import shlex

    manifest, target = loaded.manifest, loaded.aws.target
    words = ["fn", "unlock", "-c", str(manifest.path), "--stage", manifest.stage, "--region", manifest.region]
    if target.profile:
        words += ["--profile", target.profile]
    if target.local:
        words.append("--local")
    return shlex.join([*words, "--yes"])


def removal_plan(loaded: Loaded) -> Plan:
    """Everything live that carries this service's and stage's tags, planned for deletion."""
    from fnship.kinds.stack import removal_warnings
    from fnship.model.resources import State
    from fnship.plan.live import read_live
    from fnship.plan.steps import make_plan as plan_of

    manifest = loaded.manifest
    empty = State(manifest.service, manifest.stage, manifest.region, ())
    live, loaded.discovery = read_live(loaded.aws, empty, discover_owned=True)
    return plan_of(empty, live, release_id=release_id(), warnings=tuple(removal_warnings(live)))


class VersionInfo(TypedDict):
    version: str
    description: str
    code_sha256: str | None


class _FunctionInfo(TypedDict):
    key: str
    name: str
    deployed: bool
    alias: str


class FunctionInfo(_FunctionInfo, total=False):
    """One function in `fn info` (one not deployed has only the four keys above)."""

    arn: str
    runtime: str | None
    handler: str | None
    memory_size: int | None
    timeout: int | None
    architecture: str
    code_size: int | None
    last_modified: str | None
    role: str | None
    alias_version: str | None
    alias_arn: str | None
    weights: dict[str, float]
    versions: list[VersionInfo]


class StackInfo(TypedDict):
    name: str
    status: str | None  # None: not deployed
    outputs: dict[str, str]


class ServiceInfo(TypedDict):
    service: str
    stage: str
    region: str
    functions: list[FunctionInfo]
    stack: NotRequired[StackInfo]  # only with `resources:`
    endpoints: Endpoints


def info(loaded: Loaded) -> ServiceInfo:
    """What is deployed: per function its name, runtime, alias target, versions and role."""
    from concurrent.futures import ThreadPoolExecutor

    from fnship.model.build import alias_name

    manifest = loaded.manifest
    lam = loaded.aws.lambda_

    def describe(key: str) -> FunctionInfo:
        spec = manifest.functions[key]
        found = lam.get_function_or_none(spec.name)
        alias = alias_name(manifest, spec)
        entry: FunctionInfo = {"key": key, "name": spec.name, "deployed": found is not None, "alias": alias}
        if found is None:
            return entry
        config = found["Configuration"]
        live_alias = lam.get_alias_or_none(spec.name, alias)
        versions = [v for v in lam.list_versions(spec.name) if v["Version"] != "$LATEST"]
        entry.update(
            {
                "arn": config["FunctionArn"],
                "runtime": config.get("Runtime"),
                "handler": config.get("Handler"),
                "memory_size": config.get("MemorySize"),
                "timeout": config.get("Timeout"),
                "architecture": (config.get("Architectures") or ["x86_64"])[0],
                "code_size": config.get("CodeSize"),
                "last_modified": config.get("LastModified"),
                "role": config.get("Role"),
                "alias_version": live_alias["FunctionVersion"] if live_alias else None,
                "alias_arn": live_alias.get("AliasArn") if live_alias else None,
                "weights": dict(
                    ((live_alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") if live_alias else None)
                    or {}
                ),
                "versions": [
                    {
                        "version": v["Version"],
                        "description": v.get("Description", ""),
                        "code_sha256": v.get("CodeSha256"),
                    }
                    for v in sorted(versions, key=lambda v: int(v["Version"]))
                ],
            }
        )
        return entry

    with ThreadPoolExecutor(max_workers=8) as pool:
        functions = list(pool.map(describe, list(manifest.functions)))
    found: ServiceInfo = {
        "service": manifest.service,
        "stage": manifest.stage,
        "region": manifest.region,
        "functions": functions,
        "endpoints": endpoints(loaded),
    }
    if manifest.stack is not None:
        found["stack"] = stack_info(loaded)
    return found


def stack_info(loaded: Loaded) -> StackInfo:
    """The companion stack: its name, status and outputs (not the ones fnship adds for what it reads)."""
    from fnship.kinds.stack import stack_name, user_outputs

    manifest = loaded.manifest
    name = stack_name(service=manifest.service, stage=manifest.stage)
    found = loaded.aws.cloudformation.stack_or_none(name, details=False)
    if found is None:
        return {"name": name, "status": None, "outputs": {}}
    return {"name": name, "status": found.status, "outputs": user_outputs(found.outputs)}


def failure_error(result: ApplyResult) -> FnError:
    """An apply that stopped: say what completed, what failed and what did not run, and that a re-run converges."""
    done = len(result.completed)
    not_run = len(result.not_run)
    error = result.error
    assert error is not None, "a stopped apply says why"
    ended = "was interrupted" if result.interrupted else "failed"
    stopped = f"step {result.failed.type} {result.failed.address} {ended}" if result.failed else "the apply stopped"
    message = f"{error.message}\n  {stopped} after {done} completed step(s); {not_run} step(s) not run"
    if result.not_run:
        shown = ", ".join(f"{step.type} {step.address}" for step in result.not_run[:NOT_RUN_SHOWN])
        more = f" and {not_run - NOT_RUN_SHOWN} more" if not_run > NOT_RUN_SHOWN else ""
        message += f"\n  not run: {shown}{more}"
    failure = FnError(message, hint=error.hint or "fix the cause and run the same command again: it converges")
    failure.exit_code = error.exit_code
    return failure


def clean_tune_leftovers_locked(loaded: Loaded) -> list[str]:
    """Undo what a killed `fn tune` left (the caller holds the deploy lock); [] when nothing was left."""
    from fnship import tune

    manifest = loaded.manifest
    keys = {spec.name: key for key, spec in manifest.functions.items()}

    def code_for(name: str, architecture: str) -> bytes:
        if name not in keys:
            raise FnError(f"an interrupted fn tune left {name} on another architecture, and it is not in the manifest")
        return tune.zip_for(loaded, keys[name], architecture=architecture, code_sha256=None)

    return tune.cleanup(loaded.aws, service=manifest.service, stage=manifest.stage, code_for=code_for)


def clean_tune_leftovers(loaded: Loaded, *, wait: float = 0, on_wait: LockWait | None = None) -> list[str]:
    """If a killed `fn tune` left its journal (the plan's first round read whether it did: `loaded.tune_journal`),
    take the lock (waiting up to `wait` for a dead tune's lease) and undo it, so the plan is the one the manifest
    alone makes."""
    if not loaded.tune_journal:
        return []
    loaded.tune_journal = False
    with deploy_lock(loaded, command="fn deploy (cleaning up fn tune)", wait=wait, on_wait=on_wait):
        return clean_tune_leftovers_locked(loaded)


def plan_cost(loaded: Loaded, plan: Plan, *, days: int = 30) -> PlanCost | None:
    """What the plan's changes cost a month, at the last `days` days' traffic (cost.plan_cost); None when no change
    touches what Lambda bills by (then no metric is read)."""
    from fnship.cost import plan_cost as pricing
    from fnship.cost.service import price_book
    from fnship.cost.traffic import read_traffic

    changes = pricing.billing_changes(plan)
    if not changes:
        return None
    try:
        # The invocations provisioned concurrency served are in the alias's own metrics (where it is configured).
        provisioned = {c.name: [c.alias] for c in changes if c.alias and c.before.provisioned}
        traffic: Mapping[str, Traffic | None] | str = read_traffic(
            loaded.aws.cloudwatch, [c.name for c in changes], days=days, provisioned=provisioned
        )
    except FnError as exc:  # no cloudwatch:GetMetricData permission: the plan still shows, the cost says why not
        traffic = exc.message.splitlines()[0]
    book = price_book(loaded.aws)
    return pricing.annotate(changes, traffic=traffic, prices_for=book.prices, days=days)


# -- the deploy and remove workflows -------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a deploy or remove did: the plan it showed (or applied), whether it applied it, and how that went."""

    plan: Plan
    applied: bool = False
    declined: bool = False  # the user answered no
    result: ApplyResult | None = None  # when applied
    endpoints: Endpoints | None = None
    error: FnError | None = None  # the apply stopped: what completed, failed and did not run


def _nothing(_label: str) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


@dataclass
class Hooks:
    """How a command takes part in a workflow without the workflow knowing about terminals: it shows the plan,
    asks to go on, shows progress. Defaults do nothing and never confirm."""

    show_plan: Callable[[Plan], None] = lambda _plan: None
    confirm: Callable[[Plan], bool] = lambda _plan: False
    working: Callable[[str], AbstractContextManager[None]] = _nothing  # a spinner around reading and building
    reporter: Callable[[Plan], AbstractContextManager[Reporter | None]] = lambda _plan: contextlib.nullcontext(None)
    on_lock_wait: LockWait | None = None
    guard: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext  # SIGTERM as Ctrl-C while applying
    note: Callable[[str], None] = lambda _line: None  # something done on the way worth saying (a clean-up)
    # `confirm` answers yes without asking (`--yes`): a first deploy may then take the lock before it reads.
    confirms_without_asking: bool = False


def deploy(
    loaded: Loaded,
    hooks: Hooks,
    *,
    only: Collection[str] = (),
    strategy: str | None = None,
    dry_run: bool = False,
    wait_lock: float = 0,
    runtime: Runtime | None = None,
    refresh: bool = False,
) -> Outcome:
    """plan -> show -> confirm -> lock -> re-plan under the lock -> apply -> record -> endpoints.

    The lock is taken only when there is something to apply (an unchanged service makes no mutating call), and
    the plan is checked again under it: another deploy may have changed live state meanwhile (see
    replan_under_lock). With no complete deploy record to go by (a first deploy, or after a rollback or a deploy
    that failed) and nothing to ask, the lock is taken right after the first round instead, beside the plan's reads,
    which stand if no one held the lock meanwhile (checked_beside_lock), and the record is written even when the
    plan changes nothing. After an apply that succeeded, the deploy
    record says what it left (fnship/deploy_record.py), before the lock is released."""

    def lock(*, mark_beside: bool = False) -> AbstractContextManager[LockInfo]:
        return deploy_lock(loaded, command="fn deploy", strategy=strategy, wait=wait_lock, on_wait=hooks.on_lock_wait,
                           mark_beside=mark_beside)  # fmt: skip

    from concurrent.futures import ThreadPoolExecutor, wait

    with contextlib.ExitStack() as held:
        locked = False
        lease: LockInfo | None = None
        locking: Future[LockInfo] | None = None
        lock_taker = held.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="fnship-lock"))

        def lock_before_reading() -> None:
            nonlocal locked, locking
            vouched = loaded.record is not None and loaded.record.complete
            if dry_run or not hooks.confirms_without_asking or vouched or loaded.tune_journal:
                return
            # Taken beside the reads (one round trip, not two): what they found is checked once it is held.
            locking = lock_taker.submit(held.enter_context, lock(mark_beside=True))
            locked = True

        try:
            with hooks.working("Building and reading live state"):
                plan = make_plan(loaded, only=only, strategy=strategy, cache_writes=not dry_run, refresh=refresh,
                                 before_reads=lock_before_reading)  # fmt: skip
        finally:
            if locking is not None:
                wait([locking])  # (held by the stack, or failed, before anything unwinds)
        if locking is not None:
            lease = locking.result()
            with hooks.working("Building and reading live state"):
                plan = checked_beside_lock(loaded, plan, only=only)
        if not dry_run and loaded.tune_journal:
            # A killed `fn tune` left $LATEST changed and versions behind: undone, then planned again (the plan's
            # first round read the journal, so a deploy with nothing to clean makes no call for it).
            for line in clean_tune_leftovers(loaded, wait=wait_lock, on_wait=hooks.on_lock_wait):
                hooks.note(line)
            with hooks.working("Building and reading live state"):
                plan = make_plan(loaded, only=only, strategy=strategy, cache_writes=True, refresh=refresh)
        hooks.show_plan(plan)
        if plan.empty or dry_run:
            if locked:  # (live state as the manifest says, and no record that vouches for it: written now)
                loaded.finishing.append(partial(write_record, loaded, plan, {}, only=only, note=hooks.note))
            return Outcome(plan, endpoints=endpoints(loaded, plan) if plan.empty else None)
        if not hooks.confirm(plan):
            return Outcome(plan, declined=True)
        if not locked:
            lease = held.enter_context(lock())
        assert lease is not None
        # (entered after the lock: its jobs are done before the lock goes)
        beside = held.enter_context(ThreadPoolExecutor(max_workers=2, thread_name_prefix="fnship-finish"))
        written: list[Future[None]] = []

        def beside_last(running: tuple[Step, ...], outputs: Outputs) -> None:
            """The record and the lock's check go out beside the last steps' calls when the next plan checks what
            those steps do (deploy_record.may_write_beside): one round trip instead of two after the apply."""
            from fnship import deploy_record, lock

            if deploy_record.may_write_beside(plan, running, outputs):
                written.append(beside.submit(write_record, loaded, plan, outputs, only=only, note=hooks.note))
                manifest = loaded.manifest
                loaded.checked = beside.submit(lock.still_ours, loaded.aws, service=manifest.service,
                                               stage=manifest.stage, lock=lease)  # fmt: skip

        with hooks.guard():
            if not locked:
                plan = replan_under_lock(loaded, plan, only=only)
            assert loaded.marked is not None  # (deploy_lock marks the record as it takes the lock)
            loaded.marked.result()  # nothing changes before the record stops vouching
            with hooks.reporter(plan) as report:
                result = apply(loaded, plan, reporter=report, runtime=runtime, beside_last=beside_last)
            if result.ok and not written:  # written beside the release's first read, before the lock goes
                loaded.finishing.append(partial(write_record, loaded, plan, result.outputs, only=only, note=hooks.note))
            elif not result.ok and written:  # written complete beside a step that then failed: it vouches no more
                loaded.finishing.append(partial(_mark_incomplete_after, written[0], loaded))
    if not result.ok:
        return Outcome(plan, applied=True, result=result, error=failure_error(result))
    return Outcome(plan, applied=True, result=result, endpoints=endpoints(loaded, plan, result.outputs))


def _mark_incomplete_after(written: Future[None], loaded: Loaded) -> None:
    from concurrent.futures import wait

    from fnship import deploy_record

    wait([written])
    deploy_record.mark_incomplete(loaded.aws, loaded.manifest.service, loaded.manifest.stage)


def write_record(
    loaded: Loaded,
    plan: Plan,
    outputs: Mapping[str, Mapping[str, JsonValue]],
    *,
    only: Collection[str] = (),
    note: Callable[[str], None] = lambda _line: None,
) -> None:
    """The deploy record after `plan` was applied (the caller holds the lock). With `-f`, the other functions keep
    what the record said of them when the plan read it, if it was complete. A write that fails is said with `note`
    and fails nothing: what was applied stands, and the record, marked incomplete, vouches for nothing (the next
    plan reads everything)."""
    from fnship import deploy_record
    from fnship.plan.live import inventory as live_inventory

    manifest = loaded.manifest
    functions = deploy_record.entries(plan, outputs)
    if only and loaded.record is not None and loaded.record.complete:
        functions = {**loaded.record.functions, **functions}
    # (a `-f` plan's desired state is part of the service's: no inventory, so the next plan discovers in full)
    inventory = None if only else live_inventory(plan.desired)
    try:
        deploy_record.write(loaded.aws, manifest.service, manifest.stage, functions, inventory=inventory)
    except FnError as exc:
        note(f"the deploy record was not written ({exc.message.splitlines()[0]}): the next plan reads everything")


def remove(loaded: Loaded, hooks: Hooks) -> Outcome:
    """plan the removal -> show -> confirm -> lock -> apply. Removing while a deploy or rollback runs would leave
    both half done: remove takes the same lock."""
    with hooks.working("Reading live state"):
        plan = removal_plan(loaded)
    hooks.show_plan(plan)
    if plan.empty:
        return Outcome(plan)
    if not hooks.confirm(plan):
        return Outcome(plan, declined=True)
    with deploy_lock(loaded, command="fn remove"):
        with hooks.reporter(plan) as report:
            result = apply(loaded, plan, reporter=report)
        if result.ok:  # everything else is gone: so is the deploy record
            from fnship import deploy_record

            manifest = loaded.manifest
            deploy_record.remove(loaded.aws, manifest.service, manifest.stage)
    return Outcome(plan, applied=True, result=result, error=None if result.ok else failure_error(result))
