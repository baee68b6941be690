"""Lambda runtimes: which identifiers exist, which family each belongs to, and where each stands in AWS's
deprecation schedule. Pure apart from the catalogue itself, which is botocore's Lambda service model (its
`Runtime` enum, read once, lazily: see fnship/aws/service_models.py), so a boto3 upgrade brings new runtimes
without a change here.

fnship keeps only the dated table AWS publishes and the model does not carry: when Lambda blocks creating, then
updating, functions on an old runtime, and its successor.
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html#runtimes-deprecated (dates as published; the
older ones as cfn-lint's LmbdRuntimeLifecycle.json recorded them). A date AWS had not announced is None. The block
dates of python3.9, python3.10 and dotnet8 (2027-02-01 create, 2027-03-03 update; python3.9's after AWS moved them
from January and February 2026) are the page's as AWS Health's notices and re:Post quote it (the stored copies of
the page itself stop before its tables), nodejs18.x's and dotnet6's (the same dates) as cfn-lint recorded the page
(see their rows); ruby3.2's copies disagree (the English Ruby page: blocks on 2026-08-31 and 2026-09-30; its
translations: 2026-04-30/05-31 and 2026-06-01/07-01; cfn-lint 1.58: 2027-02-01/03-03), so it warns from its
deprecation date until one date is settled here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Sequence

from fnship.frozen import frozen

# Within this many days of the block-create date, a runtime is a warning.
WARN_DAYS = 90


@frozen
class Deprecation:
    deprecated: dt.date
    block_create: dt.date | None
    block_update: dt.date | None
    successor: str


def _d(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _row(deprecated: str, block_create: str | None, block_update: str | None, successor: str) -> Deprecation:
    return Deprecation(dt.date.fromisoformat(deprecated), _d(block_create), _d(block_update), successor)


# runtime -> (deprecated, block create, block update, successor)
DEPRECATIONS: dict[str, Deprecation] = {
    "nodejs": _row("2016-10-31", "2016-10-31", "2016-10-31", "nodejs24.x"),
    "nodejs4.3": _row("2020-03-05", "2020-03-05", "2020-03-05", "nodejs24.x"),
    "nodejs4.3-edge": _row("2020-03-05", "2019-04-30", "2019-04-30", "nodejs24.x"),
    "nodejs6.10": _row("2019-08-12", "2019-08-12", "2019-08-12", "nodejs24.x"),
    "nodejs8.10": _row("2020-03-06", "2020-03-06", "2020-03-06", "nodejs24.x"),
    "nodejs10.x": _row("2021-07-30", "2021-07-30", "2022-02-14", "nodejs24.x"),
    "nodejs12.x": _row("2023-03-31", "2023-03-31", "2023-04-30", "nodejs24.x"),
    # From nodejs14.x on, the dates are those of the AWS Lambda runtimes page
    # (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html#runtimes-deprecated) as cfn-lint 1.58's
    # data/AdditionalSpecs/LmbdRuntimeLifecycle.json records them after it matched the page again in June 2026
    # (https://github.com/aws-cloudformation/cfn-lint/pull/4532): AWS moved the block dates of most runtimes
    # still in use to 2027-02-01 (create) and 2027-03-03 (update). Stored copies of the page disagree on ruby3.2
    # (2026-04-30/05-31, 2026-06-01/07-01, 2026-08-31/09-30); the newest record is taken.
    "nodejs14.x": _row("2023-12-04", "2024-01-09", "2027-03-03", "nodejs24.x"),
    "nodejs16.x": _row("2024-06-12", "2027-02-01", "2027-03-03", "nodejs24.x"),
    "nodejs18.x": _row("2025-09-01", "2027-02-01", "2027-03-03", "nodejs24.x"),
    "nodejs20.x": _row("2026-04-30", "2027-02-01", "2027-03-03", "nodejs24.x"),
    "nodejs22.x": _row("2027-04-30", "2027-06-01", "2027-07-01", "nodejs24.x"),
    "python2.7": _row("2021-07-15", "2021-07-15", "2022-05-30", "python3.14"),
    "python3.6": _row("2022-07-18", "2022-07-18", "2022-08-29", "python3.14"),
    "python3.7": _row("2023-12-04", "2024-01-09", "2027-03-03", "python3.14"),
    "python3.8": _row("2024-10-14", "2027-02-01", "2027-03-03", "python3.14"),
    "python3.9": _row("2025-12-15", "2027-02-01", "2027-03-03", "python3.14"),
    "python3.10": _row("2026-10-31", "2027-02-01", "2027-03-03", "python3.14"),
    "java8": _row("2024-01-08", "2024-02-08", "2027-03-03", "java21"),
    "go1.x": _row("2024-01-08", "2024-02-08", "2027-03-03", "provided.al2023"),
    "provided": _row("2024-01-08", "2024-02-08", "2027-03-03", "provided.al2023"),
    "provided.al2": _row("2026-07-31", "2027-02-01", "2027-03-03", "provided.al2023"),
    "ruby2.5": _row("2021-07-30", "2021-07-30", "2022-03-31", "ruby3.4"),
    "ruby2.7": _row("2023-12-07", "2024-01-09", "2027-03-03", "ruby3.4"),
    "ruby3.2": _row("2026-03-31", "2027-02-01", "2027-03-03", "ruby3.4"),
    "dotnetcore1.0": _row("2019-06-27", "2019-07-30", "2019-07-30", "dotnet10"),
    "dotnetcore2.0": _row("2019-05-30", "2019-05-30", "2019-05-30", "dotnet10"),
    "dotnetcore2.1": _row("2022-01-05", "2022-01-05", "2022-04-13", "dotnet10"),
    "dotnetcore3.1": _row("2023-04-03", "2023-04-03", "2023-05-03", "dotnet10"),
    "dotnet6": _row("2024-12-20", "2027-02-01", "2027-03-03", "dotnet10"),
    "dotnet7": _row("2024-05-14", "2024-05-14", "2024-05-14", "dotnet10"),
    "dotnet8": _row("2026-11-10", "2027-02-01", "2027-03-03", "dotnet10"),
}
# In the enum but in public preview on the runtimes page: accepted with a note (no SLA, not for production).
PREVIEW = frozenset({"nodejs26.x", "python3.15"})
# Families, longest prefix first: the handler's form and the local runner depend on it.
FAMILIES = (
    ("provided", "provided"),
    ("nodejs", "nodejs"),
    ("python", "python"),
    ("java", "java"),
    ("dotnet", "dotnet"),
    ("ruby", "ruby"),
    ("go", "go"),
)

_catalogue: list[tuple[str, ...]] = []


def catalogue(load: Callable[[], Sequence[str]] | None = None) -> tuple[str, ...]:
    """Every runtime identifier Lambda's API accepts, from botocore's model (loaded on first use)."""
    if load is not None:
        return tuple(load())
    if not _catalogue:
        from fnship.aws.service_models import lambda_runtimes

        _catalogue.append(lambda_runtimes())
    return _catalogue[0]


def family(runtime: str) -> str:
    """`nodejs22.x` -> nodejs, `provided.al2023` -> provided; the runtime itself when no family matches."""
    return next((name for prefix, name in FAMILIES if runtime.startswith(prefix)), runtime)


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


@frozen
class Verdict:
    """What the manifest does with a runtime: `error` refuses it, `note` accepts it with a word to the user.
    `create_blocked` is set when Lambda refuses new functions but still updates existing ones."""

    error: str | None = None
    hint: str = ""
    note: str | None = None
    create_blocked: dt.date | None = None


def _version_key(runtime: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", runtime)) or (0,)


def usable(runtimes: Sequence[str], *, on: dt.date) -> list[str]:
    """The runtimes a new function may use on day `on`: not blocked for creation."""
    out = []
    for runtime in runtimes:
        dep = DEPRECATIONS.get(runtime)
        if dep is None or dep.block_create is None or on < dep.block_create:
            out.append(runtime)
    return out


def ready(runtimes: Sequence[str], *, on: dt.date) -> list[str]:
    """The runtimes to recommend on day `on`: generally available and not deprecated."""
    return [
        r
        for r in usable(runtimes, on=on)
        if r not in PREVIEW and not (r in DEPRECATIONS and on >= DEPRECATIONS[r].deprecated)
    ]


def newest(runtime_family: str, runtimes: Sequence[str], *, on: dt.date) -> str | None:
    """The newest recommendable runtime of a family."""
    return max((r for r in ready(runtimes, on=on) if family(r) == runtime_family), key=_version_key, default=None)


def judge(runtime: str, *, on: dt.date, runtimes: Sequence[str]) -> Verdict:
    """Where `runtime` stands on day `on`: unknown, past block-update, past block-create, near it, deprecated,
    in preview, or fine."""
    known = set(runtimes)
    dep = DEPRECATIONS.get(runtime)
    if runtime not in known and dep is None:
        choices = usable(runtimes, on=on)
        close = difflib.get_close_matches(runtime, ready(runtimes, on=on), n=1, cutoff=0.8)
        guess = close[0] if close else newest(family(runtime), runtimes, on=on)
        return Verdict(
            error=f"'{runtime}' is not a Lambda runtime" + (f"; did you mean {guess}?" if guess else ""),
            hint="Lambda runtimes (from botocore's Lambda model): " + ", ".join(sorted(choices)),
        )
    if dep is not None:
        docs = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
        if dep.block_update and on >= dep.block_update:
            return Verdict(
                error=f"runtime {runtime} is deprecated: Lambda blocks creating functions with it since "
                f"{dep.block_create} and updating them since {dep.block_update}; use {dep.successor}",
                hint=docs,
            )
        if dep.block_create and on >= dep.block_create:
            return Verdict(
                note=f"runtime {runtime} is deprecated: Lambda blocks creating new functions with it since "
                f"{dep.block_create} (existing ones can be updated until {dep.block_update or 'a date not set yet'}); "
                f"use {dep.successor}",
                create_blocked=dep.block_create,
            )
        if dep.block_create and (dep.block_create - on).days <= WARN_DAYS:
            return Verdict(
                note=f"warning: runtime {runtime} is deprecated on {dep.deprecated}; Lambda blocks creating functions "
                f"with it from {dep.block_create} ({(dep.block_create - on).days} days): move to {dep.successor}"
            )
        if on >= dep.deprecated:
            return Verdict(
                note=f"warning: runtime {runtime} is deprecated since {dep.deprecated} (no security updates); "
                f"move to {dep.successor}"
            )
    if runtime in PREVIEW:
        return Verdict(
            note=f"runtime {runtime} is in preview on Lambda: not covered by the Lambda SLA, not for production"
        )
    return Verdict()
