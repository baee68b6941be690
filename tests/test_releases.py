"""The release record in version descriptions, the rollback target and pruning choices. Pure."""

from __future__ import annotations

import pytest

from fnship.releases import (
    after_release,
    alias_description,
    format_description,
    parse_description,
    previous_version,
    prunable,
    released_history,
    releases_of,
)


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


def test_alias_description_round_trip_and_limit():
    text = alias_description(provisioned=4, released=["9", "7", "$LATEST", "6"])
    assert text == "fnship release pointer; provisioned concurrency 4; released 9 7 6"
    assert released_history(text) == ("9", "7", "6")
    assert released_history("fnship release pointer") == released_history(None) == ()
    longest = alias_description(provisioned=100000, released=[str(n) for n in range(999999, 999900, -1)])
    assert len(longest) <= 256 and len(released_history(longest)) == 20


@pytest.mark.parametrize(
    ("history", "old", "new", "expected"),
    [
        ((), "$LATEST", "1", ("1",)),  # a new alias, or one that served $LATEST
        ((), "1", "2", ("2", "1")),  # an alias from before the history was kept
        (("2", "1"), "2", "3", ("3", "2", "1")),
        (("4", "2", "1"), "2", "5", ("5", "2", "1")),  # rolled back from 4 to 2: 4 is no longer the way back
        (("3", "2"), "3", "3", ("3", "2")),  # nothing new published: the history stays
    ],
)
def test_after_release(history, old, new, expected):
    assert after_release(history, old=old, new=new) == expected


@pytest.mark.parametrize(
    ("versions", "current", "history", "expected"),
    [
        (["1", "2", "3", "4"], "4", ("4", "2", "1"), "2"),  # 3 rolled back by an alarm: never a target
        (["1", "2", "4"], "2", ("4", "2", "1"), "1"),  # a second rollback in a row goes further back
        (["2", "3", "4"], "4", ("4", "1"), None),  # the one before was deleted by hand: no other is known good
        (["1", "2", "3"], "3", ("3", "1"), "1"),
        (["1", "2", "3"], "2", ("3", "1"), "1"),  # moved by hand off the history: the numbered fallback
    ],
)
def test_previous_version_follows_the_alias_history(versions, current, history, expected):
    assert previous_version(versions, current, history) == expected
