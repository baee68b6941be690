"""Strategy string in, weights and waits out (CodeDeploy's predefined Lambda configurations and custom ones)."""

from __future__ import annotations

import pytest

from fnship.manifest.strategy import ShiftStep, StrategyError, parse_strategy, schedule, total_wait

LINEAR_10 = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


@pytest.mark.parametrize(
    ("strategy", "weights", "wait"),
    [
        ("AllAtOnce", [1.0], 0),
        ("Canary10Percent5Minutes", [0.1, 1.0], 300),
        ("Canary10Percent10Minutes", [0.1, 1.0], 600),
        ("Canary10Percent15Minutes", [0.1, 1.0], 900),
        ("Canary10Percent30Minutes", [0.1, 1.0], 1800),
        ("Linear10PercentEvery1Minute", [*LINEAR_10, 1.0], 60),
        ("Linear10PercentEvery2Minutes", [*LINEAR_10, 1.0], 120),
        ("Linear10PercentEvery3Minutes", [*LINEAR_10, 1.0], 180),
        ("Linear10PercentEvery10Minutes", [*LINEAR_10, 1.0], 600),
        ("canary 25% 90s", [0.25, 1.0], 90),
        ("Canary 5% 2m", [0.05, 1.0], 120),
        ("canary 50%  1h", [0.5, 1.0], 3600),
        ("linear 20% every 30s", [0.2, 0.4, 0.6, 0.8, 1.0], 30),
        ("linear 30% every 1m", [0.3, 0.6, 0.9, 1.0], 60),
        ("linear 50% every 45", [0.5, 1.0], 45),
    ],
)
def test_schedules(strategy, weights, wait):
    steps = schedule(parse_strategy(strategy))
    assert [pytest.approx(s.weight) for s in steps] == weights
    # every step bakes for the interval except the last, which is 100% and needs no wait
    assert [s.wait for s in steps] == [wait] * (len(weights) - 1) + [0]
    assert steps[-1] == ShiftStep(1.0, 0)


def test_total_wait_of_linear_is_nine_intervals():
    assert total_wait(parse_strategy("Linear10PercentEvery1Minute")) == 540


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Canary99Percent1Minute", "unknown strategy"),
        ("canary 0% 5m", "between 1 and 99"),
        ("canary 100% 5m", "between 1 and 99"),
        ("linear 10% every 0s", "more than 0 s"),
        ("linear 10% every 2d", "unknown strategy"),
        ("canary 10%", "unknown strategy"),
        ("", "unknown strategy"),
    ],
)
def test_bad_strategies(text, message):
    with pytest.raises(StrategyError, match=message):
        parse_strategy(text)


def test_describe():
    assert parse_strategy("Canary10Percent5Minutes").describe() == "10% for 5m, then 100%"
    assert parse_strategy("linear 20% every 90s").describe() == "+20% every 1m30s to 100%"
    assert parse_strategy("AllAtOnce").describe() == "all at once"
