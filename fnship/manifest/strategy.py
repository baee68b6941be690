"""Traffic-shifting strategies: a strategy string -> the steps (weight of the new version, wait after it).

Pure: no AWS, no clock. The named strategies are CodeDeploy's predefined Lambda deployment configurations
(what SAM's `DeploymentPreference.Type` and the canary plugin's `deploymentSettings.type` accept):
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html#deployment-configuration-lambda
Custom ones read `canary 25% 90s` and `linear 20% every 30s` (units s, m, h; a bare number is seconds).
"""

from __future__ import annotations

import re

from fnship.frozen import frozen

ALL_AT_ONCE = "AllAtOnce"


@frozen
class ShiftStep:
    weight: float  # share of traffic on the new version, 0 < weight <= 1
    wait: float  # seconds to bake (and watch alarms) after setting this weight


@frozen
class Strategy:
    kind: str  # "all" | "canary" | "linear"
    percent: int = 100  # canary: first share; linear: the increment
    interval: float = 0  # seconds

    @property
    def steps(self) -> list[ShiftStep]:
        return schedule(self)

    def describe(self) -> str:
        if self.kind == "all":
            return "all at once"
        if self.kind == "canary":
            return f"{self.percent}% for {duration_text(self.interval)}, then 100%"
        return f"+{self.percent}% every {duration_text(self.interval)} to 100%"


# name -> (kind, percent, minutes)
NAMED: dict[str, tuple[str, int, int]] = {
    "Canary10Percent5Minutes": ("canary", 10, 5),
    "Canary10Percent10Minutes": ("canary", 10, 10),
    "Canary10Percent15Minutes": ("canary", 10, 15),
    "Canary10Percent30Minutes": ("canary", 10, 30),
    "Linear10PercentEvery1Minute": ("linear", 10, 1),
    "Linear10PercentEvery2Minutes": ("linear", 10, 2),
    "Linear10PercentEvery3Minutes": ("linear", 10, 3),
    "Linear10PercentEvery10Minutes": ("linear", 10, 10),
}
NAMES = (ALL_AT_ONCE, *NAMED)

_UNITS = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
_DURATION = r"(\d+(?:\.\d+)?)\s*(s|sec|min|m|h)?"
_CANARY = re.compile(rf"^canary\s+(\d+)\s*%\s+{_DURATION}$", re.IGNORECASE)
_LINEAR = re.compile(rf"^linear\s+(\d+)\s*%\s+every\s+{_DURATION}$", re.IGNORECASE)
MAX_INTERVAL_S = 24 * 3600


class StrategyError(ValueError):
    """A strategy string we cannot read; the message says what is accepted."""


def parse_strategy(text: str) -> Strategy:
    text = " ".join(str(text).split())
    if text.lower() in ("allatonce", "all-at-once", "all at once"):
        return Strategy("all")
    if text in NAMED:
        kind, percent, minutes = NAMED[text]
        return Strategy(kind, percent, minutes * 60)
    for kind, pattern in (("canary", _CANARY), ("linear", _LINEAR)):
        match = pattern.match(text)
        if match:
            percent = int(match.group(1))
            seconds = float(match.group(2)) * _UNITS[(match.group(3) or "").lower()]
            if not 1 <= percent <= 99:
                raise StrategyError(f"'{text}': the percentage must be between 1 and 99")
            if not 0 < seconds <= MAX_INTERVAL_S:
                raise StrategyError(f"'{text}': the interval must be more than 0 s and at most 24 h")
            return Strategy(kind, percent, seconds)
    raise StrategyError(
        f"unknown strategy '{text}'; use one of {', '.join(NAMES)}, or 'canary 25% 90s', 'linear 20% every 30s'"
    )


def schedule(strategy: Strategy) -> list[ShiftStep]:
    """The weights the alias goes through, each followed by its wait; always ends at 1.0 with no wait."""
    if strategy.kind == "all":
        return [ShiftStep(1.0, 0)]
    if strategy.kind == "canary":
        return [ShiftStep(strategy.percent / 100, strategy.interval), ShiftStep(1.0, 0)]
    steps = []
    percent = strategy.percent
    while percent < 100:
        steps.append(ShiftStep(percent / 100, strategy.interval))
        percent += strategy.percent
    return [*steps, ShiftStep(1.0, 0)]


def total_wait(strategy: Strategy) -> float:
    return sum(step.wait for step in schedule(strategy))


def duration_text(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds // 60}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"
