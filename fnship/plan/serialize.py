"""A plan as JSON-ready data: the same value `fn plan` prints, for `--json`. Pure; secrets stay `(sensitive)`."""

from __future__ import annotations

from collections.abc import Mapping

from fnship.jsonvalue import Json, JsonObject
from fnship.manifest.intrinsics import shown
from fnship.model.resources import KNOWN_AFTER_APPLY, Ref
from fnship.plan.diff import Plan
from fnship.secret import SENSITIVE, Secret

SCHEMA = 1


def jsonable(value: object) -> Json:
    """Plain JSON data with every Secret shown as (sensitive) and unknowns as (known after apply)."""
    if isinstance(value, Secret):
        return SENSITIVE
    if value is KNOWN_AFTER_APPLY or isinstance(value, Ref):
        return str(KNOWN_AFTER_APPLY)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"a plan holds {value!r}, which JSON cannot carry")


def plan_to_dict(plan: Plan) -> JsonObject:
    return {
        "service": plan.service,
        "stage": plan.stage,
        "region": plan.region,
        "release": plan.release_id,
        "changes": [
            {
                "action": change.action,
                "address": change.address,
                "kind": change.kind,
                "name": shown(change.name),
                "fields": [
                    {"path": f.path, "before": jsonable(f.before), "after": jsonable(f.after)} for f in change.fields
                ],
                **({"forces_replacement": list(change.forces_replacement)} if change.forces_replacement else {}),
                **({"deleted_with": change.deleted_with} if change.deleted_with else {}),
            }
            for change in plan.changes
        ],
        "steps": [
            {
                "type": step.type,
                "address": step.address,
                **({"detail": jsonable(step.detail)} if step.detail else {}),
                **({"after": list(step.after)} if step.after else {}),
            }
            for step in plan.steps
        ],
        "warnings": list(plan.warnings),
        **({"recorded": list(plan.recorded)} if plan.recorded else {}),
        "summary": {
            "add": plan.counts()["create"],
            "change": plan.counts()["update"],
            "destroy": plan.counts()["delete"],
        },
    }
