"""A month of each function's traffic: projected from the period's CloudWatch metrics (read-only AWS calls), or
given on the command line. The answer is `calc.Usage` values; the arithmetic lives in `calc`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from fnship.cost.calc import FREE_EPHEMERAL_MB, MONTH_HOURS, Usage
from fnship.errors import InputError

if TYPE_CHECKING:
    from mypy_boto3_lambda.type_defs import FunctionConfigurationTypeDef

    from fnship.manifest.types import FunctionSpec

# Lambda's own metrics of the function (all its versions and aliases together), and the statistic over the period.
# https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
METRICS = (
    ("Invocations", "Sum"),
    ("Duration", "Sum"),  # milliseconds, all invocations together
)
# Provisioned concurrency's metrics, which Lambda emits only for each alias and version that has it configured
# (dimensions FunctionName and Resource `name:qualifier`): the invocations it served, those that spilled over to
# on-demand concurrency, and how much of it was used (the peak of environments busy, the average utilization).
# https://docs.aws.amazon.com/lambda/latest/dg/monitoring-concurrency.html#provisioned-concurrency-metrics
PROVISIONED_METRICS = (
    ("ProvisionedConcurrencyInvocations", "Sum"),
    ("ProvisionedConcurrencySpilloverInvocations", "Sum"),
    ("ProvisionedConcurrentExecutions", "Maximum"),
    ("ProvisionedConcurrencyUtilization", "Average"),
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


class MetricsReader(Protocol):
    """What `read_traffic` asks of CloudWatch (fnship.aws's CloudWatch adapter, which fnship.cost does not import)."""

    def lambda_metrics(
        self,
        series: Iterable[tuple[str, str | None]],
        metrics: Iterable[tuple[str, str]],
        *,
        start: dt.datetime,
        end: dt.datetime,
    ) -> Mapping[tuple[str, str | None], Mapping[str, float | None]]: ...


def config_of_spec(spec: FunctionSpec, *, region: str, provisioned: int | None) -> Config:
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


def config_of_live(
    function: str, live: FunctionConfigurationTypeDef, *, region: str, provisioned: int | None
) -> Config:
    """A deployed function's billing configuration (GetFunction's Configuration)."""
    storage = live.get("EphemeralStorage")
    return Config(
        function=function,
        name=str(live["FunctionName"]),
        region=region,
        architecture=(live.get("Architectures") or ["x86_64"])[0],
        memory_mb=int(live.get("MemorySize") or 128),
        ephemeral_mb=int((storage.get("Size") if storage else None) or FREE_EPHEMERAL_MB),
        provisioned=int(provisioned or 0),
    )


@dataclass(frozen=True)
class Traffic:
    """A month of one function's traffic."""

    invocations: float
    duration_ms: float  # average per invocation
    provisioned_invocations: float = 0.0  # served by provisioned concurrency (the rest ran on demand)
    spillover_invocations: float | None = None  # over the provisioned concurrency, run on demand (None: not read)
    provisioned_peak: float | None = None  # the most environments of provisioned concurrency busy at once
    provisioned_utilization: float | None = None  # the period's average share of it in use (0..1)


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
        provisioned_used=_used(traffic),
    )


def _used(traffic: Traffic) -> dict[str, float | None] | None:
    """What the metrics say of provisioned concurrency's use, for the report (None when none was read)."""
    if (
        traffic.provisioned_peak is None
        and traffic.provisioned_utilization is None
        and not traffic.provisioned_invocations
    ):
        return None
    return {
        "invocations": round(traffic.provisioned_invocations, 3),
        "spillover_invocations": None
        if traffic.spillover_invocations is None
        else round(traffic.spillover_invocations, 3),
        "peak_concurrent_executions": traffic.provisioned_peak,
        "utilization": None if traffic.provisioned_utilization is None else round(traffic.provisioned_utilization, 4),
    }


def read_traffic(
    cloudwatch: MetricsReader,
    names: Iterable[str],
    *,
    days: int,
    provisioned: Mapping[str, Iterable[str]] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> dict[str, Traffic | None]:
    """function name -> a month of traffic projected from the last `days` days of metrics (None: no data).
    `provisioned`: function name -> the aliases and versions with provisioned concurrency configured, whose own
    metrics say how many invocations it served and how much of it was used."""
    if days < 1:
        raise InputError(f"--days {days} must be at least 1")
    end = (clock or (lambda: dt.datetime.now(dt.timezone.utc)))().replace(second=0, microsecond=0)
    start = end - dt.timedelta(days=days)
    names = list(names)
    qualifiers = {name: list(dict.fromkeys((provisioned or {}).get(name) or ())) for name in names}
    series: list[tuple[str, str | None]] = [(name, None) for name in names]
    totals = cloudwatch.lambda_metrics(series, METRICS, start=start, end=end)
    pc_series = [(name, q) for name in names for q in qualifiers[name]]
    pc_totals = cloudwatch.lambda_metrics(pc_series, PROVISIONED_METRICS, start=start, end=end) if pc_series else {}
    scale = MONTH_HOURS / (days * 24.0)
    found: dict[str, Traffic | None] = {}
    for name in names:
        metrics = totals.get((name, None)) or {}
        invocations = metrics.get("Invocations")
        if not invocations:
            found[name] = None
            continue
        duration_sum = metrics.get("Duration") or 0.0
        per_qualifier = [pc_totals.get((name, q)) or {} for q in qualifiers[name]]

        def summed(metric: str, rows: Sequence[Mapping[str, float | None]] = per_qualifier) -> float | None:
            values = [row[metric] for row in rows if row.get(metric) is not None]
            return float(sum(v for v in values if v is not None)) if values else None

        peaks = [row["ProvisionedConcurrentExecutions"] for row in per_qualifier
                 if row.get("ProvisionedConcurrentExecutions") is not None]  # fmt: skip
        utilizations = [row["ProvisionedConcurrencyUtilization"] for row in per_qualifier
                        if row.get("ProvisionedConcurrencyUtilization") is not None]  # fmt: skip
        spillover = summed("ProvisionedConcurrencySpilloverInvocations")
        found[name] = Traffic(
            invocations=invocations * scale,
            duration_ms=duration_sum / invocations,
            provisioned_invocations=min(invocations, summed("ProvisionedConcurrencyInvocations") or 0.0) * scale,
            spillover_invocations=None if spillover is None else spillover * scale,
            provisioned_peak=sum(v for v in peaks if v is not None) if peaks else None,
            provisioned_utilization=(
                sum(v for v in utilizations if v is not None) / len(utilizations) if utilizations else None
            ),
        )
    return found
