"""rate() and cron() expressions, checked with EventBridge's rules before any call (the moto server accepts
anything). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html"""

from __future__ import annotations

import pytest

from fnship.manifest.schedule import check_expression

VALID = [
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(12 hours)",
    "rate(1 day)",
    "rate(7 days)",
    "cron(0 12 * * ? *)",
    "cron(15 10 ? * 6L 2022-2023)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0/10 * ? * MON-FRI *)",
    "cron(5,35 14 * * ? *)",
    "cron(0 9 ? * 2#1 *)",
    "cron(0 0 L * ? *)",
    "cron(0 0 15W * ? *)",
    "cron(0 0 ? JAN,JUL 1 *)",
]

INVALID = [
    ("rate(0 minutes)", "positive whole number"),
    ("rate(5 minute)", "plural unit"),
    ("rate(1 minutes)", "singular unit"),
    ("rate(2 weeks)", "minute(s), hour(s) or day(s)"),
    ("rate(five minutes)", "positive whole number"),
    ("rate(5minutes)", "rate(<value> <unit>)"),
    ("cron(0 12 * * *)", "has 6 fields"),
    ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week"),
    ("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week"),
    ("cron(60 12 * * ? *)", "not a valid minutes field"),
    ("cron(0 24 * * ? *)", "not a valid hours field"),
    ("cron(0 12 32 * ? *)", "not a valid day-of-month field"),
    ("cron(0 12 * 13 ? *)", "not a valid month field"),
    ("cron(0 12 ? * 8 *)", "not a valid day-of-week field"),
    ("cron(0 12 * * ? 1969)", "not a valid year field"),
    ("cron(? 12 * * ? *)", "'?' is only allowed"),
    ("cron(0/0 12 * * ? *)", "not a valid minutes field"),
    ("every 5 minutes", "must be rate"),
]


@pytest.mark.parametrize("expression", VALID)
def test_valid(expression):
    assert check_expression(expression) is None


@pytest.mark.parametrize(("expression", "problem"), INVALID)
def test_invalid(expression, problem):
    found = check_expression(expression)
    assert found is not None and problem in found, found
