"""The tail loops with injected clock and sleep: polling against the in-memory double and against the moto
server; live tail (which the emulator does not stream) against the double of fnship's adapter."""

from __future__ import annotations

import pytest

from fnship.aws.logs_read_api import LiveTailEnded, LiveTailUnavailable, LiveTailUpdate
from fnship.logs import LATE_ARRIVAL_MS, Source, Tailer, fetch
from tests.logs.doubles import FakeLogs, result

A = Source("api", "demo-dev-api", "/aws/lambda/demo-dev-api")
W = Source("worker", "demo-dev-worker", "/aws/lambda/demo-dev-worker")
T0 = 1_700_000_000_000


class Stop(Exception):
    pass


def sleeper(actions=(), *, limit=10):
    """A sleep that records its argument, runs the next scripted action, and stops the tail after `limit`."""
    slept: list[float] = []
    queue = list(actions)

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if queue:
            queue.pop(0)()
        if len(slept) >= limit:
            raise Stop

    return sleep, slept


def tailer(api, sources, sleep, *, clock=lambda: T0 / 1000, **kw):
    shown: list[tuple[str, str]] = []
    notices: list[str] = []
    t = Tailer(
        api=api,
        sources=sources,
        emit=lambda e: shown.append((e.source.key, e.message)),
        clock=clock,
        sleep=sleep,
        notice=notices.append,
        **kw,
    )
    return t, shown, notices


def test_fetch_merges_two_functions_by_time_across_pages():
    api = FakeLogs(page_size=2)
    for ts, group, msg in [(3, A, "a3"), (1, W, "w1"), (2, A, "a2"), (5, W, "w5"), (4, W, "w4"), (6, A, "a6")]:
        api.add(group.group, T0 + ts, msg)
    merged = fetch(api, [A, W], start_ms=T0)
    assert [e.message for e in merged] == ["w1", "a2", "a3", "w4", "w5", "a6"]


def test_poll_sleeps_after_every_empty_poll_and_shows_each_event_once():
    api = FakeLogs(page_size=1)  # every event on its own page: page boundaries everywhere
    api.add(A.group, T0 + 1, "first")
    sleep, slept = sleeper(
        [
            lambda: None,  # nothing new during the first pause
            lambda: (api.add(A.group, T0 + 2, "second"), api.add(W.group, T0 + 3, "third")),
        ],
        limit=4,
    )
    t, shown, _ = tailer(api, [A, W], sleep, poll_interval=0.25)
    with pytest.raises(Stop):
        t.poll(since_ms=T0)
    assert shown == [("api", "first"), ("api", "second"), ("worker", "third")]
    # poll 1 shows "first" (no sleep), poll 2 empty -> sleep, poll 3 empty -> sleep (adds two), poll 4 shows them,
    # polls 5 and 6 empty -> sleep: every sleep follows an empty poll.
    assert slept == [0.25, 0.25, 0.25, 0.25]


def test_poll_looks_back_for_late_events_without_repeating():
    api = FakeLogs()
    api.add(A.group, T0 + 50_000, "late-stamped later")
    sleep, slept = sleeper([lambda: api.add(A.group, T0 + 45_000, "ingested late")], limit=3)
    t, shown, _ = tailer(api, [A], sleep)
    with pytest.raises(Stop):
        t.poll(since_ms=T0)
    assert shown == [("api", "late-stamped later"), ("api", "ingested late")]
    assert api.filter_calls[-1] == (A.group, T0 + 50_000 - LATE_ARRIVAL_MS)


def test_poll_dedupes_by_event_id_so_identical_lines_in_one_millisecond_all_show():
    api = FakeLogs(page_size=1)
    for _ in range(3):
        api.add(A.group, T0 + 1, "-----")  # a handler printing the same separator three times at once
    sleep, slept = sleeper(limit=3)  # three polls: each looks back over the same three events
    t, shown, _ = tailer(api, [A], sleep)
    with pytest.raises(Stop):
        t.poll(since_ms=T0)
    assert shown == [("api", "-----")] * 3


def test_live_copies_of_a_line_are_matched_against_the_polled_ones():
    api = FakeLogs()
    api.add(A.group, T0 + 1, "same")  # the backfill polls one copy...
    api.scripts = [
        [
            LiveTailUpdate(results=(result(A.group, T0 + 1, "same"),)),  # ...the session streams that copy...
            LiveTailUpdate(results=(result(A.group, T0 + 1, "same"),)),  # ...and a second one, written later
            LiveTailUnavailable("end"),
        ]
    ]
    t, shown, _ = tailer(api, [A], sleeper()[0])
    t.live(since_ms=T0)
    assert shown == [("api", "same")] * 2


def test_poll_backs_off_on_throttling_then_resets():
    api = FakeLogs()
    api.throttle_next = 3
    api.add(A.group, T0 + 1, "x")
    sleep, slept = sleeper(limit=5)
    t, shown, _ = tailer(api, [A], sleep, poll_interval=1.0)
    with pytest.raises(Stop):
        t.poll(since_ms=T0)
    assert slept == [1.0, 2.0, 4.0, 1.0, 1.0]  # back-off, then the plain pause after empty polls
    assert shown == [("api", "x")]


