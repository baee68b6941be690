"""Addresses are built by constructors and read back through properties, never split by hand. Pure."""

from __future__ import annotations

import pytest

from fnship.model.address import Address


@pytest.mark.parametrize(
    ("address", "text", "head", "function_key"),
    [
        (Address.function("api"), "function.api", "function", "api"),
        (Address.alias("api", "live"), "alias.api.live", "alias", "api"),
        (Address.role("shared"), "role.shared", "role", "shared"),
        (Address.log_group("api"), "log_group.api", "log_group", "api"),
        (Address.invoke_config("api"), "invoke_config.api", "invoke_config", "api"),
        (Address.image("api"), "image.api", "image", "api"),
        (Address.trigger("api", "sqs", "orders"), "trigger.api.sqs.orders", "trigger", "api"),
        (Address.permission("api", "httpApi", "get-todos"), "permission.api.httpApi.get-todos", "permission", "api"),
        (Address.layer("deps"), "layer.deps", "layer", None),
        (Address.http_api(), "http_api", "http_api", None),
        (Address.http_api_authorizer("users"), "http_api.authorizer.users", "http_api", None),
        (Address.rest_stage("dev"), "rest_api.stage.dev", "rest_api", None),
        (Address.topic("alerts"), "topic.alerts", "topic", None),
        (Address.bucket("my.bucket"), "bucket.my.bucket", "bucket", None),
        (Address.repository("serverless-svc-dev"), "repository.serverless-svc-dev", "repository", None),
    ],
)
def test_constructors_and_properties(address, text, head, function_key):
    assert address == text and isinstance(address, str)
    assert address.head == head
    assert address.function_key == function_key


def test_the_parts_of_an_address_come_back_out():
    assert Address.alias("api", "live").alias_name == "live"
    assert Address.trigger("api", "sqs", "orders").event_type == "sqs"
    assert Address.trigger("api", "sqs", "orders").name == "orders"
    # A bucket name may hold dots: its address keeps it whole.
    assert Address.bucket("my.data.bucket").name == "my.data.bucket"
