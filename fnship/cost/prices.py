"""Lambda prices per region and architecture: from the AWS Price List API, cached for a day, or, when the API
cannot be reached, a built-in table of the us-east-1 prices. No price is invented for another region.

Parsing is pure; the API is reached through `fnship.aws` (a `fetch(region) -> [price list product JSON]` callable),
the cache is a file under fnship's cache directory, and the clock is injected.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from fnship.errors import FnError
from fnship.jsonvalue import JsonMapping, JsonObject, JsonSequence, JsonValue

ARCHITECTURES = ("x86_64", "arm64")
CACHE_TTL_S = 24 * 3600
FREE_REQUESTS = 1_000_000  # per account and month, both architectures together
FREE_GB_S = 400_000.0  # https://aws.amazon.com/lambda/pricing/ ("AWS Lambda free tier")


@dataclass(frozen=True)
class Tier:
    """A duration price that applies up to `up_to` GB-seconds a month (None: no upper end)."""

    up_to: float | None
    price: float


@dataclass(frozen=True)
class Prices:
    """One region's and one architecture's Lambda prices, in USD."""

    region: str
    architecture: str
    request: float  # per request
    duration: tuple[Tier, ...]  # per GB-second, monthly tiers (per architecture, region and account)
    ephemeral: float  # per GB-second of ephemeral storage above the free 512 MB
    provisioned: float  # per GB-second of provisioned concurrency configured
    provisioned_duration: float  # per GB-second of duration served by provisioned concurrency
    source: str  # "price-list-api" or "built-in"
    as_of: str  # the date the prices were read (API) or written down (built-in)
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> JsonObject:
        return {
            "region": self.region,
            "architecture": self.architecture,
            "request": self.request,
            "duration": [{"up_to_gb_s": t.up_to, "price": t.price} for t in self.duration],
            "ephemeral": self.ephemeral,
            "provisioned": self.provisioned,
            "provisioned_duration": self.provisioned_duration,
            "source": self.source,
            "as_of": self.as_of,
            "notes": [*self.notes],
        }


def _us_east_1(architecture: str) -> Prices:
    # The AWS Lambda pricing page, US East (N. Virginia): https://aws.amazon.com/lambda/pricing/
    # Duration tiers (x86: first 6 B GB-s, next 9 B, over 15 B; Arm: first 7.5 B, next 11.25 B, over 18.75 B),
    # $0.20 per million requests, ephemeral storage $0.0000000309 per GB-s, provisioned concurrency
    # $0.0000041667 (x86) / $0.0000033334 (Arm) per GB-s and its duration $0.0000097222 / $0.0000077778 per GB-s.
    if architecture == "arm64":
        tiers = (Tier(7.5e9, 0.0000133334), Tier(18.75e9, 0.0000120001), Tier(None, 0.0000106667))
        provisioned, provisioned_duration = 0.0000033334, 0.0000077778
    else:
        tiers = (Tier(6e9, 0.0000166667), Tier(15e9, 0.0000150000), Tier(None, 0.0000133334))
        provisioned, provisioned_duration = 0.0000041667, 0.0000097222
    return Prices(
        region="us-east-1",
        architecture=architecture,
        request=0.0000002,
        duration=tiers,
        ephemeral=0.0000000309,
        provisioned=provisioned,
        provisioned_duration=provisioned_duration,
        source="built-in",
        as_of=BUILT_IN_DATE,
    )


BUILT_IN_DATE = "2025-08-01"  # the prices as the pricing page gave them when INIT billing began
BUILT_IN_REGION = "us-east-1"


def built_in(architecture: str, *, reason: str) -> Prices:
    note = (
        f"prices are fnship's built-in us-east-1 table of {BUILT_IN_DATE} (the Price List API could not be read: "
        f"{reason})"
    )
    return replace(_us_east_1(architecture), notes=(note,))


# Which AWSLambda products are ours: (our field, architecture) -> the product's `group` and `usagetype` attributes.
# The values are those of the real Price List (AWSLambda offer, FormatVersion aws_v1), as public tools that read it
# match them (Infracost's Lambda resource, AWS SAM CLI's `sam check`): usage types carry the region's prefix
# outside us-east-1 (`EU-Request`, `EUW2-Lambda-GB-Second`, `APS2-Lambda-Provisioned-GB-Second-ARM`). The same
# groups also hold the free tier's products (`Global-Request`, `Global-Lambda-GB-Second`: location `Any`, no
# regionCode, price 0 up to the free amount), and Lambda@Edge has groups of its own: neither is a price of ours.
# https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/price-list-query-api-get-products.html
PRODUCTS: dict[tuple[str, str], tuple[str, str]] = {
    ("request", "x86_64"): ("AWS-Lambda-Requests", "Request"),
    ("request", "arm64"): ("AWS-Lambda-Requests-ARM", "Request-ARM"),
    ("duration", "x86_64"): ("AWS-Lambda-Duration", "Lambda-GB-Second"),
    ("duration", "arm64"): ("AWS-Lambda-Duration-ARM", "Lambda-GB-Second-ARM"),
    ("ephemeral", "x86_64"): ("AWS-Lambda-Storage-Duration", "Lambda-Storage-GB-Second"),
    ("ephemeral", "arm64"): ("AWS-Lambda-Storage-Duration-ARM", "Lambda-Storage-GB-Second-ARM"),
    ("provisioned", "x86_64"): ("AWS-Lambda-Provisioned-Concurrency", "Lambda-Provisioned-Concurrency"),
    ("provisioned", "arm64"): ("AWS-Lambda-Provisioned-Concurrency-ARM", "Lambda-Provisioned-Concurrency-ARM"),
    ("provisioned_duration", "x86_64"): ("AWS-Lambda-Duration-Provisioned", "Lambda-Provisioned-GB-Second"),
    ("provisioned_duration", "arm64"): ("AWS-Lambda-Duration-Provisioned-ARM", "Lambda-Provisioned-GB-Second-ARM"),
}
_BY_GROUP = {group: (key, usage) for key, (group, usage) in PRODUCTS.items()}
# A usage type's region prefix: `EU-`, `USE2-`, `APS2-`, `CAN1-` (none in us-east-1; the free tier's is `Global-`).
_REGION_PREFIX = re.compile(r"^(?:[A-Z]{2,4}[0-9]?-)?(?P<usage>.+)$")


def _ours(attributes: JsonMapping, region: str) -> tuple[str, str] | None:
    """(field, architecture) when the product is one of Lambda's prices in `region`, else None."""
    found = _BY_GROUP.get(str(attributes.get("group") or ""))
    if found is None or attributes.get("regionCode") != region:
        return None  # another service's group, Lambda@Edge, another region or the free tier (no regionCode)
    key, usage = found
    match = _REGION_PREFIX.match(str(attributes.get("usagetype") or ""))
    return key if match is not None and match["usage"] == usage else None


