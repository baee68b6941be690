"""The CloudWatch Logs read adapter: the live-tail stream parser on recorded event shapes, and the real calls
against the moto server."""

from __future__ import annotations

import time

import pytest

from fnship.aws import Aws, Target
from fnship.aws.logs_read_api import LiveTailEnded, parse_live_tail_event
from fnship.aws.logs_write_api import _batches

GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/demo-dev-api"

# Recorded shapes of StartLiveTail's responseStream as botocore yields them (per the API reference:
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartLiveTail.html).
SESSION_START = {
    "sessionStart": {
        "requestId": "d1c9b4bf-6b9e-4a5a-8b3b-9b2c3e5f1a01",
        "sessionId": "4a6a7b8c-1d2e-3f40-5162-738495a6b7c8",
        "logGroupIdentifiers": [GROUP_ARN],
        "logStreamNames": [],
        "logStreamNamePrefixes": [],
        "logEventFilterPattern": "",
    }
}
SESSION_UPDATE = {
    "sessionUpdate": {
        "sessionMetadata": {"sampled": False},
        "sessionResults": [
            {
                "logStreamName": "2024/05/01/[$LATEST]0123456789abcdef0123456789abcdef",
                "logGroupIdentifier": GROUP_ARN,
                "message": "START RequestId: 6bd1a7a4-1234-4d5e-9abc-0123456789ab Version: 3\n",
                "timestamp": 1714564800123,
                "ingestionTime": 1714564800456,
            }
        ],
    }
}
EMPTY_UPDATE = {"sessionUpdate": {"sessionMetadata": {"sampled": True}, "sessionResults": []}}


def test_session_start_and_updates_parse():
    assert parse_live_tail_event(SESSION_START).started
    update = parse_live_tail_event(SESSION_UPDATE)
    assert not update.started and not update.sampled
    assert update.results[0]["timestamp"] == 1714564800123
    assert update.results[0]["logGroupIdentifier"] == GROUP_ARN
    assert parse_live_tail_event(EMPTY_UPDATE).sampled
    assert parse_live_tail_event(EMPTY_UPDATE).results == ()


@pytest.mark.parametrize("code", ["SessionTimeoutException", "SessionStreamingException"])
def test_stream_exceptions_end_the_session(code):
    with pytest.raises(LiveTailEnded) as ended:
        parse_live_tail_event({code: {"message": "Session timed out"}})
    assert ended.value.code == code


def test_live_tail_reads_a_real_event_stream_from_the_emulator(moto):
    """moto answers StartLiveTail with one snapshot over a real event stream: enough to check the wire parsing."""
    logs = moto.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/demo-dev-api")
    logs.create_log_stream(logGroupName="/aws/lambda/demo-dev-api", logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/aws/lambda/demo-dev-api", logStreamName="s", logEvents=[{"timestamp": now, "message": "hi"}]
    )
    api = Aws(Target(region="us-east-1")).logs_read
    arn = api.group_arn("/aws/lambda/demo-dev-api")
    assert arn == GROUP_ARN
    updates = list(api.live_tail([arn]))
    assert updates[0].started
    assert [(r["message"], r["timestamp"]) for u in updates[1:] for r in u.results] == [("hi", now)]


def test_filter_events_pages_and_missing_groups(moto):
    logs = moto.client("logs")
    api = Aws(Target(region="us-east-1")).logs_read
    assert api.filter_events("/aws/lambda/nothing") == ([], None)
    assert api.group_arn("/aws/lambda/nothing") is None
    logs.create_log_group(logGroupName="/g")
    logs.create_log_stream(logGroupName="/g", logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName="/g", logStreamName="s", logEvents=[{"timestamp": now, "message": "a"}])
    events, token = api.filter_events("/g", start_ms=now - 1000)
    assert [e["message"] for e in events] == ["a"] and token is None


def test_write_stream_creates_group_and_stream_and_is_idempotent(moto):
    aws = Aws(Target(region="us-east-1"))
    now = int(time.time() * 1000)
    aws.logs_write.write_stream("/aws/lambda/x", "2024/05/01/[$LATEST]abc", [(now + 1, "b"), (now, "a")])
    aws.logs_write.write_stream("/aws/lambda/x", "2024/05/01/[$LATEST]abc", [(now + 2, "")])
    events = moto.client("logs").filter_log_events(logGroupName="/aws/lambda/x")["events"]
    assert [e["message"] for e in events] == ["a", "b", " "]


def test_batches_respect_the_put_log_events_size_limit():
    big = "x" * 400_000
    batches = _batches([(1, big), (2, big), (3, big)])
    assert [len(b) for b in batches] == [2, 1]
