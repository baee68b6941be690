"""The Lambda adapter's own logic: IAM propagation retries and update waiters, with injected sleep.

A just-created role can fail CreateFunction with InvalidParameterValueException "The role defined for the
function cannot be assumed by Lambda" for a few seconds (IAM is eventually consistent:
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
moto never does this, so a scripted client stands in for Lambda's answers.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from fnship.aws.lambda_api import LambdaApi
from fnship.errors import AwsError


def client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "CreateFunction")


class ScriptedLambda:
    """Answers CreateFunction from a script, and GetFunction with a sequence of states; botocore's own waiter
    definitions (which the adapter follows) come from a real client's model."""

    def __init__(self, create_answers, states=(("Active", "Successful"),)):
        self.create_answers = list(create_answers)
        self.states = list(states)
        self.create_calls = 0
        self._model = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")

    def get_waiter(self, name):
        return self._model.get_waiter(name)

    def create_function(self, **request):
        self.create_calls += 1
        answer = self.create_answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get_function(self, FunctionName):
        self.polls = getattr(self, "polls", 0) + 1
        state, update = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"Configuration": {"State": state, "LastUpdateStatus": update, "LastUpdateStatusReason": "bad zip"}}


NOT_ASSUMABLE = client_error(
    "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda."
)


def test_create_retries_while_the_new_role_propagates():
    sleeps: list[float] = []
    client = ScriptedLambda([NOT_ASSUMABLE, NOT_ASSUMABLE, {"FunctionArn": "arn:f"}])
    created = LambdaApi(client, sleep=sleeps.append).create_function("f", config={}, code={}, tags={})
    assert created == {"FunctionArn": "arn:f"}
    assert client.create_calls == 3
    assert sleeps == [1, 2]


def test_create_gives_up_after_the_retry_budget_and_names_the_function():
    client = ScriptedLambda([NOT_ASSUMABLE] * 20)
    with pytest.raises(AwsError) as raised:
        LambdaApi(client, sleep=lambda _s: None).create_function("orders", config={}, code={}, tags={})
    assert raised.value.resource == "function orders" and raised.value.code == "InvalidParameterValueException"
    assert client.create_calls == 9


def test_other_errors_are_not_retried():
    client = ScriptedLambda([client_error("InvalidParameterValueException", "Unzipped size must be smaller")])
    with pytest.raises(AwsError):
        LambdaApi(client, sleep=lambda _s: pytest.fail("must not sleep")).create_function(
            "f", config={}, code={}, tags={}
        )
    assert client.create_calls == 1


def test_waiter_polls_until_the_update_finishes():
    sleeps: list[float] = []
    client = ScriptedLambda([], states=[("Active", "InProgress"), ("Active", "InProgress"), ("Active", "Successful")])
    LambdaApi(client, sleep=sleeps.append).wait_updated("f")
    assert sleeps == [1, 1]


def test_waiter_reports_a_failed_update_with_its_reason():
    client = ScriptedLambda([], states=[("Active", "Failed")])
    with pytest.raises(AwsError) as raised:
        LambdaApi(client, sleep=lambda _s: None).wait_updated("f")
    assert "bad zip" in str(raised.value)


def test_waiter_for_a_new_function_waits_while_it_is_pending():
    sleeps: list[float] = []
    client = ScriptedLambda([], states=[("Pending", None), ("Active", None)])
    LambdaApi(client, sleep=sleeps.append).wait_ready("f")
    assert sleeps == [1]


def test_waiter_gives_up_after_botocores_attempts_and_names_the_function():
    client = ScriptedLambda([], states=[("Active", "InProgress")])
    with pytest.raises(AwsError) as raised:
        LambdaApi(client, sleep=lambda _s: None).wait_updated("slow")
    assert raised.value.resource == "function slow" and raised.value.code == "Timeout"


def test_a_create_that_answers_active_is_not_polled():
    """CreateFunction answers the new function's configuration: when it already says Active there is nothing to
    wait for (the emulator always does; AWS mostly answers Pending)."""
    client = ScriptedLambda([{"FunctionArn": "arn:f", "State": "Active"}], states=[("Pending", None)])
    LambdaApi(client, sleep=lambda _s: pytest.fail("must not sleep")).create_function("f", config={}, code={}, tags={})
    assert getattr(client, "polls", 0) == 0


def test_a_create_that_answers_pending_is_polled_at_once_until_active():
    sleeps: list[float] = []
    client = ScriptedLambda(
        [{"FunctionArn": "arn:f", "State": "Pending"}], states=[("Pending", None), ("Active", None)]
    )
    LambdaApi(client, sleep=sleeps.append).create_function("f", config={}, code={}, tags={})
    assert client.polls == 2
    assert sleeps == [1]  # no sleep before the first poll: the create's answer was not one


def test_a_create_that_answers_failed_fails_naming_the_reason():
    client = ScriptedLambda([{"FunctionArn": "arn:f", "State": "Failed", "StateReason": "no subnet"}])
    with pytest.raises(AwsError) as raised:
        LambdaApi(client, sleep=lambda _s: None).create_function("f", config={}, code={}, tags={})
    assert "no subnet" in str(raised.value)
    assert getattr(client, "polls", 0) == 0
