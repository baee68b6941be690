"""`alexaSkill` and `alexaSmartHome`: the skill id as a string or `appId`, `- alexaSkill` alone with v3's warning,
bad ids refused where they are written, and the sample events. Pure."""

from __future__ import annotations

import pytest

from fnship.local.events import sample_event
from fnship.model.triggers.common import Target
from fnship.triggers.alexa import ALEXA_SKILL, ALEXA_SMART_HOME, AlexaEvent
from tests.manifest.conftest import Env, with_function

SKILL = "amzn1.ask.skill.12345678-1234-1234-1234-123456789012"
TARGET = Target("svc", "dev", "us-east-1", "123456789012", "api", "svc-dev-api", "live", 6, {})


def test_the_skill_id_is_read_from_either_spelling(env: Env):
    manifest = env.load(
        with_function(
            f"events:\n  - alexaSkill: {SKILL}\n  - alexaSmartHome:\n      appId: {SKILL}\n      enabled: false\n"
            "  - alexaSkill"
        )
    )
    events = manifest.functions["api"].events
    assert [(e.type, e.settings) for e in events] == [
        ("alexaSkill", AlexaEvent(app_id=SKILL, enabled=True)),
        ("alexaSmartHome", AlexaEvent(app_id=SKILL, enabled=False)),
        ("alexaSkill", AlexaEvent(app_id=None, enabled=True)),
    ]
    assert any("without appId lets any Alexa skill invoke" in note for note in manifest.notes)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            "  - alexaSkill:\n      enabled: true",
            "8:9 functions.api.events.0.alexaSkill: appId (the skill id) is required",
        ),
        ("  - alexaSkill: 'my skill!'", "8:21 functions.api.events.0.alexaSkill: 'my skill!' is not an Alexa skill id"),
        ("  - alexaSmartHome", "8:9 functions.api.events.0: an event must be a mapping with one key"),
        ("  - alexaSmartHome: [a]", "8:9 functions.api.events.0.alexaSmartHome: must be the smart home skill's id"),
    ],
)
def test_bad_input_is_named_where_it_is_written(env: Env, lines: str, expected: str):
    assert env.problem(with_function("events:\n" + lines)).startswith(f"serverless.yml:{expected}")


def test_the_statement_names_the_skill_and_no_source_arn():
    from fnship.manifest.types import EventSpec

    (resource,) = ALEXA_SKILL.render(TARGET, EventSpec("alexaSkill", 0, AlexaEvent(SKILL, False)), "x")
    assert resource.attrs == {
        "action": "lambda:DisableInvokeFunction",
        "principal": "alexa-appkit.amazon.com",
        "source_arn": None,
        "source_account": None,
        "function_url_auth_type": None,
        "invoked_via_function_url": False,
        "event_source_token": SKILL,
    }
    (smart,) = ALEXA_SMART_HOME.render(TARGET, EventSpec("alexaSmartHome", 0, AlexaEvent(SKILL, True)), "x")
    assert smart.attrs["principal"] == "alexa-connectedhome.amazon.com"


def test_the_samples_are_what_alexa_sends():
    assert sample_event("alexaSkill")["request"]["type"] == "LaunchRequest"
    directive = sample_event("alexaSmartHome")["directive"]
    assert (directive["header"]["namespace"], directive["header"]["name"]) == ("Alexa.Discovery", "Discover")
