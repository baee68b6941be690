"""Prices: the Price List API's answer parsed, cached for a day, and the built-in us-east-1 table when the API
cannot be reached (the moto server answers 500 for `pricing`, as TESTING.md notes) — never an invented price."""

from __future__ import annotations

import json

import pytest

from fnship.cost.prices import BUILT_IN_DATE, CACHE_TTL_S, PriceBook, parse_price_list
from fnship.errors import FnError


def product(
    group: str,
    usagetype: str,
    unit: str,
    dimensions: list[tuple[str, str | None, str]],
    *,
    region: str | None = "eu-west-1",
    location: str = "EU (Ireland)",
    description: str = "AWS Lambda",
) -> str:
    """One AWSLambda product as GetProducts returns it (FormatVersion aws_v1), in the real Price List's shape and
    attribute values: `group` plus a region-prefixed `usagetype` (`EU-` in eu-west-1), `regionCode`, `location`;
    the free tier's products have location `Any` and no regionCode. (Shape and values as in real answers kept by
    public tools: Infracost's Lambda pricing filters, AWS SAM CLI's `sam check` tests.)
    https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/price-list-query-api-get-products.html"""
    sku = f"SKU{abs(hash((group, usagetype, region))) % 10**12:012d}"
    term = f"{sku}.JRTCKXETXF"
    price_dimensions = {
        f"{term}.{i}": {"unit": unit, "endRange": end or "Inf", "description": f"{description} - {location}",
                        "appliesTo": [], "rateCode": f"{term}.{i}", "beginRange": begin,
                        "pricePerUnit": {"USD": usd}}
        for i, (begin, end, usd) in enumerate(dimensions)
    }  # fmt: skip
    attributes = {"servicecode": "AWSLambda", "groupDescription": description, "usagetype": usagetype,
                  "locationType": "AWS Region", "location": location, "servicename": "AWS Lambda",
                  "operation": "", "group": group}  # fmt: skip
    if region is not None:
        attributes["regionCode"] = region
    return json.dumps(
        {
            "product": {"productFamily": "Serverless", "attributes": attributes, "sku": sku},
            "serviceCode": "AWSLambda",
            "terms": {
                "OnDemand": {
                    term: {
                        "priceDimensions": price_dimensions,
                        "sku": sku,
                        "effectiveDate": "2026-11-01T00:00:00Z",
                        "offerTermCode": "JRTCKXETXF",
                        "termAttributes": {},
                    }
                }
            },  # fmt: skip
            "version": "20261101000000",
            "publicationDate": "2026-11-01T00:00:00Z",
        }
    )


def eu_west_1_products() -> list[str]:
    gb_s = "Lambda-GB-Second"
    return [
        product("AWS-Lambda-Requests", "EU-Request", "Requests", [("0", None, "0.0000002000")]),
        product(
            "AWS-Lambda-Duration",
            "EU-Lambda-GB-Second",
            gb_s,
            [
                ("0", "6000000000", "0.0000166667"),
                ("6000000000", "15000000000", "0.0000150000"),
                ("15000000000", None, "0.0000133334"),
            ],
        ),  # fmt: skip
        product(
            "AWS-Lambda-Storage-Duration", "EU-Lambda-Storage-GB-Second", "GB-Seconds", [("0", None, "0.0000000340")]
        ),  # fmt: skip
        product(
            "AWS-Lambda-Provisioned-Concurrency",
            "EU-Lambda-Provisioned-Concurrency",
            gb_s,
            [("0", None, "0.0000041667")],
        ),  # fmt: skip
        product(
            "AWS-Lambda-Duration-Provisioned", "EU-Lambda-Provisioned-GB-Second", gb_s, [("0", None, "0.0000097222")]
        ),  # fmt: skip
        # Not ours: Lambda@Edge, the free tier (same groups, location Any, no regionCode), another region.
        product("AWS-Lambda-Edge-Duration", "EU-Lambda-Edge-GB-Second", gb_s, [("0", None, "0.00005001")]),
        product("AWS-Lambda-Edge-Requests", "EU-Lambda-Edge-Request", "Requests", [("0", None, "0.0000006")]),
        product(
            "AWS-Lambda-Requests",
            "Global-Request",
            "Requests",
            [("0", "1000000", "0.0000000000")],
            region=None,
            location="Any",
        ),  # fmt: skip
        product(
            "AWS-Lambda-Duration",
            "Global-Lambda-GB-Second",
            gb_s,
            [("0", "400000", "0.0000000000")],
            region=None,
            location="Any",
        ),  # fmt: skip
        product(
            "AWS-Lambda-Requests",
            "EUW2-Request",
            "Requests",
            [("0", None, "0.0000009999")],
            region="eu-west-2",
            location="EU (London)",
        ),  # fmt: skip
    ]


def test_the_price_list_is_parsed_per_architecture_with_its_tiers():
    table = parse_price_list("eu-west-1", eu_west_1_products(), today="2026-12-04")
    assert set(table) == {"x86_64"}  # no Arm products given: no Arm price is made up
    prices = table["x86_64"]
    # Not the free tier's zero prices, not Lambda@Edge's, not London's.
    assert prices.request == 0.0000002 and prices.ephemeral == 0.000000034
    assert [(t.up_to, t.price) for t in prices.duration] == [
        (6e9, 0.0000166667), (15e9, 0.000015), (None, 0.0000133334)]  # fmt: skip
    assert prices.provisioned == 0.0000041667 and prices.provisioned_duration == 0.0000097222
    assert prices.source == "price-list-api" and prices.as_of == "2026-12-04"


def test_us_east_1_usage_types_have_no_region_prefix_and_arm_its_own_groups():
    gb_s = "Lambda-GB-Second"
    arm = [
        product("AWS-Lambda-Requests-ARM", "Request-ARM", "Requests", [("0", None, "0.0000002000")],
                region="us-east-1", location="US East (N. Virginia)"),  # fmt: skip
        product("AWS-Lambda-Duration-ARM", "Lambda-GB-Second-ARM", gb_s,
                [("0", "7500000000", "0.0000133334"), ("7500000000", "18750000000", "0.0000120001"),
                 ("18750000000", None, "0.0000106667")], region="us-east-1", location="US East (N. Virginia)"),
        product("AWS-Lambda-Storage-Duration-ARM", "Lambda-Storage-GB-Second-ARM", "GB-Seconds",
                [("0", None, "0.0000000309")], region="us-east-1", location="US East (N. Virginia)"),
        product("AWS-Lambda-Provisioned-Concurrency-ARM", "Lambda-Provisioned-Concurrency-ARM", gb_s,
                [("0", None, "0.0000033334")], region="us-east-1", location="US East (N. Virginia)"),
        product("AWS-Lambda-Duration-Provisioned-ARM", "Lambda-Provisioned-GB-Second-ARM", gb_s,
                [("0", None, "0.0000077778")], region="us-east-1", location="US East (N. Virginia)"),
    ]  # fmt: skip
    table = parse_price_list("us-east-1", arm, today="2026-12-04")
    assert set(table) == {"arm64"}
    assert table["arm64"].duration[0].price == 0.0000133334 and table["arm64"].provisioned == 0.0000033334
    # A usage type that is not the group's (here the x86 name in an Arm group) is not taken for it.
    wrong = [arm[0].replace('"Request-ARM"', '"Request"'), *arm[1:]]
    assert parse_price_list("us-east-1", wrong, today="2026-12-04") == {}


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
