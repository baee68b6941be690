"""What a plan's changes cost: for each function whose memory, architecture, ephemeral storage or provisioned
concurrency changes, the monthly cost before and after at the traffic of the last days, and a total, as Infracost
annotates a Terraform plan. Pure: the plan value, the traffic and the prices come in; a dict goes out.

`billing_changes` is the only code here that reads the plan's shape (its public fields: changes with their
address, kind, name, fields, and the desired/live states), so a new plan shape is ported in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypedDict

from fnship.cost import calc
from fnship.cost.prices import Prices
from fnship.cost.traffic import Config, Traffic, usage
from fnship.kinds.alias import Alias
from fnship.kinds.function import LambdaFunction
from fnship.model.resources import Resource, State

BILLING_FIELDS = {
    "memory_size": "memory_mb",
    "architecture": "architecture",
    "ephemeral_storage": "ephemeral_mb",
    "provisioned_concurrency": "provisioned",
}


class _FieldChange(Protocol):
    @property
    def path(self) -> str: ...


class _Change(Protocol):
    @property
    def action(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def fields(self) -> Sequence[_FieldChange]: ...


class PlanView(Protocol):
    """What this module reads of a plan (fnship.plan.diff.Plan, which fnship.cost does not import)."""

    @property
    def region(self) -> str: ...
    @property
    def changes(self) -> Sequence[_Change]: ...
    @property
    def desired(self) -> State: ...
    @property
    def live(self) -> State: ...


class CostEntry(TypedDict):
    """One function's monthly cost before and after the plan (None, with the reason, when it cannot be known)."""

    function: str
    name: str
    fields: list[str]
    before: float | None
    after: float | None
    delta: float | None
    reason: str | None


class CostTotal(TypedDict):
    before: float
    after: float
    delta: float


class PlanCost(TypedDict):
    days: int
    functions: list[CostEntry]
    total: CostTotal | None
    notes: list[str]


@dataclass(frozen=True)
class BillingChange:
    function: str  # the manifest key
    name: str  # the physical name
    fields: tuple[str, ...]  # which billing settings change ("memory_size", ...)
    before: Config
    after: Config
    alias: str | None = None  # the release alias, whose provisioned concurrency's metrics say what it served


def _billing(function_spec: LambdaFunction, *, function: str, name: str, region: str, alias: Resource | None) -> Config:
    return Config(
        function=function,
        name=name,
        region=region,
        architecture=function_spec.architecture or "x86_64",
        memory_mb=function_spec.memory_size or 128,
        ephemeral_mb=function_spec.ephemeral_storage or calc.FREE_EPHEMERAL_MB,
        provisioned=(alias.spec_as(Alias).provisioned_concurrency or 0) if alias is not None else 0,
    )


def billing_changes(plan: PlanView) -> list[BillingChange]:
    """Updates of deployed functions that change what Lambda bills by. New functions have no traffic yet and
    deleted ones none to come: they are not priced."""
    touched: dict[str, set[str]] = {}
    for change in plan.changes:
        if change.action != "update" or change.kind not in ("function", "alias"):
            continue
        paths = {f.path.split(".", 1)[0] for f in change.fields} & set(BILLING_FIELDS)
        if paths:
            key = change.address.split(".")[1]
            touched.setdefault(key, set()).update(paths)
    found: list[BillingChange] = []
    for key, fields in touched.items():
        desired_fn, live_fn = plan.desired.get(f"function.{key}"), plan.live.get(f"function.{key}")
        if desired_fn is None or live_fn is None:
            continue
        desired_alias = next((r for r in plan.desired.of_kind("alias") if r.address.startswith(f"alias.{key}.")), None)
        live_alias = plan.live.get(desired_alias.address) if desired_alias is not None else None
        found.append(
            BillingChange(
                function=key,
                name=live_fn.name,
                fields=tuple(sorted(fields)),
                before=_billing(
                    live_fn.spec_as(LambdaFunction),
                    function=key,
                    name=live_fn.name,
                    region=plan.region,
                    alias=live_alias,
                ),  # fmt: skip
                after=_billing(
                    desired_fn.spec_as(LambdaFunction),
                    function=key,
                    name=desired_fn.name,
                    region=plan.region,
                    alias=desired_alias,
                ),  # fmt: skip
                alias=desired_alias.name if desired_alias is not None else None,
            )
        )
    return found


def annotate(
    changes: list[BillingChange],
    *,
    traffic: Mapping[str, Traffic | None] | str,
    prices_for: Callable[[str, str], Prices | None],
    days: int,
) -> PlanCost:
    """`traffic`: function name -> a month of traffic (None: no invocations), or why it could not be read."""
    functions: list[CostEntry] = []
    before_total = after_total = 0.0
    for change in changes:
        entry: CostEntry = {
            "function": change.function,
            "name": change.name,
            "fields": list(change.fields),
            "before": None,
            "after": None,
            "delta": None,
            "reason": None,
        }
        month = None if isinstance(traffic, str) else traffic.get(change.name)
        if isinstance(traffic, str):
            entry["reason"] = f"cannot know without metrics: {traffic}"
        elif month is None:
            entry["reason"] = f"cannot know without metrics: no invocations in the last {days} days"
        else:
            costs = [
                calc.estimate([usage(config, month)], prices_for, free_tier=False).functions[0].total
                for config in (change.before, change.after)
            ]
            if costs[0] is None or costs[1] is None:
                entry["reason"] = f"no Lambda prices for {change.before.region}"
            else:
                entry["before"], entry["after"] = round(costs[0], 6), round(costs[1], 6)
                entry["delta"] = round(costs[1] - costs[0], 6)
                before_total += costs[0]
                after_total += costs[1]
        functions.append(entry)
    priced = [f for f in functions if f["before"] is not None]
    return {
        "days": days,
        "functions": functions,
        "total": None
        if not priced
        else {
            "before": round(before_total, 6),
            "after": round(after_total, 6),
            "delta": round(after_total - before_total, 6),
        },  # fmt: skip
        "notes": [
            "monthly cost at the traffic of the last "
            f"{days} days and the same duration per invocation; the free tier and INIT duration are left out"
        ],
    }
