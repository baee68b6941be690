"""EventBridge `rate(...)` and `cron(...)` expressions, checked with AWS's own rules before any call. Pure.

https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
(AWS accepts a bad expression only to fail the deploy; the moto server accepts anything, so this is our check.)
"""

from __future__ import annotations

import re

RATE = re.compile(r"^rate\((?P<value>[^ )]+) (?P<unit>[a-z]+)\)$")
CRON = re.compile(r"^cron\((?P<fields>[^)]*)\)$")
RATE_UNITS = ("minute", "hour", "day")

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

# name, lowest, highest, names for the values (1-based), special characters allowed beyond `, - * /`
CRON_FIELDS = (
    ("minutes", 0, 59, (), ""),
    ("hours", 0, 23, (), ""),
    ("day-of-month", 1, 31, (), "?LW"),
    ("month", 1, 12, MONTHS, ""),
    ("day-of-week", 1, 7, DAYS, "?L#"),
    ("year", 1970, 2199, (), ""),
)


def check_expression(text: str) -> str | None:
    """None when `text` is a valid rate() or cron() expression, else what is wrong with it."""
    if text.startswith("rate("):
        return _check_rate(text)
    if text.startswith("cron("):
        return _check_cron(text)
    return "must be rate(<value> <unit>) or cron(<6 fields>)"


def _check_rate(text: str) -> str | None:
    match = RATE.match(text)
    if not match:
        return "a rate expression is rate(<value> <unit>), like rate(5 minutes) or rate(1 hour)"
    value, unit = match["value"], match["unit"]
    if not value.isdigit() or int(value) < 1:
        return f"the rate value {value!r} must be a positive whole number"
    singular = unit.rstrip("s")
    if singular not in RATE_UNITS:
        return f"the rate unit {unit!r} must be minute(s), hour(s) or day(s)"
    if int(value) == 1 and unit != singular:
        return f"a rate of 1 takes the singular unit: rate(1 {singular})"
    if int(value) > 1 and unit == singular:
        return f"a rate above 1 takes the plural unit: rate({value} {singular}s)"
    return None


def _check_cron(text: str) -> str | None:
    match = CRON.match(text)
    if not match:
        return "a cron expression is cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)"
    fields = match["fields"].split()
    if len(fields) != 6:
        return (
            f"a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), "
            f"this one has {len(fields)}"
        )
    for value, spec in zip(fields, CRON_FIELDS, strict=True):
        problem = _check_field(value, *spec)
        if problem:
            return problem
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return "exactly one of day-of-month and day-of-week must be '?' (AWS cannot combine them)"
    return None


def _check_field(value: str, name: str, low: int, high: int, names: tuple[str, ...], special: str) -> str | None:
    bad = f"{value!r} is not a valid {name} field ({low}-{high}"
    bad += f" or {names[0]}-{names[-1]}" if names else ""
    bad += ", with , - * /" + (" " + " ".join(special) if special else "") + ")"
    if value == "?":
        return None if "?" in special else f"'?' is only allowed in day-of-month or day-of-week, not {name}"
    for item in value.split(","):
        if not _item_ok(item, low, high, names, special):
            return bad
    return None


def _item_ok(item: str, low: int, high: int, names: tuple[str, ...], special: str) -> bool:
    def number(text: str) -> bool:
        if text.upper() in names:
            return True
        return text.isdigit() and low <= int(text) <= high

    if "L" in special and (item == "L" or (item.endswith("L") and number(item[:-1]))):
        return True
    if "W" in special and (item == "LW" or (item.endswith("W") and number(item[:-1]))):
        return True
    if "#" in special and "#" in item:
        day, _, nth = item.partition("#")
        return number(day) and nth.isdigit() and 1 <= int(nth) <= 5
    base, slash, step = item.partition("/")
    if slash and not (step.isdigit() and int(step) >= 1):
        return False
    if base == "*":
        return True
    start, dash, end = base.partition("-")
    if dash:
        return number(start) and number(end)
    return number(base)


AT = re.compile(r"^at\((?P<when>[^)]*)\)$")
AT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def check_scheduler_expression(text: str) -> str | None:
    """None when `text` is a valid EventBridge Scheduler expression: rate(), cron(), or a one-time
    at(yyyy-mm-ddThh:mm:ss), in the schedule's time zone.
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html"""
    if text.startswith("at("):
        match = AT.match(text)
        when = match["when"] if match else ""
        if not AT_TIME.match(when):
            return "a one-time schedule is at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-06-01T09:00:00)"
        import datetime as dt

        try:
            dt.datetime.fromisoformat(when)
        except ValueError:
            return f"{when} is not a date and time"
        return None
    problem = check_expression(text)
    return "must be rate(<value> <unit>), cron(<6 fields>) or at(yyyy-mm-ddThh:mm:ss)" if problem and not \
        text.startswith(("rate(", "cron(")) else problem  # fmt: skip
