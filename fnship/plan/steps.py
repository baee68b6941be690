"""Changes -> the ordered steps the executor runs. Pure: no AWS, no filesystem."""

from __future__ import annotations

from collections.abc import Callable

from fnship.model.resources import Resource, State, resolve_refs
from fnship.plan.artifacts_live import resolve_layer_refs
from fnship.plan.diff import CREATE, DELETE, UPDATE, Change, Plan, Step, diff

# Function fields that only UpdateFunctionCode can change; the rest go through UpdateFunctionConfiguration.
CODE_FIELDS = frozenset({"code_sha256", "architecture", "image_uri"})
SEPARATE_FUNCTION_FIELDS = frozenset({"tags", "reserved_concurrency"})

TRIGGER_KINDS = (
    "http_api_route",
    "rest_method",
    "sns_subscription",
    "s3_notification",
    "event_rule",
    "event_source_mapping",
    "function_url",
)
SHARED_KINDS = ("http_api", "http_api_authorizer", "rest_api", "sns_topic", "s3_bucket")
# Creation order follows dependencies: a function needs its log group and role; an alias needs a version;
# a trigger needs the alias, the shared resource it hangs on, and its permission (S3 checks the permission
# when the notification is written).
CREATE_ORDER = ("layer", "image", "log_group", "role", "function", "alias", "event_invoke_config", *SHARED_KINDS,
                "permission", *TRIGGER_KINDS)  # fmt: skip
# Deletion goes the other way: nothing invokes a function before its permission, alias or function goes.
# Owned buckets go last: S3 refuses to delete one that still holds objects, and that should stop nothing else.
DELETE_ORDER = (*reversed(TRIGGER_KINDS), "permission", "http_api_authorizer", "rest_stage", "http_api", "rest_api",
                "sns_topic", "event_invoke_config", "alias", "function", "log_group", "role", "layer", "image",
                "s3_bucket")  # fmt: skip
# A REST API change is live only once deployed, so its stage deploys after every method change, deletions too.
FINAL_ORDER = ("rest_stage",)


def _top_fields(change: Change) -> set[str]:
    return {f.path.split(".", 1)[0] for f in change.fields}


def _function_steps(change: Change) -> list[Step]:
    if change.action == CREATE:
        return [Step("function.create", change.address)]
    if change.action == DELETE:
        return [Step("function.delete", change.address)]
    fields = _top_fields(change)
    steps = []
    if fields & CODE_FIELDS:
        steps.append(Step("function.update_code", change.address))
    if fields - CODE_FIELDS - SEPARATE_FUNCTION_FIELDS:
        steps.append(Step("function.update_config", change.address))
    if "tags" in fields:
        steps.append(Step("function.tag", change.address))
    if "reserved_concurrency" in fields:
        steps.append(Step("function.concurrency", change.address))
    return steps


def _alias_steps(change: Change) -> list[Step]:
    """A new alias points at its first version at once (there is nothing to shift from); a moved alias goes
    through the release's strategy (`alias.shift`, merged into one `release.shift` by `order_steps`)."""
    if change.action == DELETE:
        return [Step("alias.delete", change.address)]
    desired = change.desired
    assert desired is not None
    fields = _top_fields(change)
    steps = []
    if "version" in fields:
        if desired.extras.get("publish"):
            steps.append(Step("version.publish", change.address))
        live_version = change.live.extras.get("version") if change.live else None
        if change.action == UPDATE and desired.extras.get("publish") and str(live_version).isdigit():
            steps.append(Step("alias.shift", change.address, shift_detail(desired)))
        else:
            steps.append(Step("alias.set", change.address))
    elif "provisioned_concurrency" in fields:
        steps.append(Step("alias.concurrency", change.address))
    return steps


def shift_detail(alias) -> dict:
    from fnship.strategies.settings import default_settings

    settings = alias.extras.get("release_settings") or default_settings(alias.name)
    return {
        "strategy": settings.strategy_text,
        "schedule": settings.strategy.describe(),
        "alarms": list(settings.alarms),
        "hooks": {k: v for k, v in (("preTraffic", settings.pre_traffic), ("postTraffic", settings.post_traffic)) if v},
    }


def _release_step(steps: list[Step]) -> list[Step]:
    """Every function of a release shifts in parallel: the `alias.shift`s become one `release.shift` step."""
    shifts = [step for step in steps if step.type == "alias.shift"]
    if not shifts:
        return steps
    others = [step for step in steps if step.type != "alias.shift"]
    release = Step("release.shift", "release", {"aliases": {step.address: dict(step.detail) for step in shifts}})
    return [*others, release]


def _simple_steps(kind: str) -> Callable[[Change], list[Step]]:
    return lambda change: [Step(f"{kind}.{change.action}", change.address)]


STEP_MAKERS: dict[str, Callable[[Change], list[Step]]] = {
    "function": _function_steps,
    "alias": _alias_steps,
    "role": _simple_steps("role"),
    "log_group": _simple_steps("log_group"),
    **{kind: _simple_steps(kind) for kind in (*SHARED_KINDS, *TRIGGER_KINDS)},
    "permission": _simple_steps("permission"),
    "rest_stage": _simple_steps("rest_stage"),
    "event_invoke_config": _simple_steps("event_invoke_config"),
    # A changed layer is a new version (versions are immutable); a changed image is a new digest to push.
    "layer": lambda change: [Step("layer.delete" if change.action == DELETE else "layer.publish", change.address)],
    "image": lambda change: [] if change.action == DELETE else [Step("image.push", change.address)],
}


def order_steps(changes: list[Change]) -> list[Step]:
    steps: list[Step] = []
    for kind in CREATE_ORDER:
        for change in changes:
            if change.kind == kind and change.action in (CREATE, UPDATE):
                steps.extend(STEP_MAKERS[kind](change))
    steps = _release_step(steps)
    for kind in DELETE_ORDER:
        for change in changes:
            if change.kind == kind and change.action == DELETE:
                steps.extend(STEP_MAKERS[kind](change))
    for kind in FINAL_ORDER:
        for change in changes:
            if change.kind == kind and change.action in (CREATE, UPDATE):
                steps.extend(STEP_MAKERS[kind](change))
    return steps


def resolve_live_refs(desired: State, live: State) -> State:
    """Desired values that embed another resource's id (an API id in a SourceArn) filled in from live state;
    the ones whose resource does not exist yet stay `Ref`s, shown as (known after apply)."""
    ids = {r.address: str(r.extras["id"]) for r in live.resources if r.extras.get("id")}
    return desired.with_resources(
        Resource(r.address, r.kind, r.name, resolve_refs(r.attrs, ids), r.depends_on, r.extras)
        for r in desired.resources
    )


def make_plan(desired: State, live: State, *, release_id: str, warnings: tuple[str, ...] = ()) -> Plan:
    desired = resolve_live_refs(desired, live)
    desired = resolve_layer_refs(desired, live)
    changes = diff(desired, live)
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
