"""Sample events: each trigger type has the shape its AWS source sends."""

from __future__ import annotations

import json

import pytest

from fnship.errors import InputError
from fnship.local.events import Where, sample_event, samples

WHERE = Where(region="eu-west-1", account_id="210987654321")


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("s3", lambda e: e["Records"][0]["eventSource"] == "aws:s3" and e["Records"][0]["s3"]["object"]["key"]),
        ("sqs", lambda e: e["Records"][0]["eventSourceARN"] == "arn:aws:sqs:eu-west-1:210987654321:example-queue"),
        ("sns", lambda e: e["Records"][0]["Sns"]["TopicArn"].startswith("arn:aws:sns:eu-west-1:210987654321:")),
        ("http", lambda e: e["httpMethod"] == "POST" and e["requestContext"]["accountId"] == "210987654321"),
        ("httpApi", lambda e: e["version"] == "2.0" and e["requestContext"]["http"]["method"] == "POST"),
        ("schedule", lambda e: e["detail-type"] == "Scheduled Event" and e["region"] == "eu-west-1"),
        ("dynamodb", lambda e: e["Records"][0]["eventSource"] == "aws:dynamodb" and e["Records"][0]["dynamodb"]),
    ],
)
def test_each_sample_has_its_sources_shape(kind, check):
    event = sample_event(kind, WHERE)
    assert check(event)
    assert json.loads(json.dumps(event)) == event
    assert sample_event(kind, WHERE) == event  # stable


def test_the_table_covers_every_type_the_issue_names():
    assert {"s3", "sqs", "sns", "http", "schedule", "dynamodb"} <= set(samples())


def test_unknown_type_is_an_input_error():
    with pytest.raises(InputError) as raised:
        sample_event("kafka")
    assert "choose one of" in raised.value.render()


def test_rest_authorizer_samples_carry_what_api_gateway_sends():
    authorized = sample_event("http-authorized", WHERE)
    assert authorized["requestContext"]["authorizer"]["principalId"] == "user-123"
    assert authorized["headers"]["Authorization"] == "Bearer allow"
    token = sample_event("http-authorizer-token", WHERE)
    assert token == {
        "type": "TOKEN",
        "authorizationToken": "Bearer allow",
        "methodArn": "arn:aws:execute-api:eu-west-1:210987654321:example/dev/POST/hello",
    }
    request = sample_event("http-authorizer-request", WHERE)
    assert request["type"] == "REQUEST" and request["methodArn"] == token["methodArn"]
    assert request["httpMethod"] == "POST" and "body" not in request
