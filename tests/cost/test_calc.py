"""Cost arithmetic against the worked examples of the AWS Lambda pricing page, https://aws.amazon.com/lambda/pricing/
(US East (N. Virginia) prices), and the rules it states: monthly duration tiers per architecture, ephemeral
storage above 512 MB, provisioned concurrency, INIT billed since August 2025, the free tier per account."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fnship.cost import calc
from fnship.cost.prices import Prices, Tier, built_in


def us_east_1(architecture: str = "x86_64") -> Prices:
    return built_in(architecture, reason="test")


def usage(**kwargs) -> calc.Usage:
    base = {"function": "api", "name": "svc-dev-api", "region": "us-east-1", "architecture": "x86_64",
            "memory_mb": 128, "invocations": 0.0, "duration_ms": 0.0}  # fmt: skip
    return calc.Usage(**{**base, **kwargs})


def one(u: calc.Usage, prices: Prices, *, free_tier: bool = True) -> calc.Estimate:
    return calc.estimate([u], lambda region, arch: prices, free_tier=free_tier)


def test_mobile_backend_example_on_arm():
    """Pricing page, "Mobile application backend": 3 M requests a month, 120 ms each, 1,536 MB on Arm:
    540,000 GB-s x $0.0000133334 = $7.20, requests 3 M x $0.20/M = $0.60, total $7.80 (the example leaves the
    free tier out)."""
    estimate = one(usage(architecture="arm64", memory_mb=1536, invocations=3e6, duration_ms=120), us_east_1("arm64"),
                   free_tier=False)  # fmt: skip
    (cost,) = estimate.functions
    assert cost.gb_s == pytest.approx(540_000)
    assert round(cost.duration, 2) == 7.20
    assert round(cost.requests, 2) == 0.60
    assert round(estimate.total, 2) == 7.80


# The page's older examples price duration at $0.00001667 per GB-s and subtract the free tier.
OLD_PAGE = replace(us_east_1(), duration=(Tier(None, 0.00001667),))


def test_example_512_mb_3_million_one_second_with_free_tier():
    """512 MB, 3 M invocations of 1 s: 1,500,000 GB-s - 400,000 free = 1,100,000 x $0.00001667 = $18.34;
    requests (3 M - 1 M free) x $0.20/M = $0.40; total $18.74 a month."""
    estimate = one(usage(memory_mb=512, invocations=3e6, duration_ms=1000), OLD_PAGE)
    (cost,) = estimate.functions
    assert round(cost.duration - estimate.free_gb_s * 0.00001667, 2) == 18.34
    assert round(cost.requests - estimate.free_requests * 0.0000002, 2) == 0.40
    assert round(estimate.total_after_free_tier, 2) == 18.74


def test_example_128_mb_30_million_200_ms_with_free_tier():
    """128 MB, 30 M invocations of 200 ms: 750,000 GB-s - 400,000 free = 350,000 x $0.00001667 = $5.83;
    requests 29 M x $0.20/M = $5.80; total $11.63 a month."""
    estimate = one(usage(memory_mb=128, invocations=30e6, duration_ms=200), OLD_PAGE)
    assert estimate.free_gb_s == 400_000 and estimate.free_requests == 1_000_000
    assert round(estimate.total_after_free_tier, 2) == 11.63


def test_the_free_tier_is_shared_by_the_account_not_given_to_each_function():
    prices = us_east_1()
    two = [usage(function="a", invocations=800_000, duration_ms=100), usage(function="b", invocations=800_000,
           duration_ms=100)]  # fmt: skip
    estimate = calc.estimate(two, lambda r, a: prices)
    assert estimate.free_requests == 1_000_000  # not 2 x 800,000
    assert estimate.total_after_free_tier == pytest.approx(estimate.total - estimate.free_value)


def test_duration_tiers_apply_per_architecture():
    """x86: first 6 B GB-s at $0.0000166667, next 9 B at $0.000015, over 15 B at $0.0000133334."""
    tiers = us_east_1().duration
    assert calc.tiered(7e9, tiers) == pytest.approx(6e9 * 0.0000166667 + 1e9 * 0.000015)
    assert calc.tiered(16e9, tiers) == pytest.approx(6e9 * 0.0000166667 + 9e9 * 0.000015 + 1e9 * 0.0000133334)
    arm = us_east_1("arm64").duration  # first 7.5 B GB-s at $0.0000133334
    assert calc.tiered(7e9, arm) == pytest.approx(7e9 * 0.0000133334)


def test_ephemeral_storage_is_billed_above_512_mb_only():
    prices = us_east_1()
    base = usage(memory_mb=1024, invocations=1e6, duration_ms=1000)
    assert one(base, prices).functions[0].ephemeral == 0
    # 10,240 MB: 9,728 MB above the free 512 MB = 9.5 GB x 1,000,000 s x $0.0000000309
    big = one(replace(base, ephemeral_mb=10240), prices).functions[0]
    assert big.ephemeral == pytest.approx(9.5 * 1e6 * 0.0000000309)


def test_provisioned_concurrency_configured_and_the_duration_it_serves():
    prices = us_east_1()
    u = usage(memory_mb=1024, invocations=1e6, duration_ms=100, provisioned=10, provisioned_invocations=600_000)
    cost = one(u, prices).functions[0]
    assert cost.provisioned == pytest.approx(10 * 1.0 * calc.MONTH_S * 0.0000041667)
    assert cost.provisioned_duration == pytest.approx(600_000 * 0.1 * 1.0 * 0.0000097222)
    assert cost.duration == pytest.approx(400_000 * 0.1 * 1.0 * 0.0000166667)  # only the on-demand part


def test_init_duration_is_billed_like_duration():
    prices = us_east_1()
    cost = one(usage(memory_mb=2048, invocations=1e6, duration_ms=100, init_ms=10_000 * 500), prices).functions[0]
    assert cost.init == pytest.approx(10_000 * 0.5 * 2.0 * 0.0000166667)


def test_a_region_without_prices_is_not_priced():
    estimate = calc.estimate([usage(region="eu-west-1", invocations=1e6, duration_ms=10)], lambda r, a: None)
    assert estimate.functions[0].total is None and estimate.total == 0
    assert estimate.to_dict()["unknown"] == ["api"]
    assert "eu-west-1" in estimate.notes[0]


def test_cost_of_one_invocation():
    prices = us_east_1()
    assert calc.per_invocation(prices=prices, memory_mb=512, billed_ms=100) == pytest.approx(
        0.0000002 + 0.1 * 0.5 * 0.0000166667
    )
