"""`cloudwatchLog`: a log group name or {logGroup, filter}, AWS's two filters per log group across the service,
and the sample event packed as CloudWatch Logs sends it. Pure."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from fnship.local.events import sample_event
from tests.manifest.conftest import Env, with_function


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("  - cloudwatchLog:\n      filter: ERROR", "8:9 functions.api.events.0.cloudwatchLog: logGroup is required"),
        ("  - cloudwatchLog: 'my group!'", "8:24 functions.api.events.0.cloudwatchLog: 'my group!' is not a log group"),
        (
            "  - cloudwatchLog:\n      logGroup: /a\n      filters: x",
            "10:11 functions.api.events.0.cloudwatchLog.filters: unknown key 'filters'",
        ),
    ],
)
def test_bad_input_is_named_where_it_is_written(env: Env, lines: str, expected: str):
    assert env.problem(with_function("events:\n" + lines)).startswith(f"serverless.yml:{expected}")


def test_a_third_filter_on_one_log_group_is_refused_whichever_function_it_serves(env: Env):
    text = with_function("events:\n  - cloudwatchLog: /app/a\n  - cloudwatchLog: {logGroup: /app/a, filter: x}")
    text += "  other:\n    handler: app.other\n    events:\n      - cloudwatchLog: /app/a\n"
    assert env.problem(text).startswith(
        "serverless.yml:13:24 functions.other.events.0.cloudwatchLog: log group /app/a would get more than 2 "
        "subscription filters, the CloudWatch Logs limit"
    )


def test_the_sample_is_gzipped_and_base64_encoded_as_aws_sends_it():
    event = sample_event("cloudwatchLog")
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    assert data["messageType"] == "DATA_MESSAGE"
    assert [e["message"] for e in data["logEvents"]] == ["[ERROR] example message 1", "[ERROR] example message 2"]
    assert sample_event("cloudwatchLog") == event  # the same bytes every time
