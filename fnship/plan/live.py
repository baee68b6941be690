"""Read what is live for one service and stage, normalized to the same shape as the desired state.

Read-only AWS calls: this module never mutates anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from fnship.arns import parse_arn
from fnship.kinds import KINDS
from fnship.kinds.event_rule import EventRule
from fnship.model import iam, names
from fnship.model.address import Address
from fnship.model.build import release_of
from fnship.model.resources import (
    OWNER_FUNCTION_TAG,
    OWNER_SERVICE_TAG,
    OWNER_STAGE_TAG,
    Resource,
    State,
    ownership_tags,
)
from fnship.plan import artifacts_live, live_triggers
from fnship.releases import released_history
from fnship.strategies.shifter import ERRORS_ALARM_NAME

# Reads in flight at once: enough for a round of 100+ functions; the client-side limiter (fnship/aws/limits.py)
# keeps each API under its quota, and the HTTP connection pool is as large (fnship/aws/session.py).
READ_WORKERS = 32
DEFAULT_EPHEMERAL_MB = 512


class Reads:
    """One reading of live state: the AWS handle, plus a memo so a call several readers need (an alias's
    policy, an API's routes) runs once, and concurrent callers of the same call wait for the one in flight.
    Attribute access goes through to the AWS handle.

    `owner` is (service, stage) of the reading; `log_groups` the names read in one batch (see `log_group`)."""

    def __init__(self, aws: Any, *, owner: tuple[str, str] | None = None) -> None:
        self.aws = aws
        self.owner = owner
        self.log_groups: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        self._memo: dict[Hashable, Future] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.aws, name)

    def once(self, key: Hashable, fn: Callable[[], Any]) -> Any:
        with self._lock:
            future = self._memo.get(key)
            owner = future is None
            if owner:
                future = self._memo[key] = Future()
        assert future is not None
        if owner:
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    # -- reads several readers share --------------------------------------------------------------------------

    def function(self, name: str, qualifier: str | None = None) -> dict[str, Any] | None:
        """GetFunction (of $LATEST, or of what `qualifier`, a version or an alias, points at)."""
        return self.once(
            ("function", name, qualifier), lambda: self.aws.lambda_.get_function_or_none(name, qualifier=qualifier)
        )

    def aliases(self, name: str) -> dict[str, dict[str, Any]]:
        """Alias name -> alias, every alias of the function (one ListAliases serves discovery and reading)."""

        def listed() -> dict[str, dict[str, Any]]:
            return {alias["Name"]: alias for alias in self.aws.lambda_.list_aliases_or_none(name) or []}

        return self.once(("aliases", name), listed)

    def tagged(self) -> dict[str, dict[str, str]]:
        """ARN -> tags of everything carrying this reading's ownership tags (one paged Resource Groups call)."""
        assert self.owner is not None
        service, stage = self.owner
        return self.once(("tagged", self.owner), lambda: self.aws.find_tagged(ownership_tags(service, stage)))

    def log_group(self, name: str) -> dict[str, Any] | None:
        """A log group (name, ARN, retention). The names in `log_groups` are read in one DescribeLogGroups
        batch; any other name alone."""
        batch = self.log_groups if name in self.log_groups else frozenset({name})
        return self.once(("log_groups", batch), lambda: self.aws.logs.describe_log_groups(sorted(batch))).get(name)


def function_attrs(
    config: Mapping[str, Any],
    tags: Mapping[str, str] | None,
    concurrency: Mapping[str, Any] | None,
    code: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Lambda's GetFunction answer in the model's vocabulary, with AWS defaults filled in."""
    variables = (config.get("Environment") or {}).get("Variables") or {}
    vpc = config.get("VpcConfig") or {}
    image = config.get("PackageType") == "Image"
    return {
        "runtime": config.get("Runtime"),
        "handler": config.get("Handler"),
        "memory_size": config.get("MemorySize"),
        "timeout": config.get("Timeout"),
        "architecture": (config.get("Architectures") or ["x86_64"])[0],
        "description": config.get("Description") or "",
        "environment": dict(sorted(variables.items())),
        "ephemeral_storage": (config.get("EphemeralStorage") or {}).get("Size", DEFAULT_EPHEMERAL_MB),
        "layers": [layer["Arn"] for layer in config.get("Layers") or []],
        "role": config.get("Role"),
        "code_sha256": None if image else config.get("CodeSha256"),
        "image_uri": (code or {}).get("ImageUri") if image else None,
        # Unset ImageConfig fields come back empty ([] or ""): the same as not set.
        "image_config": {
            k: v for k, v in ((config.get("ImageConfigResponse") or {}).get("ImageConfig") or {}).items() if v
        },
        "reserved_concurrency": (concurrency or {}).get("ReservedConcurrentExecutions"),
        "tags": dict(tags or {}),
        "vpc": {
            "subnet_ids": sorted(vpc["SubnetIds"]),
            "security_group_ids": sorted(vpc.get("SecurityGroupIds") or []),
        }
        if vpc.get("SubnetIds")
        else None,
        "tracing": (config.get("TracingConfig") or {}).get("Mode") or "PassThrough",
        "dead_letter_arn": (config.get("DeadLetterConfig") or {}).get("TargetArn") or None,
        "kms_key_arn": config.get("KMSKeyArn") or None,
    }


def read_function(aws: Reads, name: str, key: str) -> list[Resource]:
    found = aws.function(name)
    if found is None:
        return []
    config = found["Configuration"]
    return [
        Resource(
            address=Address.function(key),
            kind="function",
            name=name,
            attrs=function_attrs(config, found.get("Tags"), found.get("Concurrency"), found.get("Code")),
            extras={"arn": config["FunctionArn"], "version": config.get("Version")},
        )
    ]


def read_alias(aws: Reads, function_name: str, key: str, alias: str) -> list[Resource]:
    found = aws.aliases(function_name).get(alias)
    if found is None:
        return []
    version = str(found["FunctionVersion"])
    extras = {
        "function_name": function_name,
        "function_key": key,
        "version": version,
        "arn": found.get("AliasArn"),
        "revision_id": found.get("RevisionId"),
        "weights": dict((found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}),
        "released": released_history(found.get("Description")),
    }
    if version == "$LATEST":
        attrs: dict[str, Any] = {"version": "$LATEST"}
    else:
        # GetFunction through the alias answers the version it points at; it was asked in the same round as
        # ListAliases (see _warm). Only if the alias moved in between is the version asked by number.
        served = aws.function(function_name, alias)
        if served is None or str(served["Configuration"].get("Version")) != version:
            served = aws.function(function_name, version)
        release = release_of(function_attrs(served["Configuration"], None, None, served.get("Code"))) if served else {}
        attrs = {"release": release}
    provisioned = _provisioned(aws, function_name, alias, found.get("Description") or "")
    if provisioned:
        attrs["provisioned_concurrency"] = provisioned
    return [Resource(address=Address.alias(key, alias), kind="alias", name=alias, attrs=attrs, extras=extras)]


def _provisioned(aws: Any, function_name: str, alias: str, description: str) -> int | None:
    """The alias's provisioned concurrency. Only aliases fnship marked as provisioned are asked (one call saved
    per alias on every plan); the marker is in the alias description (see executor `alias.concurrency`)."""
    from fnship.releases import PROVISIONED_MARKER

    if PROVISIONED_MARKER not in description:
        return None
    config = aws.lambda_.get_provisioned_concurrency_or_none(function_name, alias)
    return int(config["RequestedProvisionedConcurrentExecutions"]) if config else None


def read_log_group(aws: Reads, name: str, key: str) -> list[Resource]:
    found = aws.log_group(name)
    if found is None:
        return []
    # Our log groups' tags came with discovery's one tagging call; a group without our tags is asked alone.
    tags = _tags_by_log_group(aws).get(name)
    if tags is None:
        tags = aws.logs.get_tags(found["Arn"])
    return [
        Resource(
            address=Address.log_group(key),
            kind="log_group",
            name=name,
            attrs={"retention_days": found["RetentionInDays"], "tags": tags},
            extras={"arn": found["Arn"]},
        )
    ]


def _tags_by_log_group(aws: Reads) -> dict[str, dict[str, str]]:
    if aws.owner is None:
        return {}
    found = {}
    for arn, tags in aws.tagged().items():
        parts = parse_arn(arn)
        if parts and parts.service == "logs" and parts.resource.startswith("log-group:"):
            found[parts.resource.removeprefix("log-group:").removesuffix(":*")] = dict(tags)
    return found


def read_role(aws: Any, name: str, key: str) -> list[Resource]:
    found = aws.iam.get_role_or_none(name)
    if found is None:
        return []
    inline = found["InlinePolicies"].get(iam.INLINE_POLICY_NAME)
    # Inline policies added outside fnship are drift on a role fnship owns: shown only when there are some (the
    # desired side has none), so the plan removes them.
    others = {
        policy: iam.normalize_document(document)
        for policy, document in sorted(found["InlinePolicies"].items())
        if policy != iam.INLINE_POLICY_NAME
    }
    return [
        Resource(
            address=Address.role(key),
            kind="role",
            name=name,
            attrs={
                "path": found["Path"],
                "trust_policy": iam.normalize_document(found["AssumeRolePolicyDocument"]),
                "inline_policy": iam.normalize_document(inline) if inline is not None else None,
                "managed_policies": found["ManagedPolicies"],
                "permissions_boundary": found["PermissionsBoundary"],
                "tags": found["Tags"],
                **({"other_inline_policies": others} if others else {}),
            },
            extras={"arn": found["Arn"]},
        )
    ]


def read_alarm(aws: Any, stub: Resource) -> list[Resource]:
    state = aws.cloudwatch.alarm_states([stub.name]).get(stub.name)
    if state is None:
        return []
    return [Resource(stub.address, "alarm", stub.name, {"state": state})]


def _function_key(resource: Resource) -> str:
    """The function (or `shared`) a function-scoped address names."""
    key = Address(resource.address).function_key
    assert key is not None, resource.address
    return key


def _read_alias_for(aws: Any, resource: Resource) -> list[Resource]:
    return read_alias(aws, resource.extras["function_name"], resource.extras["function_key"], resource.name)


READERS: dict[str, Callable[[Any, Resource], list[Resource]]] = {
    "layer": artifacts_live.read_layer,
    "image": artifacts_live.read_image,
    "deployment_bucket": artifacts_live.read_deployment_bucket,
    "ecr_repository": artifacts_live.read_repository,
    "function": lambda aws, r: read_function(aws, r.name, _function_key(r)),
    "alias": _read_alias_for,
    "log_group": lambda aws, r: read_log_group(aws, r.name, _function_key(r)),
    "role": lambda aws, r: read_role(aws, r.name, _function_key(r)),
    "alarm": read_alarm,
    **live_triggers.READERS,
}


# Kinds that hang on a function's alias: none of them exists while the function does not, so they are not asked.
ON_FUNCTION = frozenset({"alias", "permission", "event_source_mapping", "function_url", "event_invoke_config"})


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


def _unqualified(function_arn: str) -> str:
    base, _, rest = function_arn.partition(":function:")
    return f"{base}:function:{rest.split(':', 1)[0]}"


def _warm_function(aws: Reads, function_arn: str, aliases: Iterable[str]) -> list[Callable[[], Any]]:
    """The reads of one existing function that discovery and the readers share, to run in one round: its aliases,
    and per alias the version it serves, its policy, mappings, URL and async config."""
    name = function_arn.rsplit(":function:", 1)[1]
    calls: list[Callable[[], Any]] = [lambda: aws.aliases(name)]
    for alias in aliases:
        calls += [
            partial(aws.function, name, alias),
            partial(live_triggers.alias_policy, aws, name, alias),
            partial(live_triggers.alias_url, aws, name, alias),
            partial(live_triggers.alias_invoke_config, aws, name, alias),
            partial(live_triggers.alias_mappings, aws, f"{function_arn}:{alias}"),
        ]
    return calls


def discover(aws: Reads, *, service: str, stage: str, pool: ThreadPoolExecutor) -> list[Resource]:
    """Stubs (address, kind, name) for everything this service and stage owns: what carries its ownership
    tags (one Resource Groups Tagging call, filtered by both tags), roles under its IAM path, the triggers found
    on its functions' aliases (see live_triggers), its APIs and layers. No list of the whole account.

    Three rounds, each concurrent: the tag, path and API lookups; then every owned function's aliases (with
    the reads of each alias's triggers, all shared with the readers through the memo); then nothing but memo
    hits."""
    stubs: list[Resource] = []
    tagged, role_names, _apis, layers = _in_parallel(
        pool,
        [
            aws.tagged,
            lambda: aws.iam.list_role_names(names.role_path(service=service, stage=stage)),
            lambda: live_triggers.warm_shared(aws),
            lambda: artifacts_live.discover_layers(aws, service=service, stage=stage),
        ],
    )
    functions: dict[str, tuple[str, str]] = {}  # function name -> (key, function ARN without qualifier)
    for arn, tags in tagged.items():
        if ":cloudwatch:" in arn and ":alarm:" in arn:
            alarm = arn.split(":alarm:", 1)[1]
            # A per-version errors alarm a killed shift left behind (a running shift deletes its own).
            if ERRORS_ALARM_NAME.fullmatch(alarm):
                stubs.append(Resource(Address.alarm(alarm), "alarm", alarm, {}))
            continue
        key = tags.get(OWNER_FUNCTION_TAG)
        parts = parse_arn(arn)
        if not key or parts is None:
            continue
        if parts.service == "lambda" and parts.resource.startswith("function:"):
            function_name = parts.resource.split(":", 2)[1]
            functions[function_name] = (key, _unqualified(arn))
            stubs.append(Resource(Address.function(key), "function", function_name, {}))
        elif parts.service == "logs" and parts.resource.startswith("log-group:"):
            group_name = parts.resource.removeprefix("log-group:").removesuffix(":*")
            stubs.append(Resource(Address.log_group(key), "log_group", group_name, {}))
    stubs += [Resource("", "role", role, {}) for role in role_names]

    _in_parallel(pool, [partial(aws.aliases, name) for name in functions])
    _in_parallel(
        pool, [call for name, (_, arn) in functions.items() for call in _warm_function(aws, arn, aws.aliases(name))]
    )
    for function_name, (key, function_arn) in functions.items():
        for alias in aws.aliases(function_name):
            stubs.append(
                Resource(Address.alias(key, alias), "alias", alias, {},
                         extras={"function_name": function_name, "function_key": key})
            )  # fmt: skip
            stubs += live_triggers.discover_function(
                aws, service=service, stage=stage, key=key, function_arn=function_arn, alias=alias
            )
    stubs += live_triggers.discover_shared(aws, service=service, stage=stage, tagged=tagged)
    stubs += layers
    return stubs


def _identity(resource: Resource) -> tuple[str, str]:
    """Kinds found by physical name (a discovered role has no address until its tags are read); the rest by
    address (see kinds.base.Kind.by_name)."""
    return (resource.kind, resource.name if KINDS[resource.kind].by_name else resource.address)


def _locator(resource: Resource) -> tuple[str, str | None, str | None]:
    """Where a movable trigger is: its name, its rule's bus, the alias it serves."""
    # A discovered rule's bus comes from its permission's SourceArn.
    bus = resource.spec.event_bus if isinstance(resource.spec, EventRule) else resource.extras.get("event_bus")
    alias_arn = resource.scope.alias_arn if resource.scope else resource.extras.get("alias_arn")
    return resource.name, bus, alias_arn


def _on_function(resource: Resource) -> tuple[str, str | None]:
    """(function name, alias) of a resource that lives on a function."""
    if resource.scope is not None:
        return resource.scope.function_name, resource.scope.alias
    alias = resource.name if resource.kind == "alias" else resource.extras.get("alias")
    return resource.extras["function_name"], alias


def read_live(
    aws: Any, desired: State, *, discover_owned: bool = True, known: Discovery | None = None
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
        if resource.kind in ON_FUNCTION:
            function_name, alias = _on_function(resource)
            aliases_of.setdefault(function_name, set()).update([alias] if alias else [])
    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:

        def warm(name: str, aliases: set[str]) -> None:
            found = reads.function(name)
            if found is not None:
                arn = _unqualified(found["Configuration"]["FunctionArn"])
                for call in _warm_function(reads, arn, sorted(aliases)):
                    pool.submit(call)  # errors stay in the memo, for the reader that needs the answer

        warming = [pool.submit(warm, name, aliases) for name, aliases in aliases_of.items()]
        discovered = None
        if known is None and discover_owned:
            # Discovery's own rounds overlap the reads (its thread waits on the pool; no pool thread does).
            side = ThreadPoolExecutor(max_workers=1)
            discovered = side.submit(discover, reads, service=desired.service, stage=desired.stage, pool=pool)
            side.shutdown(wait=False)

        def read(stub: Resource, elsewhere: Mapping[str, Resource]) -> list[Resource]:
            if stub.kind in ON_FUNCTION and reads.function(_on_function(stub)[0]) is None:
                return []
            if stub.kind == "role" and not stub.address:
                return _read_discovered_role(reads, stub.name, desired)
            if stub.address in elsewhere:
                # The one in use is the live side, so the plan moves it (the update handler replaces it) instead
                # of leaving it behind; a copy already where the manifest says is then overwritten.
                found = READERS[stub.kind](reads, elsewhere[stub.address])
                if found:
                    return found
            return READERS[stub.kind](reads, stub)

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
        replace(r, extras={**r.extras, "holds_objects": reads.s3.holds_objects(r.name)})
        if r.kind == "s3_bucket" and r.address not in desired_addresses
        else r
        for r in found
    ]
    return desired.with_resources(found), known


def _read_discovered_role(aws: Any, name: str, desired: State) -> list[Resource]:
    """A role under our IAM path: ours only if it carries both ownership tags; its key comes from its tag."""
    found = read_role(aws, name, "?")
    if not found:
        return []
    tags = found[0].attrs["tags"]
    if tags.get(OWNER_SERVICE_TAG) != desired.service or tags.get(OWNER_STAGE_TAG) != desired.stage:
        return []
    key = tags.get(OWNER_FUNCTION_TAG) or name
    role = found[0]
    return [Resource(Address.role(key), role.kind, role.name, role.attrs, role.depends_on, role.extras)]
