"""What a plan is made of: changes with field-level before/after, and the steps that carry them out.

Pure values: no AWS, no filesystem, and no import of the resource kinds (fnship/kinds builds these, the planner
in plan/steps.py assembles them). A Plan is a value: `fn plan` prints it, `fn deploy` executes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fnship.jsonvalue import JsonMapping
from fnship.model.resources import PlanMapping, PlanValue, Resource, State, secret_env_names
from fnship.secret import Secret, reveal

CREATE, UPDATE, DELETE, REPLACE = "create", "update", "delete", "replace"


@dataclass(frozen=True)
class FieldChange:
    path: str  # "memory_size", "environment.TABLE", "tags.team"
    before: PlanValue
    after: PlanValue


@dataclass(frozen=True)
class Change:
    action: str  # create | update | delete | replace
    address: str
    kind: str
    name: str
    fields: tuple[FieldChange, ...]
    desired: Resource | None = field(default=None, compare=False)
    live: Resource | None = field(default=None, compare=False)
    # A replacement: the fields AWS cannot change in place, which force it (Terraform's "forces replacement").
    forces_replacement: tuple[str, ...] = ()
    # A delete that another delete of this plan carries out (a route goes with its API): no step of its own.
    deleted_with: str | None = None


@dataclass(frozen=True)
class Step:
    """One mutating action for the executor: `type` is the key into its handler table. `after` names the steps
    (by `key`) that must complete first; steps with nothing between them may run at the same time."""

    type: str
    address: str
    detail: JsonMapping = field(default_factory=dict)  # what the plan shows of it (a release's shifts)
    after: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        return f"{self.address} {self.type}"


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
    # Addresses whose live side the deploy record vouched for instead of a read (fnship/deploy_record.py).
    recorded: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        """As Terraform counts them: a replacement is one to add and one to destroy."""
        counted = {action: sum(1 for c in self.changes if c.action == action) for action in (CREATE, UPDATE, DELETE)}
        replaced = sum(1 for c in self.changes if c.action == REPLACE)
        counted[CREATE] += replaced
        counted[DELETE] += replaced
        return counted

    def change(self, address: str) -> Change | None:
        return next((c for c in self.changes if c.address == address), None)


def release_shifts(step: Step) -> dict[str, JsonMapping]:
    """A release step's shifts: the address of each alias it moves -> how (strategy, hooks, versions to prune)."""
    aliases = step.detail.get("aliases")
    if not isinstance(aliases, Mapping):
        return {}
    return {address: shift for address, shift in aliases.items() if isinstance(shift, Mapping)}


def same(a: object, b: object) -> bool:
    return reveal(a) == reveal(b)


# Attributes whose values are flat mappings are compared and shown key by key.
# Mappings shown key by key (`logging.log_format`): a function's LoggingConfig and runtime update mode too.
KEYED_ATTRS = frozenset({"environment", "tags", "paths", "other_inline_policies", "logging", "runtime_update"})


def field_changes(before: PlanMapping | None, after: PlanMapping | None) -> list[FieldChange]:
    before = before or {}
    after = after or {}
    changes: list[FieldChange] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        old_map = old if isinstance(old, Mapping) else {} if old is None else None
        new_map = new if isinstance(new, Mapping) else {} if new is None else None
        if key in KEYED_ATTRS and old_map is not None and new_map is not None:
            for sub in sorted(set(old_map) | set(new_map)):
                if old_map.get(sub) is None and new_map.get(sub) is None:
                    continue  # unset on both sides (a runtime version ARN outside Manual mode)
                if sub not in new_map or sub not in old_map or not same(old_map[sub], new_map[sub]):
                    shown_old = old_map.get(sub)
                    if key == "environment" and sub in old_map and _maybe_secret(sub, new_map.get(sub), before):
                        shown_old = Secret(str(shown_old))
                    changes.append(FieldChange(f"{key}.{sub}", shown_old, new_map.get(sub)))
        elif not same(old, new):
            changes.append(FieldChange(key, old, new))
    return changes


def _maybe_secret(name: str, desired: PlanValue, live: PlanMapping) -> bool:
    """Whether a live environment value must print as (sensitive): when the manifest now makes it a secret, when
    the live function's record (model.resources.SECRET_ENV_TAG) says it was one, or when the variable goes away
    and no record proves it was plain."""
    tags = live.get("tags")
    recorded = secret_env_names({k: str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else None)
    if isinstance(desired, Secret) or (recorded is not None and name in recorded):
        return True
    return desired is None and recorded is None


def generic_fields(desired: Resource | None, live: Resource | None) -> list[FieldChange]:
    """Every attribute compared as is (most kinds)."""
    return field_changes(live.attrs if live else None, desired.attrs if desired else None)


def top_fields(change: Change) -> set[str]:
    """The attributes a change touches (`environment.A` -> `environment`)."""
    return {f.path.split(".", 1)[0] for f in change.fields}
