"""`fn cost`'s core: each function's monthly cost, from the period's metrics or from the given traffic.

Read-only AWS calls (GetFunction, GetMetricData, the Price List API); everything else is `calc`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol, TypedDict

from fnship.cost import calc, traffic
from fnship.cost.prices import PriceBook
from fnship.jsonvalue import JsonObject

if TYPE_CHECKING:  # (Lambda's answers as boto3-stubs types them: types only, as fnship.kinds reads them)
    from mypy_boto3_lambda.type_defs import GetFunctionResponseTypeDef as FunctionAnswer
    from mypy_boto3_lambda.type_defs import (
        ProvisionedConcurrencyConfigListItemTypeDef as ProvisionedConcurrencyItem,
    )

    from fnship.manifest.types import Manifest


class TrafficSource(TypedDict, total=False):
    """Where the traffic came from: `metrics` (of the last `days`) or `given` (invocations, duration_ms)."""

    kind: str
    days: int
    invocations: float
    duration_ms: float | None


class Skipped(TypedDict):
    function: str
    name: str
    reason: str


class CostDoc(calc.EstimateDoc):
    """The `fn cost` document."""

    service: str
    stage: str
    region: str
    traffic: TrafficSource
    skipped: list[Skipped]
    prices: list[JsonObject]


class _Pricing(Protocol):
    def lambda_products(self, region: str) -> list[str]: ...


class _Functions(Protocol):
    def get_function_or_none(self, name: str) -> FunctionAnswer | None: ...
    def provisioned_concurrency_configs(self, function: str) -> Sequence[ProvisionedConcurrencyItem]: ...


class AwsHandle(Protocol):
    """What `fn cost` asks of AWS: fnship.aws's `Aws`, which fnship.cost does not import."""

    @property
    def lambda_(self) -> _Functions: ...
    @property
    def cloudwatch(self) -> traffic.MetricsReader: ...
    @property
    def pricing(self) -> _Pricing: ...


class LoadedService(Protocol):
    """The loaded service (fnship.pipeline's `Loaded`): its manifest and its AWS handle."""

    @property
    def manifest(self) -> Manifest: ...
    @property
    def aws(self) -> AwsHandle: ...


def price_book(aws: AwsHandle) -> PriceBook:
    """Prices through the Price List API, cached for a day under fnship's cache directory."""
    from fnship.paths import default_cache_dir

    return PriceBook(fetch=aws.pricing.lambda_products, cache_dir=default_cache_dir())


def provisioned_of(manifest: Manifest) -> dict[str, int]:
    """function key -> the provisioned concurrency the manifest configures on its alias (0: none)."""
    from fnship.manifest.release import release_settings

    return {key: int(s.provisioned_concurrency or 0) for key, s in release_settings(manifest).items()}


def provisioned_configured(lam: _Functions, names: list[str]) -> tuple[dict[str, dict[str, int]], str | None]:
    """function name -> qualifier -> the provisioned concurrency allocated to that alias or version, as Lambda has
    it configured now (what it bills by, whatever the manifest says). When it cannot be read (no
    lambda:ListProvisionedConcurrencyConfigs permission, or an emulator without the API): ({}, why)."""
    from fnship.errors import FnError

    def configs(name: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for config in lam.provisioned_concurrency_configs(name):
            qualifier = str(config.get("FunctionArn") or "").rsplit(":", 1)[-1]
            allocated = int(config.get("AllocatedProvisionedConcurrentExecutions") or 0)
            if qualifier and qualifier != name:
                found[qualifier] = found.get(qualifier, 0) + allocated
        return found

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            return dict(zip(names, pool.map(configs, names), strict=True)), None
    except FnError as exc:
        reason = exc.message.splitlines()[0]
        return {}, (
            f"provisioned concurrency could not be read from Lambda ({reason}): the manifest's "
            "provisionedConcurrency is priced instead, and its use is not known"
        )


def service_cost(
    loaded: LoadedService,
    *,
    only: Collection[str] = (),
    days: int = 30,
    invocations: float | None = None,
    duration_ms: float | None = None,
    init_ms: float = 0.0,
    cold_share: float = traffic.DEFAULT_COLD_SHARE,
    book: PriceBook | None = None,
) -> CostDoc:
    """The `fn cost` document: per function and in total, with the free tier apart and where the traffic and
    the prices came from."""
    manifest, aws = loaded.manifest, loaded.aws
    keys = [k for k in manifest.functions if not only or k in only]
    provisioned = provisioned_of(manifest)
    book = book or price_book(aws)
    notes: list[str] = []
    usages: list[calc.Usage] = []
    skipped: list[Skipped] = []
    if invocations is not None:
        given = traffic.Traffic(invocations=float(invocations), duration_ms=float(duration_ms or 0.0))
        for key in keys:
            spec = manifest.functions[key]
            config = traffic.config_of_spec(spec, region=manifest.region, provisioned=provisioned.get(key))
            usages.append(traffic.usage(config, given, init_ms=init_ms, cold_share=cold_share))
        source: TrafficSource = {"kind": "given", "invocations": invocations, "duration_ms": duration_ms}
    else:
        lam = aws.lambda_
        with ThreadPoolExecutor(max_workers=8) as pool:
            found = pool.map(lambda k: lam.get_function_or_none(manifest.functions[k].name), keys)
            live = dict(zip(keys, found, strict=True))
        deployed = [k for k in keys if live[k] is not None]
        for key in keys:
            if live[key] is None:
                skipped.append({"function": key, "name": manifest.functions[key].name, "reason": "not deployed"})
        names = {manifest.functions[k].name: k for k in deployed}
        configured, note = provisioned_configured(lam, list(names))
        if note is not None:
            notes.append(note)
            configured = {name: {} for name in names}
        qualifiers = {name: list(by_qualifier) for name, by_qualifier in configured.items()}
        read = traffic.read_traffic(aws.cloudwatch, list(names), days=days, provisioned=qualifiers) if names else {}
        for name, key in names.items():
            month, function = read.get(name), live[key]
            if function is None:
                continue  # (not deployed: skipped above)
            if month is None:
                skipped.append({"function": key, "name": name, "reason": f"no invocations in the last {days} days"})
                continue
            allocated = sum(configured[name].values()) if note is None else provisioned.get(key)
            config = traffic.config_of_live(
                key, function["Configuration"], region=manifest.region, provisioned=allocated
            )
            usages.append(traffic.usage(config, month, init_ms=init_ms, cold_share=cold_share))
        source = {"kind": "metrics", "days": days}
    if not init_ms:
        notes.append(
            "INIT duration (billed on cold starts since August 2025) is not included"
            + (", and Lambda's metrics do not carry it" if invocations is None else "")
            + ": pass --init-duration (and --cold-starts, default 1%) to include it"
        )
    estimate = calc.estimate(usages, book.prices)
    notes.extend(estimate.notes)
    prices = _prices_used(usages, book)
    for entry in prices:
        listed = entry.get("notes")
        if isinstance(listed, list):
            notes.extend(str(note) for note in listed)
    return {
        "service": manifest.service,
        "stage": manifest.stage,
        "region": manifest.region,
        "traffic": source,
        **estimate.to_dict(),
        "skipped": skipped,
        "prices": prices,
        "notes": list(dict.fromkeys(notes)),
    }


def _prices_used(usages: list[calc.Usage], book: PriceBook) -> list[JsonObject]:
    used: list[JsonObject] = []
    for region, arch in sorted({(u.region, u.architecture) for u in usages}):
        prices = book.prices(region, arch)
        if prices is not None:
            used.append(prices.to_dict())
    return used
