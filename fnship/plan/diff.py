"""Desired vs live -> changes, field by field, and the ordered steps that carry them out.

Pure: no AWS, no filesystem. A Plan is a value: `fn plan` prints it, `fn deploy` executes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fnship.model.resources import KNOWN_AFTER_APPLY, Resource, State, secret_env_names
from fnship.secret import Secret, reveal

CREATE, UPDATE, DELETE = "create", "update", "delete"


@dataclass(frozen=True)
class FieldChange:
    path: str  # "memory_size", "environment.TABLE", "tags.team"
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    action: str  # create | update | delete
    address: str
    kind: str
    name: str
    fields: tuple[FieldChange, ...]
    desired: Resource | None = field(default=None, compare=False)
    live: Resource | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Step:
    """One mutating action for the executor: `type` is the key into its handler table."""

    type: str
    address: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    service: str
    stage: str
    region: str
    release_id: str
    changes: tuple[Change, ...]
    steps: tuple[Step, ...]
    desired: State
    live: State
    warnings: tuple[str, ...] = ()  # worth saying before applying (a queue's visibility timeout too short)

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        return {action: sum(1 for c in self.changes if c.action == action) for action in (CREATE, UPDATE, DELETE)}

    def change(self, address: str) -> Change | None:
        return next((c for c in self.changes if c.address == address), None)


def same(a: Any, b: Any) -> bool:
    return reveal(a) == reveal(b)


# Attributes whose values are flat mappings are compared and shown key by key.
KEYED_ATTRS = frozenset({"environment", "tags", "paths", "other_inline_policies"})


def field_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[FieldChange]:
    before = before or {}
    after = after or {}
    changes: list[FieldChange] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if key in KEYED_ATTRS and isinstance(old or {}, Mapping) and isinstance(new or {}, Mapping):
            old_map, new_map = old or {}, new or {}
            for sub in sorted(set(old_map) | set(new_map)):
                if sub not in new_map or sub not in old_map or not same(old_map[sub], new_map[sub]):
                    shown_old = old_map.get(sub)
                    if key == "environment" and sub in old_map and _maybe_secret(sub, new_map.get(sub), before):
                        shown_old = Secret(str(shown_old))
                    changes.append(FieldChange(f"{key}.{sub}", shown_old, new_map.get(sub)))
        elif not same(old, new):
            changes.append(FieldChange(key, old, new))
    return changes


def _maybe_secret(name: str, desired: Any, live: Mapping[str, Any]) -> bool:
    """Whether a live environment value must print as (sensitive): when the manifest now makes it a secret, when
    the live function's record (model.resources.SECRET_ENV_TAG) says it was one, or when the variable goes away
    and no record proves it was plain."""
    recorded = secret_env_names(live.get("tags"))
    if isinstance(desired, Secret) or (recorded is not None and name in recorded):
        return True
    return desired is None and recorded is None


def _alias_fields(desired: Resource | None, live: Resource | None) -> list[FieldChange]:
    """An alias changes when what it serves differs from the desired release (its new version is unknown), when a
    shift was left with weights, or when its provisioned concurrency differs."""
    if desired is None:
        return [FieldChange("version", live.extras.get("version") if live else None, None)]
    fields: list[FieldChange] = []
    concurrency = "provisioned_concurrency"
    served = {k: v for k, v in desired.attrs.items() if k != concurrency}
    live_served = {k: v for k, v in (live.attrs if live else {}).items() if k != concurrency}
    if live is None or not same(live_served, served) or live.extras.get("weights"):
        before = live.extras.get("version") if live else None
        after = "$LATEST" if desired.attrs.get("version") == "$LATEST" else KNOWN_AFTER_APPLY
        fields.append(FieldChange("version", before, after))
    before_pc = live.attrs.get(concurrency) if live else None
    if before_pc != desired.attrs.get(concurrency):
        fields.append(FieldChange(concurrency, before_pc, desired.attrs.get(concurrency)))
    return fields


def _generic_fields(desired: Resource | None, live: Resource | None) -> list[FieldChange]:
    return field_changes(live.attrs if live else None, desired.attrs if desired else None)


FIELD_DIFFERS: dict[str, Callable[[Resource | None, Resource | None], list[FieldChange]]] = {
    "alias": _alias_fields,
    "function": _generic_fields,
    "role": _generic_fields,
    "log_group": _generic_fields,
    # Triggers, their permissions and the shared resources they use: every attribute is compared as is.
    "permission": _generic_fields,
    "http_api": _generic_fields,
    "http_api_authorizer": _generic_fields,
    "http_api_route": _generic_fields,
    "rest_api": _generic_fields,
    "rest_method": _generic_fields,
    "rest_stage": _generic_fields,
    "sns_topic": _generic_fields,
    "sns_subscription": _generic_fields,
    "s3_bucket": _generic_fields,
    "s3_notification": _generic_fields,
    "event_rule": _generic_fields,
    "event_source_mapping": _generic_fields,
    "function_url": _generic_fields,
    "event_invoke_config": _generic_fields,
    "layer": _generic_fields,
    "image": _generic_fields,
    "alarm": _generic_fields,
}


def diff(desired: State, live: State) -> list[Change]:
    live_by_address = live.by_address()
    changes: list[Change] = []
    for resource in desired.resources:
        before = live_by_address.get(resource.address)
        fields = FIELD_DIFFERS[resource.kind](resource, before)
        if before is None:
            changes.append(
                Change(CREATE, resource.address, resource.kind, resource.name, tuple(fields), resource, None)
            )
        elif fields:
            changes.append(
                Change(UPDATE, resource.address, resource.kind, resource.name, tuple(fields), resource, before)
            )
    desired_addresses = {r.address for r in desired.resources}
    for resource in live.resources:
        if resource.address not in desired_addresses:
            fields = FIELD_DIFFERS[resource.kind](None, resource)
            changes.append(
                Change(DELETE, resource.address, resource.kind, resource.name, tuple(fields), None, resource)
            )
    return changes
