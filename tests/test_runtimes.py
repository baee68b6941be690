"""The runtime catalogue (botocore's Lambda model) and AWS's dated deprecation table, judged on a given day."""

from __future__ import annotations

import datetime as dt

import pytest

from fnship import runtimes

CATALOGUE = ("nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x", "nodejs26.x", "python3.6", "python3.8",
             "python3.9", "python3.10", "ruby3.2", "ruby3.4", "python3.13", "python3.14", "python3.15",
             "provided.al2023", "dotnet8", "dotnet10")  # fmt: skip


def judge(runtime: str, day: str) -> runtimes.Verdict:
    return runtimes.judge(runtime, on=dt.date.fromisoformat(day), runtimes=CATALOGUE)


def test_the_catalogue_is_botocores_lambda_model():
    found = runtimes.catalogue()
    assert {"python3.14", "nodejs24.x", "provided.al2023"} <= set(found)  # boto3 1.43 knows them
    assert runtimes.catalogue(lambda: ["x1"]) == ("x1",)


@pytest.mark.parametrize(
    ("runtime", "day", "error", "note", "blocked"),
    [
        ("nodejs24.x", "2026-12-04", None, None, None),
        # past block-update: refused outright, dates and successor named
        (
            "nodejs12.x",
            "2026-12-04",
            "Lambda blocks creating functions with it since 2023-03-31 and updating them "
            "since 2023-04-30; use nodejs24.x",
            None,
            None,
        ),
        # nodejs18.x and dotnet6: deprecated, their blocks moved by AWS to 2027-02-01 and 2027-03-03
        (
            "nodejs18.x",
            "2026-12-04",
            None,
            "deprecated on 2025-09-01; Lambda blocks creating functions with it from "
            "2027-02-01 (59 days): move to nodejs24.x",
            None,
        ),
        ("nodejs18.x", "2027-03-03", "since 2027-02-01 and updating them since 2027-03-03; use nodejs24.x", None, None),
        ("dotnet6", "2027-02-01", None, "existing ones can be updated until 2027-03-03", "2027-02-01"),
        # between block-create and block-update: accepted for existing functions, refused when created
        ("nodejs22.x", "2027-06-15", None, "blocks creating new functions with it since 2027-06-01", "2027-06-01"),
        # within 90 days of block-create: a warning with the days left
        ("nodejs22.x", "2027-04-01", None, "from 2027-06-01 (61 days): move to nodejs24.x", None),
        # deprecated, its block 59 days away: a warning with the days left
        ("nodejs20.x", "2026-12-04", None, "from 2027-02-01 (59 days): move to nodejs24.x", None),
        ("nodejs20.x", "2026-01-01", None, None, None),
        # python3.9 and dotnet8: deprecated, then blocked on the dates AWS moved them to
        ("python3.9", "2026-10-01", None, "deprecated since 2025-12-15", None),
        ("python3.9", "2026-12-04", None, "from 2027-02-01 (59 days): move to python3.14", None),
        (
            "python3.9",
            "2027-02-01",
            None,
            "since 2027-02-01 (existing ones can be updated until 2027-03-03)",
            "2027-02-01",
        ),
        ("python3.9", "2027-03-03", "since 2027-02-01 and updating them since 2027-03-03; use python3.14", None, None),
        (
            "dotnet8",
            "2026-12-04",
            None,
            "deprecated on 2026-11-10; Lambda blocks creating functions with it from "
            "2027-02-01 (59 days): move to dotnet10",
            None,
        ),
        ("dotnet8", "2027-03-03", "use dotnet10", None, None),
        (
            "python3.10",
            "2026-12-04",
            None,
            "deprecated on 2026-10-31; Lambda blocks creating functions with it from "
            "2027-02-01 (59 days): move to python3.14",
            None,
        ),
        ("python3.10", "2027-02-15", None, "blocks creating new functions with it since 2027-02-01", "2027-02-01"),
        # ruby3.2 and python3.8: AWS moved their blocks to 2027-02-01 and 2027-03-03 (a warning until then)
        ("ruby3.2", "2026-12-04", None, "from 2027-02-01 (59 days): move to ruby3.4", None),
        ("ruby3.2", "2030-01-01", "updating them since 2027-03-03; use ruby3.4", None, None),
        ("python3.8", "2026-12-04", None, "from 2027-02-01 (59 days): move to python3.14", None),
        # go1.x: creating blocked since 2024-02-08, existing functions can be updated until 2027-03-03
        ("go1.x", "2026-12-04", None, "existing ones can be updated until 2027-03-03", "2024-02-08"),
        ("nodejs26.x", "2026-12-04", None, "in preview", None),
        ("python3.15", "2026-12-04", None, "in preview", None),
        ("python4.0", "2026-12-04", "'python4.0' is not a Lambda runtime; did you mean python3.14?", None, None),
        ("nodejs24", "2026-12-04", "did you mean nodejs24.x?", None, None),
    ],
)
def test_judge(runtime, day, error, note, blocked):
    verdict = judge(runtime, day)
    if error is None:
        assert verdict.error is None
    else:
        assert verdict.error is not None and error in verdict.error
    if note is None:
        assert verdict.note is None
    else:
        assert verdict.note is not None and note in verdict.note
    assert verdict.create_blocked == (dt.date.fromisoformat(blocked) if blocked else None)


def test_an_unknown_runtime_lists_only_what_a_new_function_may_use():
    hint = judge("ruby9", "2026-12-04").hint
    assert "nodejs24.x" in hint and "nodejs26.x" in hint and "python3.6" not in hint and "python3.8" in hint
    assert "nodejs18.x" in hint  # deprecated, but new functions may use it until 2027-02-01


@pytest.mark.parametrize(
    ("runtime", "family"),
    [("nodejs24.x", "nodejs"), ("python3.14", "python"), ("provided.al2", "provided"), ("java8.al2023", "java"),
     ("dotnet10", "dotnet"), ("ruby4.0", "ruby"), ("custom", "custom")],
)  # fmt: skip
def test_family(runtime, family):
    assert runtimes.family(runtime) == family


def test_every_deprecation_names_a_successor_lambda_knows():
    known = set(runtimes.catalogue())
    for runtime, dep in runtimes.DEPRECATIONS.items():
        assert dep.successor in known, runtime
        assert dep.block_create is None or dep.block_create >= dep.deprecated - dt.timedelta(days=400), runtime
