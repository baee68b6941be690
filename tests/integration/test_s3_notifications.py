"""A bucket's notification configuration is written once per bucket with its final set of entries: S3 refuses a
configuration whose entries overlap, so a renamed function's new entry may never sit beside its old one.

moto accepts overlapping entries, so the final-set logic is a table test, and against moto only the number and
content of the writes are checked (from moto's request recording). Overlaps across events fail `fn validate`."""

from __future__ import annotations

import pytest

from fnship.kinds.s3 import final_notifications
from fnship.manifest.build import s3_events_overlap
from fnship.triggers.s3 import S3Event
from tests.conftest import HELLO_HANDLER

OLD = {"Id": "fnship-svc-dev-api-svc-uploads", "LambdaFunctionArn": "arn:old", "Events": ["s3:ObjectCreated:*"]}
NEW = {"Id": "fnship-svc-dev-ingest-svc-uploads", "LambdaFunctionArn": "arn:new", "Events": ["s3:ObjectCreated:*"]}
THEIRS = {"Id": "theirs", "LambdaFunctionArn": "arn:theirs", "Events": ["s3:ObjectRemoved:*"]}
QUEUE = {"Id": "queue", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:q", "Events": ["s3:ObjectRestore:*"]}


@pytest.mark.parametrize(
    ("configuration", "put", "remove", "final"),
    [
        # A rename: the new entry in, the old one out, in the same configuration (never both).
        ({"LambdaFunctionConfigurations": [OLD, THEIRS]}, [NEW], [OLD["Id"]],
         {"LambdaFunctionConfigurations": [THEIRS, NEW]}),
        # An update replaces our entry of the same id.
        ({"LambdaFunctionConfigurations": [OLD]}, [{**OLD, "Events": ["s3:ObjectCreated:Put"]}], [],
         {"LambdaFunctionConfigurations": [{**OLD, "Events": ["s3:ObjectCreated:Put"]}]}),
        # The last entry going away leaves no Lambda configurations; queues and topics are kept.
        ({"LambdaFunctionConfigurations": [OLD], "QueueConfigurations": [QUEUE]}, [], [OLD["Id"]],
         {"QueueConfigurations": [QUEUE]}),
        # A first entry on an empty bucket.
        ({}, [NEW], [], {"LambdaFunctionConfigurations": [NEW]}),
    ],
)  # fmt: skip
def test_final_notification_set(configuration, put, remove, final):
    assert final_notifications(configuration, put=put, remove=remove) == final


def event(events=("s3:ObjectCreated:*",), prefix=None, suffix=None, bucket="b"):
    return S3Event(bucket=bucket, events=tuple(events), prefix=prefix, suffix=suffix, existing=False)


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        (event(), event(), True),
        (event(prefix="in/"), event(prefix="in/images/"), True),
        (event(prefix="in/"), event(prefix="out/"), False),
        (event(suffix=".jpg"), event(suffix="jpg"), True),
        (event(suffix=".jpg"), event(suffix=".png"), False),
        (event(prefix="in/", suffix=".jpg"), event(prefix="in/", suffix=".png"), False),
        (event(prefix="in/"), event(suffix=".png"), True),  # in/x.png matches both
        (event(("s3:ObjectCreated:*",)), event(("s3:ObjectCreated:Put",)), True),
        (event(("s3:ObjectCreated:Put",)), event(("s3:ObjectCreated:Post",)), False),
        (event(("s3:ObjectCreated:*",)), event(("s3:ObjectRemoved:*",)), False),
        (event(bucket="a"), event(bucket="b"), False),
    ],
)
def test_overlapping_s3_events(a, b, overlap):
    assert s3_events_overlap(a, b) is overlap
    assert s3_events_overlap(b, a) is overlap


RENAMED = """\
service: svc
provider:
  name: aws
functions:
  {key}:
    handler: handler.hello
    events:
      - s3:
          bucket: svc-uploads
          rules:
            - prefix: in/
  other:
    handler: handler.world
    events:
      - s3:
          bucket: svc-uploads
          rules:
            - prefix: out/
"""


def _notification_writes(records: list[dict]) -> list[str]:
    return [r["url"] for r in records if r["method"] == "PUT" and "notification" in r["url"].split("?", 1)[-1]]


def test_renaming_a_function_writes_the_bucket_s_notifications_once_with_the_final_set(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", RENAMED.format(key="api"))
    first = project.fn("deploy", "--yes")
    assert first.exit_code == 0, first.stderr

    project.write("serverless.yml", RENAMED.format(key="ingest"))
    moto.start_recording()
    result = project.fn("deploy", "--yes")
    records = moto.stop_recording()
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(_notification_writes(records)) == 1
    entries = moto.client("s3").get_bucket_notification_configuration(Bucket="svc-uploads")[
        "LambdaFunctionConfigurations"
    ]
    assert sorted(e["Id"] for e in entries) == ["fnship-svc-dev-ingest-svc-uploads", "fnship-svc-dev-other-svc-uploads"]
    assert "No changes" in project.fn("plan").stdout


OVERLAPPING = """\
service: svc
provider:
  name: aws
functions:
  api:
    handler: handler.hello
    events:
      - s3:
          bucket: svc-uploads
          rules:
            - prefix: in/
  other:
    handler: handler.world
    events:
      - s3:
          bucket: svc-uploads
          event: s3:ObjectCreated:Put
          rules:
            - prefix: in/images/
"""


def test_overlapping_s3_events_across_functions_fail_validate(project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", OVERLAPPING)
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "serverless.yml:15:9 functions.other.events.0: s3 event on bucket svc-uploads overlaps the one of " in (
        result.stderr
    )
    assert "function api at serverless.yml:8:9" in result.stderr
    assert "Traceback" not in result.stderr
