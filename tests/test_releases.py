"""The release record in version descriptions, the rollback target and pruning choices. Pure."""

from __future__ import annotations

import pytest

from fnship.releases import format_description, parse_description, previous_version, prunable, releases_of


def test_description_round_trip():
    text = format_description(
        release_id="20261123T160328Z", time="2026-11-23T16:03:28Z", commit="1a2b3c4", who="al ice"
    )
    assert text == "fnship 20261123T160328Z at=2026-11-23T16:03:28Z commit=1a2b3c4 by=alice"
    release = parse_description("7", text)
    assert (release.release_id, release.time, release.commit, release.who) == (
        "20261123T160328Z",
        "2026-11-23T16:03:28Z",
        "1a2b3c4",
        "alice",
    )


def test_description_fits_lambda_limit():
    assert len(format_description(release_id="r", time="t", commit="c", who="x" * 400)) == 256


@pytest.mark.parametrize(
    ("description", "release", "commit"),
    [
        ("fnship 20260101T000000Z abc1234", "20260101T000000Z", "abc1234"),  # the spine's older form
        ("deployed by hand", None, None),
        ("", None, None),
    ],
)
def test_parse_other_descriptions(description, release, commit):
    parsed = parse_description("3", description)
    assert (parsed.release_id, parsed.commit) == (release, commit)


def test_releases_skip_latest_and_sort_numerically():
    versions = [{"Version": "$LATEST"}, {"Version": "10"}, {"Version": "9", "Description": "fnship r9 at=t"}]
    assert [r.version for r in releases_of(versions)] == ["9", "10"]


@pytest.mark.parametrize(
    ("versions", "current", "expected"),
    [
        (["1", "2", "3"], "3", "2"),
        (["1", "3", "7"], "7", "3"),  # gaps from pruning
        (["1", "2", "3"], "2", "1"),  # after a rollback, the one before that
        (["4"], "4", None),
        (["1", "2"], "$LATEST", None),
    ],
)
def test_previous_version(versions, current, expected):
    assert previous_version(versions, current) == expected


def test_prunable_keeps_newest_and_protected():
    versions = [str(n) for n in range(1, 16)]
    assert prunable(versions, keep=10, protected={"2"}) == ["1", "3", "4", "5"]
    assert prunable(versions, keep=20, protected=()) == []
    assert prunable(["$LATEST", "1", "2"], keep=1, protected={"2"}) == ["1"]
