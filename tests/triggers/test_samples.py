"""Every new trigger type's sample event reaches a handler through `fn invoke --local --event TYPE`."""

from __future__ import annotations

import json

import pytest

NEW_SAMPLES = {
    "websocket": "requestContext",
    "websocket-connect": "headers",
    "alb": "httpMethod",
    "kafka": "records",
    "msk": "records",
    "activemq": "messages",
    "rabbitmq": "rmqMessagesByQueue",
    "cloudwatchLog": "awslogs",
    "iot": "deviceId",
    "alexaSkill": "request",
    "alexaSmartHome": "directive",
    "cognitoUserPool": "triggerSource",
    "iotFleetProvisioning": "templateArn",
}


@pytest.mark.parametrize(("kind", "key"), sorted(NEW_SAMPLES.items()))
def test_invoke_local_hands_the_sample_to_the_handler(project, kind: str, key: str):
    project.write(
        "serverless.yml", "service: demo\nprovider:\n  name: aws\nfunctions:\n  hello:\n    handler: handler.hello\n"
    )
    project.write("handler.py", "def hello(event, context):\n    return {'keys': sorted(event)}\n")
    result = project.fn("invoke", "--local", "-f", "hello", "--event", kind)
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout[result.stdout.index("{") :])
    assert key in answer["keys"]