PricePoint = tuple[float, float | None, float]  # a price dimension: (begin, end or None, USD per unit)


def _object_or_empty(value: JsonValue) -> JsonMapping:
    """A part of the answer that should be a JSON object: {} when it is missing (or is not one)."""
    return value if isinstance(value, Mapping) else {}


# The narrowings below raise TypeError on a value of another type: a Price List answer AWS did not write, or a
# damaged cache (which is then read again from the API).
def _number(value: JsonValue) -> float:
    """A price or an amount: a decimal string in the Price List, a number in the cache."""
    if isinstance(value, (str, int, float)):
        return float(value)
    raise TypeError(f"not a number: {value!r}")


def _object(value: JsonValue) -> JsonMapping:
    if isinstance(value, Mapping):
        return value
    raise TypeError(f"not an object: {value!r}")


def _text(value: JsonValue) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"not a string: {value!r}")


def _array(value: JsonValue) -> JsonSequence:
    if isinstance(value, list):
        return value
    raise TypeError(f"not a list: {value!r}")


def parse_price_list(region: str, products: Iterable[str | JsonMapping], *, today: str) -> dict[str, Prices]:
    """Architecture -> Prices from the Price List API's `GetProducts` answer (one JSON document per product).
    An architecture with a price missing is left out: a missing price is never guessed."""
    found: dict[tuple[str, str], list[PricePoint]] = {}
    for raw in products:
        parsed: JsonValue = json.loads(raw) if isinstance(raw, str) else raw
        product = _object_or_empty(parsed)
        key = _ours(_object_or_empty(_object_or_empty(product.get("product")).get("attributes")), region)
        if key is None:
            continue
        for term in _object_or_empty(_object_or_empty(product.get("terms")).get("OnDemand")).values():
            for entry in _object_or_empty(_object_or_empty(term).get("priceDimensions")).values():
                dimension = _object_or_empty(entry)
                usd = _object_or_empty(dimension.get("pricePerUnit")).get("USD")
                if usd is None:
                    continue
                begin = _number(dimension.get("beginRange") or 0)
                end_text = dimension.get("endRange")
                end = None if end_text in (None, "", "Inf") else _number(end_text)
                found.setdefault(key, []).append((begin, end, _number(usd)))
    prices: dict[str, Prices] = {}
    names = sorted({name for name, _ in PRODUCTS})
    for architecture in ARCHITECTURES:
        parts = {name: found.get((name, architecture)) for name in names}
        if any(not value for value in parts.values()):
            continue

        def first(name: str, parts: dict[str, list[PricePoint] | None] = parts) -> float:
            return sorted(parts[name] or [])[0][2]

        tiers = tuple(Tier(end, price) for _begin, end, price in sorted(parts["duration"] or []))
        prices[architecture] = Prices(
            region=region,
            architecture=architecture,
            request=first("request"),
            duration=tiers,
            ephemeral=first("ephemeral"),
            provisioned=first("provisioned"),
            provisioned_duration=first("provisioned_duration"),
            source="price-list-api",
            as_of=today,
        )
    return prices


