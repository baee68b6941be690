"""The `alias` kind: the release pointer, with the version it serves (published here) and its provisioned
concurrency. A moved alias shifts through the release's strategy (strategies.shifter)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.jsonvalue import JsonValue
from fnship.kinds.base import Context, Kind
from fnship.kinds.function import LambdaFunction
from fnship.kinds.function import from_aws as function_from_aws
from fnship.model.address import Address
from fnship.model.resources import KNOWN_AFTER_APPLY, PlanMapping, Resource, Spec
from fnship.plan.diff import DELETE, UPDATE, Change, FieldChange, Step, release_shifts, same, top_fields
from fnship.plan.reads import OnAlias
from fnship.releases import PROVISIONED_MARKER, released_history

if TYPE_CHECKING:
    from fnship.aws.lambda_api import AliasConfiguration
    from fnship.manifest.release import ReleaseSettings
    from fnship.plan.reads import Reads

PROVISIONED = "provisioned_concurrency"
SNAPSHOT_ATTR = "snap_start"  # the release's SnapStart setting (model/build.py release_of)


@dataclass(frozen=True, kw_only=True)
class Alias(Spec):
    """The release pointer (its name is the resource's name; its function is its scope): what the version it
    serves freezes, and its provisioned concurrency."""

    kind: ClassVar[str] = "alias"
    # The served version's configuration and code (model.build.release_of); None: it serves $LATEST.
    release: PlanMapping | None
    provisioned_concurrency: int | None = None
    # The desired side: whether a release publishes a version, how it shifts, the tags of what a shift creates.
    publish: bool = field(default=False, compare=False)
    release_settings: ReleaseSettings | None = field(default=None, compare=False)
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)
    # The live side: what Lambda answers.
    version: str | None = field(default=None, compare=False)  # the version it points at ("$LATEST" or a number)
    arn: str | None = field(default=None, compare=False)
    revision_id: str | None = field(default=None, compare=False)
    weights: Mapping[str, float] = field(default_factory=dict, compare=False)  # a shift left with weights
    released: tuple[str, ...] = field(default=(), compare=False)  # releases.released_history, newest first


def from_aws(found: AliasConfiguration, *, release: PlanMapping | None, provisioned_concurrency: int | None) -> Alias:
    """A ListAliases item as the spec; `release` is what the version it points at freezes (None: $LATEST), read
    with GetFunction."""
    return Alias(
        release=release,
        provisioned_concurrency=provisioned_concurrency,
        version=str(found["FunctionVersion"]),
        arn=found.get("AliasArn"),
        revision_id=found.get("RevisionId"),
        weights=dict((found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}),
        released=released_history(found.get("Description")),
    )


def alias_fields(desired: Resource | None, live: Resource | None) -> list[FieldChange]:
    """An alias changes when what it serves differs from the desired release (its new version is unknown), when a
    shift was left with weights, or when its provisioned concurrency differs."""
    have = live.spec_as(Alias) if live is not None else None
    if desired is None:
        return [FieldChange("version", have.version if have else None, None)]
    want = desired.spec_as(Alias)
    fields: list[FieldChange] = []
    if have is None or not same(have.release, want.release) or have.weights:
        after = "$LATEST" if want.release is None else KNOWN_AFTER_APPLY
        fields.append(FieldChange("version", have.version if have else None, after))
    before_pc = have.provisioned_concurrency if have else None
    if before_pc != want.provisioned_concurrency:
        fields.append(FieldChange(PROVISIONED, before_pc, want.provisioned_concurrency))
    return fields


def alias_steps(change: Change) -> list[Step]:
    """A new alias points at its first version at once (there is nothing to shift from); a moved alias goes
    through the release's strategy (`alias.shift`, merged into one `release.shift` by the planner)."""
    if change.action == DELETE:
        return [Step("alias.delete", change.address)]
    desired = change.desired
    assert desired is not None
    spec = desired.spec_as(Alias)
    fields = top_fields(change)
    steps = []
    if "version" in fields:
        if spec.publish:
            steps.append(Step("version.publish", change.address, publish_detail(spec)))
        live_version = change.live.spec_as(Alias).version if change.live else None
        if change.action == UPDATE and spec.publish and str(live_version).isdigit():
            steps.append(Step("alias.shift", change.address, shift_detail(desired)))
        else:
            steps.append(Step("alias.set", change.address))
    elif PROVISIONED in fields:
        steps.append(Step("alias.concurrency", change.address))
    return steps


def publish_detail(spec: Alias) -> dict[str, JsonValue]:
    """What the plan says of a publish: with SnapStart, Lambda snapshots the version as it publishes it, and traffic
    moves only once the version is Active. https://docs.aws.amazon.com/lambda/latest/dg/snapstart-activate.html"""
    if not (spec.release or {}).get(SNAPSHOT_ATTR):
        return {}
    return {"snapstart": "snapshot taken at publish; traffic moves once the version is Active"}


def shift_detail(alias: Resource) -> dict[str, JsonValue]:
    from fnship.manifest.release import default_settings

    settings = alias.spec_as(Alias).release_settings or default_settings(alias.name)
    detail: dict[str, JsonValue] = {
        "strategy": settings.strategy_text,
        "schedule": settings.strategy.describe(),
        "alarms": list(settings.alarms),
        "hooks": {k: v for k, v in (("preTraffic", settings.pre_traffic), ("postTraffic", settings.post_traffic)) if v},
    }
    if any(step.wait > 0 for step in settings.strategy.steps):
        # A shift that bakes watches the new version's errors with an alarm of its own, removed when it ends.
        function = alias.in_scope().function_name
        detail["errors_alarm"] = f"fnship-{function}-{alias.name}-v(new version)-errors"
    return detail


def version_publish(context: Context, step: Step) -> None:
    scope = context.desired(step).in_scope()
    function = context.desired_at(Address.function(scope.function_key))
    spec = function.spec_as(LambdaFunction)
    version = context.aws.lambda_.publish_version(
        scope.function_name, description=context.description, code_sha256=spec.code_sha256
    )
    # The snapshot is made now (SnapStart), or the version is deployed to its capacity provider's instances (Managed
    # Instances): traffic moves once the version is Active.
    # https://docs.aws.amazon.com/lambda/latest/dg/snapstart-activate.html,
    # https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances.html
    if spec.snap_start or spec.capacity_provider is not None:
        context.aws.lambda_.wait_version_ready(scope.function_name, version)
    context.outputs.setdefault(step.address, {})["version"] = version


def alias_set(context: Context, step: Step) -> None:
    """Point the alias all at once: a new alias (nothing to shift from), or one that served `$LATEST`."""
    from fnship.releases import after_release, alias_description
    from fnship.strategies.shifter import settle_provisioned

    alias, live = context.desired(step), context.live(step)
    spec, was = alias.spec_as(Alias), live.spec_as(Alias) if live is not None else None
    version = str(context.outputs.get(step.address, {}).get("version", "$LATEST"))
    function_name = alias.in_scope().function_name
    provisioned = spec.provisioned_concurrency
    before = str(was.version) if was is not None else ""
    history = after_release(was.released if was is not None else (), old=before, new=version)
    description = alias_description(provisioned=provisioned, released=history)
    if was is None:
        context.aws.lambda_.create_alias(function_name, alias.name, version=version, description=description)
    else:
        context.aws.lambda_.set_alias_version(
            function_name,
            alias.name,
            version=version,
            weights={},
            revision_id=was.revision_id,
            description=description,
        )
    context.outputs.setdefault(step.address, {})["version"] = version
    had = was.provisioned_concurrency if was is not None else None
    settle_provisioned(context.aws, function_name, alias.name, count=provisioned, had=had)


def alias_concurrency(context: Context, step: Step) -> None:
    from fnship.strategies.shifter import set_provisioned

    alias, live = context.desired(step), context.live_spec(step, Alias)
    set_provisioned(
        context.aws,
        alias.in_scope().function_name,
        alias.name,
        alias.spec_as(Alias).provisioned_concurrency,
        had=live.provisioned_concurrency,
        released=live.released,
    )


def release_shift(context: Context, step: Step) -> None:
    """Shift every moved alias along its strategy, in parallel; an alarm, a hook or an interrupt rolls back."""
    from fnship.manifest.release import default_settings
    from fnship.strategies import shifter

    jobs = []
    for address, shift in release_shifts(step).items():
        prune = shift.get("prune")
        alias, live = context.desired_at(address), context.live_at(address).spec_as(Alias)
        spec, scope = alias.spec_as(Alias), alias.in_scope()
        jobs.append(
            shifter.ShiftJob(
                address=address,
                function=scope.function_name,
                function_key=scope.function_key,
                old_version=str(live.version),
                new_version=str(context.outputs[address]["version"]),
                settings=spec.release_settings or default_settings(alias.name),
                release=context.release,
                revision_id=live.revision_id,
                tags=dict(spec.tags),
                live_provisioned=live.provisioned_concurrency,
                released=live.released,
                prune=tuple(str(version) for version in prune) if isinstance(prune, (list, tuple)) else None,
            )
        )
    outcomes = shifter.run_release(context.aws, jobs, context.runtime or shifter.Runtime())
    context.outputs["release"] = {"functions": [outcome.to_dict() for outcome in outcomes]}
    for outcome in outcomes:
        context.outputs[outcome.address]["version"] = outcome.version
    error = shifter.release_error(outcomes)
    if error is not None:
        raise error


def alias_delete(context: Context, step: Step) -> None:
    live = context.live_at(step.address)
    context.aws.lambda_.delete_alias(live.in_scope().function_name, live.name)


def alias_function(resource: Resource) -> str | None:
    """Deleting the function deletes its aliases."""
    return Address.function(resource.scope.function_key) if resource.scope is not None else None


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_alias(aws: Reads, stub: Resource) -> list[Resource]:
    from fnship.model.build import release_of  # (the model imports the kind modules)

    scope = stub.in_scope()
    function_name = scope.function_name
    found = aws.aliases(function_name).get(stub.name)
    if found is None:
        return []
    version = str(found["FunctionVersion"])
    release = None
    if version != "$LATEST":
        # GetFunction through the alias answers the version it points at; it was asked in the same round as
        # ListAliases (see plan/live.py). Only if the alias moved in between is the version asked by number.
        served = aws.function(function_name, stub.name)
        if served is None or str(served["Configuration"].get("Version")) != version:
            served = aws.function(function_name, version)
        served_spec = function_from_aws(served["Configuration"], None, None, served.get("Code")) if served else None
        release = release_of(served_spec) if served_spec is not None else {}
    provisioned = provisioned_concurrency(aws, function_name, stub.name, found.get("Description") or "")
    spec = from_aws(found, release=release, provisioned_concurrency=provisioned)
    return [Resource.of(Address.alias(scope.function_key, stub.name), stub.name, spec, scope=scope)]


def provisioned_concurrency(aws: Reads, function_name: str, alias: str, description: str) -> int | None:
    """The alias's provisioned concurrency. Only aliases fnship marked as provisioned are asked (one call saved
    per alias on every plan); the marker is in the alias description (see `alias_concurrency`)."""
    if PROVISIONED_MARKER not in description:
        return None
    config = aws.lambda_.get_provisioned_concurrency_or_none(function_name, alias)
    return int(config["RequestedProvisionedConcurrentExecutions"]) if config else None


def discover_alias(_aws: Reads, on: OnAlias) -> list[Resource]:
    return [Resource(Address.alias(on.function_key, on.alias), "alias", on.alias, scope=on.target.scope())]


KIND = Kind(
    name="alias",
    diff=alias_fields,
    steps=alias_steps,
    handlers={
        "version.publish": version_publish,
        "alias.set": alias_set,
        "alias.concurrency": alias_concurrency,
        "release.shift": release_shift,
        "alias.delete": alias_delete,
    },
    depends=lambda resource: tuple(filter(None, [alias_function(resource)])),
    parent=alias_function,
    read=read_alias,
    discover_on_alias=discover_alias,
    hangs_on_function=True,
    from_record=True,
)
