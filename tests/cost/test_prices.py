"""Prices: the Price List API's answer parsed, cached for a day, and the built-in us-east-1 table when the API
cannot be reached (the moto server answers 500 for `pricing`, as TESTING.md notes) — never an invented price."""

from __future__ import annotations

import json

import pytest

from fnship.cost.prices import BUILT_IN_DATE, CACHE_TTL_S, PriceBook, parse_price_list
from fnship.errors import FnError


def product(group: str, dimensions: list[tuple[str, str | None, str]], *, region: str = "eu-west-1") -> str:
    """One product as GetProducts returns it (FormatVersion aws_v1):
    https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/price-list-query-api-get-products.html"""
    price_dimensions = {
        f"SKU.TERM.{i}": {"beginRange": begin, "endRange": end or "Inf", "unit": "Lambda-GB-Second",
                          "pricePerUnit": {"USD": usd}}
        for i, (begin, end, usd) in enumerate(dimensions)
    }  # fmt: skip
    return json.dumps(
        {
            "product": {"productFamily": "Serverless", "attributes": {"regionCode": region, "group": group}},
            "terms": {"OnDemand": {"SKU.TERM": {"priceDimensions": price_dimensions}}},
        }
    )


def eu_west_1_products() -> list[str]:
    x86 = [
        product("AWS-Lambda-Requests", [("0", None, "0.0000002000")]),
        product(
            "AWS-Lambda-Duration",
            [
                ("0", "6000000000", "0.0000166667"),
                ("6000000000", "15000000000", "0.0000150000"),
                ("15000000000", None, "0.0000133334"),
            ],
        ),  # fmt: skip
        product("AWS-Lambda-Storage-Duration", [("0", None, "0.0000000340")]),
        product("AWS-Lambda-Provisioned-Concurrency", [("0", None, "0.0000041667")]),
        product("AWS-Lambda-Duration-Provisioned", [("0", None, "0.0000097222")]),
        product("AWS-Lambda-Edge-Duration", [("0", None, "0.00005001")]),  # Lambda@Edge: not ours
    ]
    return x86


def test_the_price_list_is_parsed_per_architecture_with_its_tiers():
    table = parse_price_list("eu-west-1", eu_west_1_products(), today="2026-12-04")
    assert set(table) == {"x86_64"}  # no Arm products given: no Arm price is made up
    prices = table["x86_64"]
    assert prices.request == 0.0000002 and prices.ephemeral == 0.000000034
    assert [(t.up_to, t.price) for t in prices.duration] == [
        (6e9, 0.0000166667), (15e9, 0.000015), (None, 0.0000133334)]  # fmt: skip
    assert prices.source == "price-list-api" and prices.as_of == "2026-12-04"


def test_prices_are_cached_for_a_day(tmp_path):
    calls = []
    now = [1_000_000.0]

    def fetch(region):
        calls.append(region)
        return eu_west_1_products()

    def book():
        return PriceBook(fetch=fetch, cache_dir=tmp_path, clock=lambda: now[0])

    assert book().prices("eu-west-1", "x86_64").request == 0.0000002
    assert book().prices("eu-west-1", "x86_64") is not None
    assert calls == ["eu-west-1"]  # the second book read the cache
    now[0] += CACHE_TTL_S
    book().prices("eu-west-1", "x86_64")
    assert calls == ["eu-west-1", "eu-west-1"]


def test_an_unreachable_api_falls_back_to_the_built_in_us_east_1_table_and_says_so(tmp_path):
    def fetch(region):
        raise FnError("GetProducts failed: AccessDeniedException")

    book = PriceBook(fetch=fetch, cache_dir=tmp_path)
    prices = book.prices("us-east-1", "arm64")
    assert prices.source == "built-in" and prices.as_of == BUILT_IN_DATE
    assert "AccessDeniedException" in prices.notes[0] and BUILT_IN_DATE in prices.notes[0]
    assert book.prices("eu-west-1", "x86_64") is None  # no price invented for another region
    assert "eu-west-1" in book.problem("eu-west-1")
    assert not (tmp_path / "prices").exists()  # a fallback is not cached: the next run asks again


@pytest.mark.usefixtures("moto")
def test_the_emulator_answers_500_for_pricing_and_the_built_in_table_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_PRICING")
    from fnship.aws import Aws, Target

    aws = Aws(Target(region="us-east-1"))
    book = PriceBook(fetch=aws.pricing.lambda_products, cache_dir=tmp_path)
    prices = book.prices("us-east-1", "x86_64")
    assert prices is not None and prices.source == "built-in"
    assert "GetProducts" in prices.notes[0]
