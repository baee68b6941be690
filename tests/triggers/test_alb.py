"""`alb`: the listener, priority and conditions checked before any call, one rule per priority on a listener, and
the sample event. Pure."""

from __future__ import annotations

import json

import pytest

from fnship.local.events import sample_event
from tests.manifest.conftest import Env, with_function

LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"


def alb(extra: str = "", priority: int = 10) -> str:
    return (
        f"  - alb:\n      listenerArn: {LISTENER}\n      priority: {priority}\n"
        f"      conditions:\n        path: /users/*\n{extra}"
    )


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            "  - alb:\n      priority: 1\n      conditions: {path: /}",
            "8:9 functions.api.events.0.alb: listenerArn is required",
        ),
        (alb(priority=0), "10:21 functions.api.events.0.alb.priority: 0 is below"),
        (alb("        ip: 10.0.0.300/8\n"), "13:17 functions.api.events.0.alb.conditions.ip: '10.0.0.300/8' is not"),
        (
            alb("      healthCheck:\n        intervalSeconds: 10\n        timeoutSeconds: 20\n"),
            "13:11 functions.api.events.0.alb.healthCheck: timeoutSeconds (20) must be less than intervalSeconds (10)",
        ),
        (
            "  - alb:\n      listenerArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1\n"
            "      priority: 1\n      conditions: {path: /}",
            "9:24 functions.api.events.0.alb.listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:"
            "loadbalancer/app/x/1' is not an Application Load Balancer listener ARN",
        ),
        (
            alb().replace("path: /users/*", "host: example.com"),
            "11:11 functions.api.events.0.alb.conditions: path is required",
        ),
    ],
)
def test_bad_input_is_named_where_it_is_written(env: Env, lines: str, expected: str):
    assert env.problem(with_function("events:\n" + lines)).startswith(f"serverless.yml:{expected}")


def test_a_priority_used_twice_on_one_listener_is_refused(env: Env):
    text = with_function("events:\n" + alb()) + "  other:\n    handler: app.other\n    events:\n"
    text += "\n".join("  " + line for line in alb().splitlines()) + "\n"
    assert env.problem(text).startswith(
        "serverless.yml:18:19 functions.other.events.0.alb.priority: priority 10 is already used on this listener by "
        "functions.api.events.0"
    )


def test_conditions_are_written_in_their_config_form(env: Env):
    text = with_function(
        "events:\n" + alb("        method: get\n        header: {name: X-Env, values: [prod]}\n        query: {a: b}\n")
    )
    (event,) = env.load(text).functions["api"].events
    assert sorted(json.loads(c)["Field"] for c in event.settings.conditions) == [
        "http-header", "http-request-method", "path-pattern", "query-string"
    ]  # fmt: skip
    assert {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}} in [
        json.loads(c) for c in event.settings.conditions
    ]
    assert event.settings.health_check is None and event.settings.multi_value_headers is False


def test_the_sample_is_what_a_load_balancer_sends():
    event = sample_event("alb")
    assert event["requestContext"]["elb"]["targetGroupArn"].startswith("arn:aws:elasticloadbalancing:")
    assert event["httpMethod"] == "GET"
