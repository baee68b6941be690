"""The `alias` kind: the release pointer, with the version it serves (published here) and its provisioned
concurrency. A moved alias shifts through the release's strategy (strategies.shifter)."""

from __future__ import annotations

from typing import Any

from fnship.kinds.base import Context, Kind
from fnship.kinds.function import LambdaFunction, from_aws
from fnship.model.address import Address
from fnship.model.resources import KNOWN_AFTER_APPLY, Resource
from fnship.plan.diff import DELETE, UPDATE, Change, FieldChange, Step, same, top_fields
from fnship.plan.reads import OnAlias
from fnship.releases import PROVISIONED_MARKER, released_history

PROVISIONED = "provisioned_concurrency"


def alias_fields(desired: Resource | None, live: Resource | None) -> list[FieldChange]:
    """An alias changes when what it serves differs from the desired release (its new version is unknown), when a
    shift was left with weights, or when its provisioned concurrency differs."""
    if desired is None:
        return [FieldChange("version", live.extras.get("version") if live else None, None)]
    fields: list[FieldChange] = []
    served = {k: v for k, v in desired.attrs.items() if k != PROVISIONED}
    live_served = {k: v for k, v in (live.attrs if live else {}).items() if k != PROVISIONED}
    if live is None or not same(live_served, served) or live.extras.get("weights"):
        before = live.extras.get("version") if live else None
        after = "$LATEST" if desired.attrs.get("version") == "$LATEST" else KNOWN_AFTER_APPLY
        fields.append(FieldChange("version", before, after))
    before_pc = live.attrs.get(PROVISIONED) if live else None
    if before_pc != desired.attrs.get(PROVISIONED):
        fields.append(FieldChange(PROVISIONED, before_pc, desired.attrs.get(PROVISIONED)))
    return fields


def alias_steps(change: Change) -> list[Step]:
    """A new alias points at its first version at once (there is nothing to shift from); a moved alias goes
    through the release's strategy (`alias.shift`, merged into one `release.shift` by the planner)."""
    if change.action == DELETE:
        return [Step("alias.delete", change.address)]
    desired = change.desired
    assert desired is not None
    fields = top_fields(change)
    steps = []
    if "version" in fields:
        if desired.extras.get("publish"):
            steps.append(Step("version.publish", change.address))
        live_version = change.live.extras.get("version") if change.live else None
        if change.action == UPDATE and desired.extras.get("publish") and str(live_version).isdigit():
            steps.append(Step("alias.shift", change.address, shift_detail(desired)))
        else:
            steps.append(Step("alias.set", change.address))
    elif PROVISIONED in fields:
        steps.append(Step("alias.concurrency", change.address))
    return steps


def shift_detail(alias: Resource) -> dict[str, Any]:
    from fnship.manifest.release import default_settings

    settings = alias.extras.get("release_settings") or default_settings(alias.name)
    detail: dict[str, Any] = {
        "strategy": settings.strategy_text,
        "schedule": settings.strategy.describe(),
        "alarms": list(settings.alarms),
        "hooks": {k: v for k, v in (("preTraffic", settings.pre_traffic), ("postTraffic", settings.post_traffic)) if v},
    }
    if any(step.wait > 0 for step in settings.strategy.steps):
        # A shift that bakes watches the new version's errors with an alarm of its own, removed when it ends.
        function = alias.extras["function_name"]
        detail["errors_alarm"] = f"fnship-{function}-{alias.name}-v(new version)-errors"
    return detail


def version_publish(context: Context, step: Step) -> None:
    alias = context.desired(step)
    function = context.desired_at(Address.function(alias.extras["function_key"]))
    version = context.aws.lambda_.publish_version(
        alias.extras["function_name"],
        description=context.description,
        code_sha256=function.spec_as(LambdaFunction).code_sha256,
    )
    context.outputs.setdefault(step.address, {})["version"] = version


def alias_set(context: Context, step: Step) -> None:
    """Point the alias all at once: a new alias (nothing to shift from), or one that served `$LATEST`."""
    from fnship.releases import after_release, alias_description
    from fnship.strategies.shifter import settle_provisioned

    alias, live = context.desired(step), context.live(step)
    version = context.outputs.get(step.address, {}).get("version", "$LATEST")
    function_name = alias.extras["function_name"]
    provisioned = alias.attrs.get(PROVISIONED)
    before = str(live.extras.get("version")) if live else ""
    history = after_release(live.extras.get("released") or () if live else (), old=before, new=version)
    description = alias_description(provisioned=provisioned, released=history)
    if live is None:
        context.aws.lambda_.create_alias(function_name, alias.name, version=version, description=description)
    else:
        context.aws.lambda_.set_alias_version(
            function_name,
            alias.name,
            version=version,
            weights={},
            revision_id=live.extras.get("revision_id"),
            description=description,
        )
    context.outputs.setdefault(step.address, {})["version"] = version
    had = live.attrs.get(PROVISIONED) if live else None
    settle_provisioned(context.aws, function_name, alias.name, count=provisioned, had=had)


