"""`iot`: the rule's SQL, version and name checked before any call, and its physical name. Pure."""

from __future__ import annotations

import pytest

from fnship.local.events import sample_event
from fnship.manifest.types import EventSpec
from fnship.model.triggers.common import Target
from fnship.triggers.iot import TRIGGER, IotEvent
from tests.manifest.conftest import Env, with_function

TARGET = Target("svc", "dev", "us-east-1", "123456789012", "api", "svc-dev-api", "live", 6, {})


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("  - iot:\n      name: x", "8:9 functions.api.events.0.iot: sql (the rule's SELECT statement) is required"),
        (
            "  - iot:\n      sql: SELECT * FROM 'a'\n      sqlVersion: '2020'",
            "10:23 functions.api.events.0.iot.sqlVersion: '2020' is not",
        ),
        (
            "  - iot:\n      sql: SELECT * FROM 'a'\n      name: my-rule",
            "10:17 functions.api.events.0.iot.name: 'my-rule' is not an IoT rule name",
        ),
        ("  - iot: SELECT * FROM 'a'", "8:14 functions.api.events.0.iot: must be a mapping"),
    ],
)
def test_bad_input_is_named_where_it_is_written(env: Env, lines: str, expected: str):
    assert env.problem(with_function("events:\n" + lines)).startswith(f"serverless.yml:{expected}")


def test_the_rule_defaults_to_awss_sql_version_and_a_name_iot_accepts(env: Env):
    manifest = env.load(with_function("events:\n  - iot:\n      sql: >-\n        SELECT *\n        FROM 'a/b'"))
    (event,) = manifest.functions["api"].events
    assert event.settings == IotEvent("SELECT * FROM 'a/b'", "2015-10-08", None, True, "")
    permission, rule = TRIGGER.render(TARGET, event, "rule")
    assert rule.name == "svc_dev_api_rule"
    assert permission.attrs["source_arn"] == "arn:aws:iot:us-east-1:123456789012:rule/svc_dev_api_rule"
    named = EventSpec("iot", 0, IotEvent("SELECT 1", "beta", "mine", False, "d"))
    assert TRIGGER.render(TARGET, named, "mine")[1].name == "mine"


def test_the_sample_is_a_device_message():
    assert sample_event("iot")["deviceId"]
