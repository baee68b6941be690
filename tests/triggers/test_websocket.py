"""`websocket`: routes, the authorizer only on $connect, one function per route, the provider's settings, and the
sample events. Pure."""

from __future__ import annotations

import json

import pytest

from fnship.local.events import sample_event
from fnship.triggers.websocket import WebsocketAuthorizerSpec
from tests.manifest.conftest import Env, with_function

OTHER = "  other:\n    handler: app.other\n"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            "  - websocket:\n      route: sendMessage\n      authorizer: other",
            "10:11 functions.api.events.0.websocket.authorizer: an authorizer is only for the $connect route, "
            "not sendMessage",
        ),
        (
            "  - websocket:\n      route: $connect\n      authorizer: missing",
            "10:23 functions.api.events.0.websocket.authorizer: 'missing' is not a function of this service",
        ),
        (
            "  - websocket:\n      route: $default\n      routeResponseSelectionExpression: $request.body.x",
            "10:45 functions.api.events.0.websocket.routeResponseSelectionExpression: '$request.body.x' is not "
            "supported: WebSocket routes take only $default",
        ),
        ("  - websocket: $open", "8:20 functions.api.events.0.websocket: '$open' is not a predefined route"),
        ("  - websocket:\n      authorizer: other", "8:9 functions.api.events.0.websocket: route is required"),
    ],
)
def test_bad_input_is_named_where_it_is_written(env: Env, lines: str, expected: str):
    text = with_function("events:\n" + lines) + OTHER
    assert env.problem(text).startswith(f"serverless.yml:{expected}")


def test_a_route_belongs_to_one_function(env: Env):
    text = with_function("events:\n  - websocket: $default") + OTHER + "    events:\n      - websocket: $default\n"
    assert env.problem(text).startswith(
        "serverless.yml:12:20 functions.other.events.0.websocket: websocket route $default is already served by "
        "function api"
    )


def test_the_authorizer_and_the_providers_settings_reach_the_event(env: Env):
    text = with_function(
        "events:\n  - websocket:\n      route: $connect\n      authorizer:\n        name: other\n"
        "        identitySource: route.request.querystring.token",
        provider="websocketsApiName: chat\nwebsocketsApiRouteSelectionExpression: $request.body.type",
    )
    (event,) = env.load(text + OTHER).functions["api"].events
    assert event.settings.authorizer == WebsocketAuthorizerSpec(
        name="other", function_key="other", arn=None, identity_source=("route.request.querystring.token",)
    )
    assert (event.settings.api_name, event.settings.route_selection_expression) == ("chat", "$request.body.type")


def test_the_samples_are_a_connect_and_a_message():
    connect = sample_event("websocket-connect")
    assert connect["requestContext"]["eventType"] == "CONNECT" and connect["headers"]["Auth"]
    message = sample_event("websocket")
    assert json.loads(message["body"])["action"] == message["requestContext"]["routeKey"]