def test_poll_against_moto_with_injected_sleep(moto):
    import time

    from fnship.aws import Aws, Target

    now = int(time.time() * 1000)  # CloudWatch drops events older than 14 days

    logs = moto.client("logs")
    for source in (A, W):
        logs.create_log_group(logGroupName=source.group)
        logs.create_log_stream(logGroupName=source.group, logStreamName="s")

    def put(source, ts, message):
        logs.put_log_events(
            logGroupName=source.group, logStreamName="s", logEvents=[{"timestamp": ts, "message": message}]
        )

    put(A, now + 10, "api one")
    put(W, now + 5, "worker one")
    sleep, slept = sleeper(
        [lambda: (put(W, now + 20, "worker two"), put(W, now + 20, "worker two")), lambda: None], limit=3
    )
    api = Aws(Target(region="us-east-1")).logs_read
    t, shown, _ = tailer(api, [A, W], sleep, poll_interval=0.5)
    with pytest.raises(Stop):
        t.poll(since_ms=now)
    # Two identical lines in one millisecond are two events (told apart by their event ids), each shown once.
    assert shown == [("worker", "worker one"), ("api", "api one"), ("worker", "worker two"), ("worker", "worker two")]
    assert slept == [0.5, 0.5, 0.5]


# ---------------------------------------------------------------- live tail


def test_live_tail_backfills_history_then_streams_without_duplicates():
    api = FakeLogs()
    api.add(A.group, T0 + 1, "history")
    api.add(W.group, T0 + 2, "history w")
    api.scripts = [
        [
            LiveTailUpdate(results=(result(A.group, T0 + 2, "history w".replace("w", "x")),)),
            LiveTailUpdate(results=(result(W.group, T0 + 2, "history w"),)),  # also seen by the backfill
            LiveTailUpdate(results=(result(W.group, T0 + 9, "live"),)),
            LiveTailUnavailable("stop the test here"),
        ]
    ]
    sleep, slept = sleeper(limit=100)
    t, shown, _ = tailer(api, [A, W], sleep)
    assert t.live(since_ms=T0) == "stop the test here"
    assert shown == [("api", "history"), ("worker", "history w"), ("api", "history x"), ("worker", "live")]
    assert api.sessions == [["arn:aws:logs:us-east-1:123456789012:log-group:" + A.group, api.group_arn(W.group)]]


def test_live_tail_renews_the_session_before_the_cap_and_fills_the_gap():
    api = FakeLogs()
    api.add(A.group, T0, "old")
    now = [T0 / 1000]
    api.scripts = [
        [
            LiveTailUpdate(results=(result(A.group, T0 + 1, "in session 1"),)),
            lambda: now.__setitem__(0, now[0] + 3 * 3600),  # three hours pass
            lambda: api.add(A.group, T0 + 2, "between sessions"),  # written as the session is renewed
            LiveTailUpdate(results=()),
        ],
        [LiveTailUpdate(results=(result(A.group, T0 + 3, "in session 2"),)), LiveTailUnavailable("end")],
    ]
    api.add(A.group, T0 + 1, "in session 1")
    t, shown, _ = tailer(api, [A], sleeper()[0], clock=lambda: now[0], renew_after_s=3 * 3600 - 300)
    t.live(since_ms=T0)
    assert len(api.sessions) == 2
    assert [m for _, m in shown] == ["old", "in session 1", "between sessions", "in session 2"]


def test_live_tail_reconnects_after_session_timeout():
    api = FakeLogs()
    api.add(A.group, T0, "x")
    api.scripts = [
        [LiveTailEnded("SessionTimeoutException", "3 hours")],
        [LiveTailUpdate(results=(result(A.group, T0 + 5, "after reconnect"),)), LiveTailUnavailable("end")],
    ]
    clock = iter(range(10**6, 10**7, 60))  # a minute per reading: sessions are not "early ends"
    t, shown, _ = tailer(api, [A], sleeper()[0], clock=lambda: next(clock))
    t.live(since_ms=T0)
    assert [m for _, m in shown] == ["x", "after reconnect"]
    assert len(api.sessions) == 2


def test_more_than_ten_groups_use_several_sessions():
    api = FakeLogs()
    sources = [Source(f"f{i}", f"demo-dev-f{i}", f"/aws/lambda/demo-dev-f{i}") for i in range(12)]
    for s in sources:
        api.add(s.group, T0, f"hi {s.key}")
    api.scripts = [[LiveTailUnavailable("end")], [LiveTailUnavailable("end")]]
    t, shown, _ = tailer(api, sources, sleeper()[0])
    t.live(since_ms=T0)
    assert sorted(len(s) for s in api.sessions) == [2, 10]


def test_unavailable_live_tail_falls_back_to_polling():
    api = FakeLogs()
    api.add(A.group, T0 + 1, "polled")
    api.unavailable = LiveTailUnavailable("AccessDeniedException: not allowed")
    sleep, slept = sleeper(limit=1)
    t, shown, notices = tailer(api, [A], sleep)
    with pytest.raises(Stop):
        t.run(since_ms=T0)
    assert shown == [("api", "polled")]
    assert "AccessDeniedException" in notices[0] and "polling" in notices[0]


def test_sessions_that_end_at_once_mean_no_live_tail():
    """Like the emulator's StartLiveTail: a snapshot, then the stream ends."""
    api = FakeLogs()
    api.add(A.group, T0 + 1, "snap")
    api.scripts = [[LiveTailUpdate(results=(result(A.group, T0 + 1, "snap"),))]] * 3
    sleep, slept = sleeper(limit=100)
    t, shown, _ = tailer(api, [A], sleep)
    assert "end as soon as they start" in t.live(since_ms=T0)
    assert slept == [2.0, 4.0]  # back-off between the early ends
    assert shown == [("api", "snap")]


def test_missing_log_group_polls_instead():
    api = FakeLogs()
    t, _, notices = tailer(api, [A], sleeper()[0])
    assert "does not exist" in t.live(since_ms=T0)
