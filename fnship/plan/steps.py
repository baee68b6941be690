"""Changes -> the ordered steps the executor runs. Pure: no AWS, no filesystem."""

from __future__ import annotations

from collections.abc import Callable

from fnship.model.resources import OWNER_FUNCTION_TAG, OWNER_SERVICE_TAG, OWNER_STAGE_TAG, Resource, State, resolve_refs
from fnship.plan.artifacts_live import resolve_layer_refs
from fnship.plan.diff import CREATE, DELETE, UPDATE, Change, FieldChange, Plan, Step, diff

OWNER_TAGS = frozenset({OWNER_SERVICE_TAG, OWNER_STAGE_TAG, OWNER_FUNCTION_TAG})
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
NOTIFICATION_KIND = "s3_notification"  # written per bucket, not per entry: see _notification_steps
SHARED_KINDS = ("http_api", "http_api_authorizer", "rest_api", "sns_topic", "s3_bucket")
# Creation order follows dependencies: a function needs its log group and role; an alias needs a version;
# a trigger needs the alias, the shared resource it hangs on, and its permission (S3 checks the permission
# when the notification is written).
CREATE_ORDER = ("layer", "image", "log_group", "role", "function", "alias", "event_invoke_config", *SHARED_KINDS,
                "permission", *TRIGGER_KINDS)  # fmt: skip
# Deletion goes the other way: nothing invokes a function before its permission, alias or function goes.
# Owned buckets go last: S3 refuses to delete one that still holds objects, and that should stop nothing else.
DELETE_ORDER = ("alarm", *reversed(TRIGGER_KINDS), "permission", "http_api_authorizer", "rest_stage", "http_api",
                "rest_api", "sns_topic", "event_invoke_config", "alias", "function", "log_group", "role", "layer",
                "image", "s3_bucket")  # fmt: skip
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
    **{kind: _simple_steps(kind) for kind in (*SHARED_KINDS, *TRIGGER_KINDS) if kind != NOTIFICATION_KIND},
    # An update with nothing desired is a full bucket left in place and disowned (see keep_full_buckets).
    "s3_bucket": lambda change: [
        Step(
            "s3_bucket.disown" if change.action == UPDATE and change.desired is None else f"s3_bucket.{change.action}",
            change.address,
        )
    ],
    "permission": _simple_steps("permission"),
    "rest_stage": _simple_steps("rest_stage"),
    "event_invoke_config": _simple_steps("event_invoke_config"),
    # Only ever deleted: the per-version errors alarm a killed shift left (a shift creates and deletes its own).
    "alarm": _simple_steps("alarm"),
    # A changed layer is a new version (versions are immutable); a changed image is a new digest to push.
    "layer": lambda change: [Step("layer.delete" if change.action == DELETE else "layer.publish", change.address)],
    "image": lambda change: [] if change.action == DELETE else [Step("image.push", change.address)],
}


def _notification_steps(changes: list[Change], *, deleting: bool) -> list[Step]:
    """S3 keeps one notification configuration per bucket and refuses one whose entries overlap (same events and
    overlapping prefix and suffix), so every change to a bucket's entries is one write of the final set: a renamed
    function's new entry goes in the same call that takes its old one out. A bucket with entries to put is written
    with the creates (after their permissions); one that only loses entries, with the deletes (before theirs)."""
    by_bucket: dict[str, dict[str, list[str]]] = {}
    for change in changes:
        if change.kind != NOTIFICATION_KIND:
            continue
        if change.action != DELETE:
            assert change.desired is not None
            by_bucket.setdefault(change.desired.attrs["bucket"], {"put": [], "remove": []})["put"].append(
                change.address
            )
        if change.live is not None and (change.action == DELETE or change.live.attrs["bucket"] != _bucket(change)):
            by_bucket.setdefault(change.live.attrs["bucket"], {"put": [], "remove": []})["remove"].append(
                change.address
            )
    return [
        Step(f"{NOTIFICATION_KIND}.write", f"bucket.{bucket}.notifications", {"bucket": bucket, **entries})
        for bucket, entries in sorted(by_bucket.items())
        if bool(entries["put"]) != deleting
    ]


def _bucket(change: Change) -> str | None:
    return change.desired.attrs["bucket"] if change.desired is not None else None


def order_steps(changes: list[Change]) -> list[Step]:
    steps: list[Step] = []
    for kind in CREATE_ORDER:
        if kind == NOTIFICATION_KIND:
            steps.extend(_notification_steps(changes, deleting=False))
            continue
        for change in changes:
            if change.kind == kind and change.action in (CREATE, UPDATE):
                steps.extend(STEP_MAKERS[kind](change))
    steps = _release_step(steps)
    for kind in DELETE_ORDER:
        if kind == NOTIFICATION_KIND:
            steps.extend(_notification_steps(changes, deleting=True))
            continue
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
            and live.extras.get("holds_objects")
        ):
            tags = live.attrs.get("tags") or {}
            fields = tuple(FieldChange(f"tags.{key}", tags[key], None) for key in sorted(tags) if key in OWNER_TAGS)
            change = Change(UPDATE, change.address, change.kind, change.name, fields, None, live)
            warnings.append(
                f"{change.address}: bucket {change.name} still holds objects, so destroying it would fail "
                "(BucketNotEmpty): fnship leaves it in place and stops owning it (removes its fnship tags); "
                "empty and delete it yourself if it is no longer needed"
            )
        kept.append(change)
    return kept, warnings


def make_plan(desired: State, live: State, *, release_id: str, warnings: tuple[str, ...] = ()) -> Plan:
    desired = resolve_live_refs(desired, live)
    desired = resolve_layer_refs(desired, live)
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