def alias_concurrency(context: Context, step: Step) -> None:
    from fnship.strategies.shifter import set_provisioned

    alias, live = context.desired(step), context.live_at(step.address)
    set_provisioned(
        context.aws,
        alias.extras["function_name"],
        alias.name,
        alias.attrs.get(PROVISIONED),
        had=live.attrs.get(PROVISIONED),
        released=tuple(live.extras.get("released") or ()),
    )


def release_shift(context: Context, step: Step) -> None:
    """Shift every moved alias along its strategy, in parallel; an alarm, a hook or an interrupt rolls back."""
    from fnship.manifest.release import default_settings
    from fnship.strategies import shifter

    jobs = []
    for address in step.detail["aliases"]:
        alias, live = context.desired_at(address), context.live_at(address)
        jobs.append(
            shifter.ShiftJob(
                address=address,
                function=alias.extras["function_name"],
                function_key=alias.extras["function_key"],
                old_version=str(live.extras["version"]),
                new_version=context.outputs[address]["version"],
                settings=alias.extras.get("release_settings") or default_settings(alias.name),
                release=context.release,
                revision_id=live.extras.get("revision_id"),
                tags=dict(alias.extras.get("tags") or {}),
                live_provisioned=live.attrs.get(PROVISIONED),
                released=tuple(live.extras.get("released") or ()),
                prune=tuple(step.detail["aliases"][address]["prune"])
                if "prune" in step.detail["aliases"][address]
                else None,
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
    context.aws.lambda_.delete_alias(live.extras["function_name"], live.name)


def alias_function(resource: Resource) -> str | None:
    """Deleting the function deletes its aliases."""
    return Address.function(resource.extras["function_key"]) if resource.extras.get("function_key") else None


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_alias(aws: Any, stub: Resource) -> list[Resource]:
    function_name = stub.extras["function_name"]
    found = aws.aliases(function_name).get(stub.name)
    if found is None:
        return []
    version = str(found["FunctionVersion"])
    weights = dict((found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})
    served = None
    if version != "$LATEST":
        # GetFunction through the alias answers the version it points at; it was asked in the same round as
        # ListAliases (see plan/live.py). Only if the alias moved in between is the version asked by number.
        served = aws.function(function_name, stub.name)
        if served is None or str(served["Configuration"].get("Version")) != version:
            served = aws.function(function_name, version)
    provisioned = provisioned_concurrency(aws, function_name, stub.name, found.get("Description") or "")
    alias = live_alias(stub, version=version, served=served, provisioned=provisioned, weights=weights,
                       arn=found.get("AliasArn"), revision_id=found.get("RevisionId"),
                       released=released_history(found.get("Description")))  # fmt: skip
    return [alias]


def live_alias(
    stub: Resource,
    *,
    version: str,
    served: dict[str, Any] | None,
    provisioned: int | None,
    weights: dict[str, Any],
    arn: str | None,
    revision_id: str | None,
    released: Any,
) -> Resource:
    """The live alias: the version it points at and what that version froze (`served`: GetFunction's answer for
    it), its provisioned concurrency, weights and release history."""
    from fnship.model.build import release_of  # (the model imports the kind modules)

    function_name, key = stub.extras["function_name"], stub.extras["function_key"]
    extras = {
        "function_name": function_name,
        "function_key": key,
        "version": version,
        "arn": arn,
        "revision_id": revision_id,
        "weights": weights,
        "released": released,
    }
    if version == "$LATEST":
        attrs: dict[str, Any] = {"version": "$LATEST"}
    else:
        served_spec = from_aws(served["Configuration"], None, None, served.get("Code")) if served else None
        attrs = {"release": release_of(served_spec) if served_spec is not None else {}}
    if provisioned:
        attrs[PROVISIONED] = provisioned
    return Resource(address=Address.alias(key, stub.name), kind="alias", name=stub.name, attrs=attrs, extras=extras)


def provisioned_concurrency(aws: Any, function_name: str, alias: str, description: str) -> int | None:
    """The alias's provisioned concurrency. Only aliases fnship marked as provisioned are asked (one call saved
    per alias on every plan); the marker is in the alias description (see `alias_concurrency`)."""
    if PROVISIONED_MARKER not in description:
        return None
    config = aws.lambda_.get_provisioned_concurrency_or_none(function_name, alias)
    return int(config["RequestedProvisionedConcurrentExecutions"]) if config else None


def discover_alias(_aws: Any, on: OnAlias) -> list[Resource]:
    extras = {"function_name": on.function_name, "function_key": on.function_key}
    return [Resource(Address.alias(on.function_key, on.alias), "alias", on.alias, {}, extras=extras)]


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
