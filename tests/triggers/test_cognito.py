"""`cognitoUserPool`: pool and trigger checked before any call, one function per trigger of a pool, one
`existing` per pool, and the sample event. Pure."""

from __future__ import annotations

import pytest

from fnship.local.events import sample_event
from tests.manifest.conftest import Env, with_function


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("  - cognitoUserPool:\n      trigger: PreSignUp", "8:9 functions.api.events.0.cognitoUserPool: pool"),
        (
            "  - cognitoUserPool:\n      pool: p\n      trigger: BeforeSignUp",
            "10:20 functions.api.events.0.cognitoUserPool.trigger: 'BeforeSignUp' is not",
        ),
        (
            "  - cognitoUserPool:\n      pool: 'a/b'\n      trigger: PreSignUp",
            "9:17 functions.api.events.0.cognitoUserPool.pool: 'a/b' is not a user pool name",
        ),
        (
            "  - cognitoUserPool: {pool: p, trigger: PreSignUp}\n"
            "  - cognitoUserPool: {pool: p, trigger: PreSignUp, existing: true}",
            "9:9 functions.api.events.1.cognitoUserPool: trigger PreSignUp of user pool p is already given to "
            "functions.api.events.0",
        ),
    ],
)
def test_bad_input_is_named_where_it_is_written(env: Env, lines: str, expected: str):
    problems = env.problems(with_function("events:\n" + lines))
    assert problems[0].startswith(f"serverless.yml:{expected}"), problems


def test_the_sample_is_a_pre_sign_up_trigger():
    assert sample_event("cognitoUserPool")["triggerSource"] == "PreSignUp_SignUp"