@dataclass
class PriceBook:
    """Prices for a region and architecture: cached API answers, else the built-in table (us-east-1 only).

    `fetch(region)` returns the Price List API's products for AWSLambda in that region, or raises FnError."""

    fetch: Callable[[str], list[str]] | None
    cache_dir: Path | None
    clock: Callable[[], float] = time.time
    _memo: dict[str, dict[str, Prices] | str] = field(default_factory=dict)

    def prices(self, region: str, architecture: str) -> Prices | None:
        """None when no price is known for the region (the API did not answer and it is not us-east-1); see
        `problem(region)` for why."""
        table = self._table(region)
        if isinstance(table, dict) and architecture in table:
            return table[architecture]
        reason = table if isinstance(table, str) else f"it has no {architecture} prices for {region}"
        if region == BUILT_IN_REGION:
            return built_in(architecture, reason=reason)
        return None

    def problem(self, region: str) -> str | None:
        table = self._table(region)
        if isinstance(table, str):
            return f"no Lambda prices for {region}: the Price List API could not be read ({table})"
        return None

    def _table(self, region: str) -> dict[str, Prices] | str:
        if region not in self._memo:
            self._memo[region] = self._load(region)
        return self._memo[region]

    def _cache_file(self, region: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / "prices" / f"lambda-{region}.json"

    def _load(self, region: str) -> dict[str, Prices] | str:
        cached = self._read_cache(region)
        if cached is not None:
            return cached
        if self.fetch is None:
            return "not asked"
        try:
            products = self.fetch(region)
        except FnError as exc:
            return exc.message.splitlines()[0]
        today = time.strftime("%Y-%m-%d", time.gmtime(self.clock()))
        table = parse_price_list(region, products, today=today)
        if not table:
            return "it answered without Lambda prices for the region"
        self._write_cache(region, table)
        return table

    def _read_cache(self, region: str) -> dict[str, Prices] | None:
        path = self._cache_file(region)
        if path is None or not path.is_file():
            return None
        try:
            data: JsonValue = json.loads(path.read_text())
            cache = _object(data)
            if self.clock() - _number(cache["fetched_at"]) >= CACHE_TTL_S:
                return None
            return {arch: _prices_from(_object(entry)) for arch, entry in _object(cache["prices"]).items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None  # a damaged cache (cut short, overwritten, nested past the parser) is read again from the API

    def _write_cache(self, region: str, table: Mapping[str, Prices]) -> None:
        from fnship.paths import write_text_atomic

        path = self._cache_file(region)
        if path is None:
            return
        document = {"fetched_at": self.clock(), "prices": {arch: p.to_dict() for arch, p in table.items()}}
        with contextlib.suppress(OSError):  # an unwritable cache only costs another API call next time
            write_text_atomic(path, json.dumps(document, sort_keys=True))


def _prices_from(entry: JsonMapping) -> Prices:
    """Prices as `Prices.to_dict` wrote them to the cache (a damaged entry raises: it is read again from the API)."""
    tiers = tuple(_tier_from(_object(tier)) for tier in _array(entry["duration"]))
    return Prices(
        region=_text(entry["region"]),
        architecture=_text(entry["architecture"]),
        request=_number(entry["request"]),
        duration=tiers,
        ephemeral=_number(entry["ephemeral"]),
        provisioned=_number(entry["provisioned"]),
        provisioned_duration=_number(entry["provisioned_duration"]),
        source=_text(entry["source"]),
        as_of=_text(entry["as_of"]),
        notes=tuple(_text(note) for note in _array(entry.get("notes") or [])),
    )


def _tier_from(tier: JsonMapping) -> Tier:
    up_to = tier["up_to_gb_s"]
    return Tier(None if up_to is None else _number(up_to), _number(tier["price"]))
