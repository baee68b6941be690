"""Monthly Lambda cost from usage and prices. Pure: no AWS, no filesystem.

What Lambda bills (https://aws.amazon.com/lambda/pricing/): requests; duration in GB-seconds, in monthly tiers per
architecture; INIT duration on cold starts (billed like duration since 1 August 2025,
https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/); ephemeral storage above
the free 512 MB, per GB-second of duration; provisioned concurrency configured, per GB-second, and the duration
it serves at its own price. The free tier (1 M requests and 400,000 GB-seconds a month) is per account, so it is
shown apart from each function's cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from fnship.cost.prices import FREE_GB_S, FREE_REQUESTS, Prices, Tier

MONTH_HOURS = 730.0  # AWS's month in its pricing examples and calculator
MONTH_S = MONTH_HOURS * 3600
FREE_EPHEMERAL_MB = 512


@dataclass(frozen=True)
class Usage:
    """One function's traffic and configuration for a month."""

    function: str  # the manifest key
    name: str  # the physical name
    region: str
    architecture: str
    memory_mb: int
    invocations: float
    duration_ms: float  # average billed duration of an invocation
    ephemeral_mb: int = FREE_EPHEMERAL_MB
    init_ms: float = 0.0  # INIT duration billed in the month, all cold starts together
    provisioned: int = 0  # provisioned concurrency configured
    provisioned_invocations: float = 0.0  # the invocations it served (their duration has its own price)
    provisioned_seconds: float = MONTH_S  # how long it is configured in the month
    provisioned_used: dict[str, float | None] | None = None  # what the metrics say of its use (reported, not billed)


class CostParts(TypedDict):
    requests: float
    duration: float
    init: float
    ephemeral_storage: float
    provisioned_concurrency: float
    provisioned_duration: float
    total: float


class FunctionCostDoc(TypedDict):
    """One function's monthly cost as `fn cost` shows it (`cost` None: no price known for its region)."""

    function: str
    name: str
    region: str
    architecture: str
    memory_size: int
    ephemeral_storage: int
    invocations: float
    duration_ms: float
    init_ms: float
    provisioned_concurrency: int
    provisioned_used: dict[str, float | None] | None
    gb_seconds: float
    cost: CostParts | None


class FreeTierDoc(TypedDict):
    requests: int
    gb_seconds: float
    value: float
    per_account: bool


class EstimateDoc(TypedDict):
    functions: list[FunctionCostDoc]
    total: float
    free_tier: FreeTierDoc
    total_after_free_tier: float
    unknown: list[str]
    notes: list[str]


@dataclass(frozen=True)
class FunctionCost:
    usage: Usage
    prices: Prices | None  # None: no price is known for the region
    requests: float = 0.0
    duration: float = 0.0
    init: float = 0.0
    ephemeral: float = 0.0
    provisioned: float = 0.0
    provisioned_duration: float = 0.0
    gb_s: float = 0.0  # on-demand duration and INIT, GB-seconds

    @property
    def known(self) -> bool:
        return self.prices is not None

    @property
    def total(self) -> float | None:
        if not self.known:
            return None
        parts = (self.requests, self.duration, self.init, self.ephemeral, self.provisioned, self.provisioned_duration)
        return sum(parts)

    def to_dict(self) -> FunctionCostDoc:
        u = self.usage
        return {
            "function": u.function,
            "name": u.name,
            "region": u.region,
            "architecture": u.architecture,
            "memory_size": u.memory_mb,
            "ephemeral_storage": u.ephemeral_mb,
            "invocations": round(u.invocations, 3),
            "duration_ms": round(u.duration_ms, 3),
            "init_ms": round(u.init_ms, 3),
            "provisioned_concurrency": u.provisioned,
            "provisioned_used": u.provisioned_used,
            "gb_seconds": round(self.gb_s, 3),
            "cost": None
            if not self.known
            else {
                "requests": _usd(self.requests),
                "duration": _usd(self.duration),
                "init": _usd(self.init),
                "ephemeral_storage": _usd(self.ephemeral),
                "provisioned_concurrency": _usd(self.provisioned),
                "provisioned_duration": _usd(self.provisioned_duration),
                "total": _usd(self.total or 0.0),
            },
        }


@dataclass(frozen=True)
class Estimate:
    functions: tuple[FunctionCost, ...]
    free_requests: float  # the requests the free tier covers
    free_gb_s: float
    free_value: float  # what the free tier is worth against these functions' costs
    notes: tuple[str, ...] = field(default=())

    @property
    def total(self) -> float:
        return sum(f.total or 0.0 for f in self.functions)

    @property
    def total_after_free_tier(self) -> float:
        return max(0.0, self.total - self.free_value)

    def to_dict(self) -> EstimateDoc:
        return {
            "functions": [f.to_dict() for f in self.functions],
            "total": _usd(self.total),
            "free_tier": {
                "requests": round(self.free_requests),
                "gb_seconds": round(self.free_gb_s, 3),
                "value": _usd(self.free_value),
                "per_account": True,
            },
            "total_after_free_tier": _usd(self.total_after_free_tier),
            "unknown": [f.usage.function for f in self.functions if not f.known],
            "notes": list(self.notes),
        }


