"""A month of each function's traffic: projected from the period's CloudWatch metrics (read-only AWS calls), or
given on the command line. The answer is `calc.Usage` values; the arithmetic lives in `calc`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fnship.cost.calc import FREE_EPHEMERAL_MB, MONTH_HOURS, Usage
from fnship.errors import InputError

# Lambda's own metrics, and the statistic summed over the period.
# https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
METRICS = (
    ("Invocations", "Sum"),
    ("Duration", "Sum"),  # milliseconds, all invocations together
    ("ProvisionedConcurrencyInvocations", "Sum"),
)
DEFAULT_COLD_SHARE = 0.01  # AWS: cold starts "typically occur in under 1% of invocations"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$")
_SHARE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%)?\s*$")


def parse_duration_ms(text: str, *, option: str) -> float:
    """`200ms`, `1.5s` or `200` (milliseconds) -> milliseconds."""
    match = _DURATION.match(text or "")
    if not match:
        raise InputError(f"{option} {text!r} is not a duration", hint="write it like 200ms or 1.5s")
    value = float(match.group(1))
    return value * 1000.0 if match.group(2) == "s" else value


def parse_share(text: str, *, option: str) -> float:
    """`1%` or `0.01` -> 0.01."""
    match = _SHARE.match(text or "")
    value = float(match.group(1)) / (100.0 if match.group(2) else 1.0) if match else -1.0
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{option} {text!r} is not a share between 0 and 100%", hint="write it like 1% or 0.01")
    return value


@dataclass(frozen=True)
class Config:
    """What a function is billed by, besides its traffic."""

    function: str
    name: str
    region: str
    architecture: str
    memory_mb: int
    ephemeral_mb: int = FREE_EPHEMERAL_MB
    provisioned: int = 0


def config_of_spec(spec: Any, *, region: str, provisioned: int | None) -> Config:
    """A manifest FunctionSpec's billing configuration."""
    return Config(
        function=spec.key,
        name=spec.name,
        region=region,
        architecture=spec.architecture,
        memory_mb=int(spec.memory_size),
        ephemeral_mb=int(spec.ephemeral_storage or FREE_EPHEMERAL_MB),
        provisioned=int(provisioned or 0),
    )


def config_of_live(function: str, live: Mapping[str, Any], *, region: str, provisioned: int | None) -> Config:
    """A deployed function's billing configuration (GetFunction's Configuration)."""
    return Config(
        function=function,
        name=str(live["FunctionName"]),
        region=region,
        architecture=(live.get("Architectures") or ["x86_64"])[0],
        memory_mb=int(live.get("MemorySize") or 128),
        ephemeral_mb=int((live.get("EphemeralStorage") or {}).get("Size") or FREE_EPHEMERAL_MB),
        provisioned=int(provisioned or 0),
    )


@dataclass(frozen=True)
class Traffic:
    """A month of one function's traffic."""

    invocations: float
    duration_ms: float  # average per invocation
    provisioned_invocations: float = 0.0


def usage(config: Config, traffic: Traffic, *, init_ms: float = 0.0, cold_share: float = DEFAULT_COLD_SHARE) -> Usage:
    """The month's usage; INIT is billed on the on-demand cold starts (`cold_share` of on-demand invocations)."""
    on_demand = max(0.0, traffic.invocations - traffic.provisioned_invocations)
    return Usage(
        function=config.function,
        name=config.name,
        region=config.region,
        architecture=config.architecture,
        memory_mb=config.memory_mb,
        invocations=traffic.invocations,
        duration_ms=traffic.duration_ms,
        ephemeral_mb=config.ephemeral_mb,
        init_ms=on_demand * cold_share * init_ms,
        provisioned=config.provisioned,
        provisioned_invocations=traffic.provisioned_invocations,
    )


def read_traffic(
    cloudwatch: Any, names: Iterable[str], *, days: int, clock: Callable[[], dt.datetime] | None = None
) -> dict[str, Traffic | None]:
    """function name -> a month of traffic projected from the last `days` days of metrics (None: no data)."""
    if days < 1:
        raise InputError(f"--days {days} must be at least 1")
    end = (clock or (lambda: dt.datetime.now(dt.timezone.utc)))().replace(second=0, microsecond=0)
    start = end - dt.timedelta(days=days)
    totals = cloudwatch.lambda_metric_totals(names, METRICS, start=start, end=end)
    scale = MONTH_HOURS / (days * 24.0)
    found: dict[str, Traffic | None] = {}
    for name, metrics in totals.items():
        invocations = metrics.get("Invocations")
        if not invocations:
            found[name] = None
            continue
        duration_sum = metrics.get("Duration") or 0.0
        found[name] = Traffic(
            invocations=invocations * scale,
            duration_ms=duration_sum / invocations,
            provisioned_invocations=(metrics.get("ProvisionedConcurrencyInvocations") or 0.0) * scale,
        )
    return found
