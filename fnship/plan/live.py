"""Read what is live for one service and stage, normalized to the same shape as the desired state.

Read-only AWS calls: this module never mutates anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from fnship.kinds import KINDS
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

READ_WORKERS = 8
DEFAULT_EPHEMERAL_MB = 512


class Reads:
    """One reading of live state: the AWS handle, plus a memo so a call several readers need (an alias's
    policy, an API's routes) runs once. Attribute access goes through to the AWS handle."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
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


def read_function(aws: Any, name: str, key: str) -> list[Resource]:
    found = aws.lambda_.get_function_or_none(name)
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


def read_alias(aws: Any, function_name: str, key: str, alias: str) -> list[Resource]:
    found = aws.lambda_.get_alias_or_none(function_name, alias)
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
        served = aws.lambda_.get_function_or_none(function_name, qualifier=version)
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


def read_log_group(aws: Any, name: str, key: str) -> list[Resource]:
    found = aws.logs.get_log_group_or_none(name)
    if found is None:
        return []
    return [
        Resource(
            address=Address.log_group(key),
            kind="log_group",
            name=name,
            attrs={"retention_days": found["RetentionInDays"], "tags": found["Tags"]},
            extras={"arn": found["Arn"]},
        )
    ]


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


def _read_alias_for(aws: Any, resource: Resource) -> list[Resource]:
    return read_alias(aws, resource.extras["function_name"], resource.extras["function_key"], resource.name)


READERS: dict[str, Callable[[Any, Resource], list[Resource]]] = {
    "layer": artifacts_live.read_layer,
    "image": artifacts_live.read_image,
    "deployment_bucket": artifacts_live.read_deployment_bucket,
    "ecr_repository": artifacts_live.read_repository,
    "function": lambda aws, r: read_function(aws, r.name, Address(r.address).function_key),
    "alias": _read_alias_for,
    "log_group": lambda aws, r: read_log_group(aws, r.name, Address(r.address).function_key),
    "role": lambda aws, r: read_role(aws, r.name, Address(r.address).function_key),
    "alarm": read_alarm,
    **live_triggers.READERS,
}


def discover(aws: Any, *, service: str, stage: str) -> list[Resource]:
    """Stubs (address, kind, name) for everything this service and stage owns: what carries its ownership
    tags, roles under its IAM path, and the triggers found on its functions' aliases (see live_triggers)."""
    owner = ownership_tags(service, stage)
    stubs: list[Resource] = []
    tagged = aws.find_tagged(owner)
    aliases: list[tuple[str, str, str]] = []  # (function key, function ARN, alias)
    for arn, tags in tagged.items():
        if ":cloudwatch:" in arn and ":alarm:" in arn:
            alarm = arn.split(":alarm:", 1)[1]
            # A per-version errors alarm a killed shift left behind (a running shift deletes its own).
            if ERRORS_ALARM_NAME.fullmatch(alarm):
                stubs.append(Resource(Address.alarm(alarm), "alarm", alarm, {}))
            continue
        key = tags.get(OWNER_FUNCTION_TAG)
        if not key:
            continue
        if arn.startswith("arn:aws:lambda:") and ":function:" in arn:
            function_name = arn.split(":function:", 1)[1].split(":", 1)[0]
            stubs.append(Resource(Address.function(key), "function", function_name, {}))
            for alias in aws.lambda_.list_aliases(function_name):
                stubs.append(
                    Resource(
                        Address.alias(key, alias["Name"]),
                        "alias",
                        alias["Name"],
                        {},
                        extras={"function_name": function_name, "function_key": key},
                    )
                )
                aliases.append((key, arn.split(":function:", 1)[0] + f":function:{function_name}", alias["Name"]))
        elif arn.startswith("arn:aws:logs:") and ":log-group:" in arn:
            group_name = arn.split(":log-group:", 1)[1].removesuffix(":*")
            stubs.append(Resource(Address.log_group(key), "log_group", group_name, {}))
    for role in aws.iam.list_role_names(names.role_path(service=service, stage=stage)):
        stubs.append(Resource("", "role", role, {}))

    def on_alias(found: tuple[str, str, str]) -> list[Resource]:
        key, function_arn, alias = found
        return live_triggers.discover_function(
            aws, service=service, stage=stage, key=key, function_arn=function_arn, alias=alias
        )

    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
        for batch in pool.map(on_alias, aliases):
            stubs.extend(batch)
    stubs.extend(live_triggers.discover_shared(aws, service=service, stage=stage, tagged=tagged))
    stubs += artifacts_live.discover_layers(aws, service=service, stage=stage)
    return stubs


def _identity(resource: Resource) -> tuple[str, str]:
    """Kinds found by physical name (a discovered role has no address until its tags are read); the rest by
    address (see kinds.base.Kind.by_name)."""
    return (resource.kind, resource.name if KINDS[resource.kind].by_name else resource.address)


def _locator(resource: Resource) -> tuple[str, str | None, str | None]:
    return resource.name, resource.extras.get("event_bus"), resource.extras.get("alias_arn")


def read_live(aws: Any, desired: State, *, discover_owned: bool = True) -> State:
    """The live counterpart of every desired resource, plus (with `discover_owned`) every owned leftover."""
    aws = aws if isinstance(aws, Reads) else Reads(aws)
    wanted: dict[tuple[str, str], Resource] = {_identity(r): r for r in desired.resources}
    stubs = list(desired.resources)
    elsewhere: dict[str, Resource] = {}  # address -> what discovery found for it in another place
    if discover_owned:
        for stub in discover(aws, service=desired.service, stage=desired.stage):
            identity = _identity(stub)
            if identity not in wanted:
                wanted[identity] = stub
                stubs.append(stub)
            elif KINDS[stub.kind].movable and _locator(stub) != _locator(wanted[identity]):
                elsewhere[stub.address] = stub

    def read(stub: Resource) -> list[Resource]:
        if stub.kind == "role" and not stub.address:
            return _read_discovered_role(aws, stub.name, desired)
        if stub.address in elsewhere:
            # The one in use is the live side, so the plan moves it (the update handler replaces it) instead of
            # leaving it behind; a copy already where the manifest says is then overwritten.
            found = READERS[stub.kind](aws, elsewhere[stub.address])
            if found:
                return found
        return READERS[stub.kind](aws, stub)

    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
        found = [resource for batch in pool.map(read, stubs) for resource in batch]
    # An owned bucket the manifest no longer names: S3 refuses to destroy one that holds objects, and the plan must
    # know that before it promises a destroy (see plan.steps.keep_full_buckets).
    desired_addresses = {resource.address for resource in desired.resources}
    found = [
        replace(r, extras={**r.extras, "holds_objects": aws.s3.holds_objects(r.name)})
        if r.kind == "s3_bucket" and r.address not in desired_addresses
        else r
        for r in found
    ]
    return desired.with_resources(found)


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