def _usd(value: float) -> float:
    return round(value, 6)


def tiered(gb_s: float, tiers: Sequence[Tier]) -> float:
    """The charge for `gb_s` GB-seconds a month under the duration tiers."""
    charge, start = 0.0, 0.0
    for tier in tiers:
        end = tier.up_to if tier.up_to is not None else float("inf")
        if gb_s <= start:
            break
        charge += (min(gb_s, end) - start) * tier.price
        start = end
    return charge


def _gb(mb: float) -> float:
    return mb / 1024.0


@dataclass(frozen=True)
class _Share:
    """One function's usage in GB-seconds, before the duration tiers of its region and architecture are applied."""

    usage: Usage
    prices: Prices | None
    invoke_gb_s: float  # on-demand invocations
    init_gb_s: float
    pc_gb_s: float  # invocations served by provisioned concurrency


def estimate(
    usages: Iterable[Usage], prices_for: Callable[[str, str], Prices | None], *, free_tier: bool = True
) -> Estimate:
    """Each function's monthly cost; the duration tiers apply to the total of each architecture (as AWS applies
    them per account, region and architecture), shared out by each function's GB-seconds."""
    usages = list(usages)
    rows: list[_Share] = []
    for usage in usages:
        prices = prices_for(usage.region, usage.architecture)
        gb = _gb(usage.memory_mb)
        on_demand = max(0.0, usage.invocations - usage.provisioned_invocations)
        rows.append(
            _Share(
                usage=usage,
                prices=prices,
                invoke_gb_s=on_demand * usage.duration_ms / 1000.0 * gb,
                init_gb_s=usage.init_ms / 1000.0 * gb,
                pc_gb_s=usage.provisioned_invocations * usage.duration_ms / 1000.0 * gb,
            )
        )
    # Effective duration rate per (region, architecture): tiers apply to the sum.
    rates: dict[tuple[str, str], float] = {}
    for key in {(r.usage.region, r.usage.architecture) for r in rows if r.prices is not None}:
        group = [r for r in rows if (r.usage.region, r.usage.architecture) == key and r.prices is not None]
        gb_s = sum(r.invoke_gb_s + r.init_gb_s for r in group)
        tiers = next(r.prices.duration for r in group if r.prices is not None)
        rates[key] = tiered(gb_s, tiers) / gb_s if gb_s else tiers[0].price
    costs: list[FunctionCost] = []
    for r in rows:
        usage, prices = r.usage, r.prices
        gb_s = r.invoke_gb_s + r.init_gb_s
        if prices is None:
            costs.append(FunctionCost(usage, None, gb_s=gb_s))
            continue
        rate = rates[(usage.region, usage.architecture)]
        extra_gb = _gb(max(0, usage.ephemeral_mb - FREE_EPHEMERAL_MB))
        seconds = usage.invocations * usage.duration_ms / 1000.0 + usage.init_ms / 1000.0
        costs.append(
            FunctionCost(
                usage,
                prices,
                requests=usage.invocations * prices.request,
                duration=r.invoke_gb_s * rate,
                init=r.init_gb_s * rate,
                ephemeral=seconds * extra_gb * prices.ephemeral,
                provisioned=usage.provisioned * _gb(usage.memory_mb) * usage.provisioned_seconds * prices.provisioned,
                provisioned_duration=r.pc_gb_s * prices.provisioned_duration,
                gb_s=gb_s,
            )
        )
    return _with_free_tier(costs, enabled=free_tier)


def _with_free_tier(costs: list[FunctionCost], *, enabled: bool) -> Estimate:
    known = [c for c in costs if c.known]
    notes = []
    unknown = [c.usage for c in costs if not c.known]
    if unknown:
        regions = sorted({u.region for u in unknown})
        notes.append(
            f"no Lambda prices for {', '.join(regions)} (the Price List API did not answer): "
            f"{', '.join(u.function for u in unknown)} not priced"
        )
    if not enabled or not known:
        return Estimate(tuple(costs), 0.0, 0.0, 0.0, tuple(notes))
    requests = sum(c.usage.invocations for c in known)
    gb_s = sum(c.gb_s for c in known)
    free_requests = min(requests, FREE_REQUESTS)
    free_gb_s = min(gb_s, FREE_GB_S)
    # Valued at each function's own first-tier prices, shared out by requests and by GB-seconds.
    value = 0.0
    for c in known:
        assert c.prices is not None
        if requests:
            value += free_requests * (c.usage.invocations / requests) * c.prices.request
        if gb_s:
            value += free_gb_s * (c.gb_s / gb_s) * c.prices.duration[0].price
    return Estimate(tuple(costs), free_requests, free_gb_s, value, tuple(notes))


def per_invocation(*, prices: Prices, memory_mb: int, billed_ms: float, ephemeral_mb: int = FREE_EPHEMERAL_MB) -> float:
    """One invocation's cost at the first duration tier: request, duration and ephemeral storage."""
    seconds = billed_ms / 1000.0
    extra_gb = _gb(max(0, ephemeral_mb - FREE_EPHEMERAL_MB))
    return prices.request + seconds * _gb(memory_mb) * prices.duration[0].price + seconds * extra_gb * prices.ephemeral
