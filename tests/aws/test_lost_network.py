"""A lost network is an error naming the resource and the call, never a raw botocore exception (which the CLI
could only report as "unexpected"): every adapter method that handles AWS's answers itself, against an endpoint
nothing listens on, each call tried once (AWS_MAX_ATTEMPTS=1; botocore would retry after a back-off)."""

from __future__ import annotations

import pytest

from fnship.aws import Aws
from fnship.aws.session import Target
from fnship.errors import FnError
from tests.conftest import free_port

CALLS = {
    "lambda.create_function": lambda aws: aws.lambda_.create_function(
        "f", config={"Role": "arn:aws:iam::123456789012:role/r", "Runtime": "python3.12", "Handler": "h.h"},
        code={"ZipFile": b"x"}, tags={}),
    "lambda.update_configuration": lambda aws: aws.lambda_.update_configuration("f", config={"Timeout": 3}),
    "lambda.get_provisioned_concurrency_or_none": lambda aws: aws.lambda_.get_provisioned_concurrency_or_none(
        "f", "live"),
    "s3.object_exists": lambda aws: aws.s3.object_exists("b", "k"),
    "s3.get_bucket_tags_or_none": lambda aws: aws.s3.get_bucket_tags_or_none("b"),
    "s3.delete_bucket": lambda aws: aws.s3.delete_bucket("b"),
    "s3.put_notifications": lambda aws: aws.s3.put_notifications("b", {}),
    "buckets.exists": lambda aws: aws.buckets.exists("b"),
    "buckets.ensure": lambda aws: aws.buckets.ensure("b", tags={}),
    "ecr.repository_or_none": lambda aws: aws.ecr.repository_or_none("repo"),
    "sqs.visibility_timeout_or_none": lambda aws: aws.sqs.visibility_timeout_or_none(
        "arn:aws:sqs:us-east-1:123456789012:q"),
    "ssm.create_if_absent": lambda aws: aws.ssm.create_if_absent("/x", "1", description="d", tags={}),
}  # fmt: skip


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_lost_network_names_the_call(call, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws = Aws(Target(region="us-east-1", endpoint_url=f"http://127.0.0.1:{free_port()}"), sleep=lambda _s: None)
    with pytest.raises(FnError) as caught:
        CALLS[call](aws)
    message = str(caught.value)
    assert " failed for " in message and "Could not connect to the endpoint URL" in message, message
