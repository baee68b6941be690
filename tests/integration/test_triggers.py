"""Every trigger type against the moto server: created configuration (read back with boto3), update in place,
removal, and an unchanged redeploy that plans nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ACCOUNT, HELLO_HANDLER, REGION

ALIAS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:svc-dev-api:live"


def prepare_sources(moto) -> dict[str, str]:
    """Queues and streams the service consumes but does not own."""
    sqs = moto.client("sqs")
    url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(QueueName="dlq")
    table = moto.client("dynamodb").create_table(
        TableName="todos",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return {"queue": queue, "stream": table["TableDescription"]["LatestStreamArn"]}


MANIFEST = """\
service: svc
provider:
  name: aws
  httpApi:
    cors: true
functions:
  api:
    handler: handler.hello
    url: true
    events:
      - httpApi: GET /todos
      - httpApi:
          method: POST
          path: /todos/{{id}}
      - http:
          method: get
          path: items/{{id}}
          cors: true
      - sqs:
          arn: {queue}
          batchSize: 5
      - sns: alerts
      - s3:
          bucket: svc-uploads
          rules:
            - prefix: in/
      - schedule: rate(5 minutes)
      - eventBridge:
          pattern:
            source: [my.app]
      - stream:
          arn: {stream}
          startingPosition: LATEST
"""


def test_every_trigger_is_created_targets_the_alias_and_redeploys_as_no_changes(moto, project):
    sources = prepare_sources(moto)
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", MANIFEST.format(**sources))
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr + result.stdout
    again = project.fn("plan")
    assert again.exit_code == 0, again.stderr
    assert "No changes" in again.stdout, again.stdout
