"""Sample events, one per trigger type, shaped like the ones AWS sends (`fn event TYPE`, `fn invoke --event`).

Pure: no AWS, no filesystem. The table `SAMPLES` maps a trigger type to its builder; an unknown type is an
input error naming the known ones. Shapes follow the AWS docs linked on each builder (and `sam local
generate-event`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fnship.errors import InputError

ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Where:
    """What makes a sample look like it came from this account and region, at this time."""

    region: str = "us-east-1"
    account_id: str = ACCOUNT
    now_ms: int = 1_700_000_000_000

    @property
    def iso(self) -> str:
        import datetime as dt

        moment = dt.datetime.fromtimestamp(self.now_ms / 1000, tz=dt.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _id(seed: str) -> str:
    """A stable UUID-shaped id, so a sample is the same every time for the same inputs."""
    return str(uuid.UUID(hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()))  # noqa: S324 - not for security


def s3(where: Where) -> dict[str, Any]:
    """https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html"""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": where.region,
                "eventTime": where.iso,
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "EXAMPLE123456789", "x-amz-id-2": "EXAMPLE123/abcdefgh"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "testConfigRule",
                    "bucket": {
                        "name": "example-bucket",
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": "arn:aws:s3:::example-bucket",
                    },
                    "object": {
                        "key": "test/key.json",
                        "size": 1024,
                        "eTag": "0123456789abcdef0123456789abcdef",
                        "sequencer": "0A1B2C3D4E5F678901",
                    },
                },
            }
        ]
    }


def sqs(where: Where) -> dict[str, Any]:
    """https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html"""
    body = json.dumps({"hello": "world"})
    return {
        "Records": [
            {
                "messageId": _id("sqs-message"),
                "receiptHandle": "MessageReceiptHandle",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(where.now_ms),
                    "SenderId": where.account_id,
                    "ApproximateFirstReceiveTimestamp": str(where.now_ms + 2),
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),  # noqa: S324 - SQS's own digest
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{where.region}:{where.account_id}:example-queue",
                "awsRegion": where.region,
            }
        ]
    }


def sns(where: Where) -> dict[str, Any]:
    """https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html"""
    topic = f"arn:aws:sns:{where.region}:{where.account_id}:example-topic"
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic}:{_id('sns-subscription')}",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": where.iso,
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "EXAMPLE",
                    "MessageId": _id("sns-message"),
                    "Message": "Hello from SNS!",
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": "EXAMPLE",
                    "TopicArn": topic,
                    "Subject": "example subject",
                },
            }
        ]
    }


def http(where: Where) -> dict[str, Any]:
    """Serverless's `http` event: API Gateway REST API, Lambda proxy integration (payload format 1.0).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html"""
    return {
        "resource": "/hello",
        "path": "/hello",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "Host": f"example.execute-api.{where.region}.amazonaws.com"},
        "multiValueHeaders": {
            "Content-Type": ["application/json"],
            "Host": [f"example.execute-api.{where.region}.amazonaws.com"],
        },
        "queryStringParameters": {"name": "world"},
        "multiValueQueryStringParameters": {"name": ["world"]},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": where.account_id,
            "apiId": "example",
            "resourcePath": "/hello",
            "httpMethod": "POST",
            "path": "/dev/hello",
            "stage": "dev",
            "requestId": _id("http-request"),
            "requestTimeEpoch": where.now_ms,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "curl/8.0"},
            "protocol": "HTTP/1.1",
        },
        "body": json.dumps({"hello": "world"}),
        "isBase64Encoded": False,
    }


def http_api(where: Where) -> dict[str, Any]:
    """Serverless's `httpApi` event: API Gateway HTTP API (payload format 2.0).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html"""
    return {
        "version": "2.0",
        "routeKey": "POST /hello",
        "rawPath": "/hello",
        "rawQueryString": "name=world",
        "headers": {"content-type": "application/json", "host": f"example.execute-api.{where.region}.amazonaws.com"},
        "queryStringParameters": {"name": "world"},
        "requestContext": {
            "accountId": where.account_id,
            "apiId": "example",
            "domainName": f"example.execute-api.{where.region}.amazonaws.com",
            "domainPrefix": "example",
            "http": {
                "method": "POST",
                "path": "/hello",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "curl/8.0",
            },
            "requestId": _id("httpapi-request"),
            "routeKey": "POST /hello",
            "stage": "$default",
            "time": "14/Nov/2023:22:13:20 +0000",
            "timeEpoch": where.now_ms,
        },
        "body": base64.b64encode(json.dumps({"hello": "world"}).encode()).decode(),
        "isBase64Encoded": True,
    }


def schedule(where: Where) -> dict[str, Any]:
    """EventBridge scheduled event (`schedule: rate(...)`).
    https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html"""
    return {
        "version": "0",
        "id": _id("schedule"),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": where.account_id,
        "time": where.iso[:19] + "Z",
        "region": where.region,
        "resources": [f"arn:aws:events:{where.region}:{where.account_id}:rule/example-rule"],
        "detail": {},
    }


def dynamodb(where: Where) -> dict[str, Any]:
    """DynamoDB Streams (`stream:` with a DynamoDB stream ARN). https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html"""
    table = f"arn:aws:dynamodb:{where.region}:{where.account_id}:table/example-table"
    return {
        "Records": [
            {
                "eventID": "1",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": where.region,
                "dynamodb": {
                    "ApproximateCreationDateTime": where.now_ms // 1000,
                    "Keys": {"Id": {"N": "101"}},
                    "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
                    "SequenceNumber": "111",
                    "SizeBytes": 26,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": f"{table}/stream/2023-11-14T22:13:20.000",
            }
        ]
    }


SAMPLES: dict[str, Callable[[Where], dict[str, Any]]] = {
    "s3": s3,
    "sqs": sqs,
    "sns": sns,
    "http": http,
    "httpApi": http_api,
    "schedule": schedule,
    "dynamodb": dynamodb,
}


def sample_event(kind: str, where: Where | None = None) -> dict[str, Any]:
    builder = SAMPLES.get(kind)
    if builder is None:
        raise InputError(f"unknown event type {kind!r}", hint=f"choose one of: {', '.join(SAMPLES)}")
    return builder(where or Where())
