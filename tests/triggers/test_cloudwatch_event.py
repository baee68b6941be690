"""`cloudwatchEvent` (Serverless v3's older spelling of an EventBridge rule): its keys, one input form at most,
and what it renders. Pure."""

from __future__ import annotations

import json

import pytest

from tests.manifest.conftest import Env, with_function


def events(lines: str) -> str:
    return with_function("events:\n" + lines)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            "  - cloudwatchEvent:\n      name: x",
            "serverless.yml:8:9 functions.api.events.0.cloudwatchEvent: event (the event pattern) is required",
        ),
        (
            "  - cloudwatchEvent:\n      event: {source: [a]}\n      input: {a: 1}\n      inputPath: $.detail",
            "serverless.yml:11:11 functions.api.events.0.cloudwatchEvent.inputPath: give one of input, inputPath and "
            "inputTransformer, not input and inputPath",
        ),
        (
            "  - cloudwatchEvent:\n      event: {source: [a]}\n      inputTransformer: {inputPathsMap: {a: $.b}}",
            "serverless.yml:10:11 functions.api.events.0.cloudwatchEvent.inputTransformer: inputTemplate is required",
        ),
        (
            "  - cloudwatchEvent:\n      event: {source: [a]}\n      state: off",
            "serverless.yml:10:11 functions.api.events.0.cloudwatchEvent.state: unknown key 'state'",
        ),
    ],
)
def test_bad_input_is_named_where_it_is_written(env: Env, lines: str, expected: str):
    assert env.problem(events(lines)).startswith(expected)


def test_the_pattern_and_transformer_are_sent_as_eventbridge_stores_them(env: Env):
    manifest = env.load(
        events(
            "  - cloudwatchEvent:\n      event: {source: [aws.ec2]}\n      name: my-rule\n      enabled: false\n"
            "      inputTransformer: {inputPathsMap: {s: $.detail.state}, inputTemplate: '<s>'}"
        )
    )
    (event,) = manifest.functions["api"].events
    assert (event.type, event.settings.name, event.settings.enabled) == ("cloudwatchEvent", "my-rule", False)
    assert json.loads(event.settings.pattern) == {"source": ["aws.ec2"]}
    assert json.loads(event.settings.input_transformer) == {
        "InputPathsMap": {"s": "$.detail.state"},
        "InputTemplate": "<s>",
    }
