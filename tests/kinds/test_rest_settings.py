"""The REST API's settings as UpdateRestApi patch operations, as the AWS API reference spells them (moto drops
CreateRestApi's binaryMediaTypes and appends an add operation's value instead of its path's media type, so these
are checked here: https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html)."""

from __future__ import annotations

from fnship.kinds.rest_api import RestApi, api_settings_patch, stored_policy


def api(**settings) -> RestApi:
    return RestApi(endpoint_type="EDGE", paths={}, tags={}, **{"title": "dev-svc", **settings})


def test_binary_media_types_are_added_and_removed_one_path_each_with_slashes_escaped():
    before = api(binary_media_types=("image/png", "application/pdf"))
    after = api(binary_media_types=("image/png", "*/*"))
    assert api_settings_patch(after, before) == [
        {"op": "add", "path": "/binaryMediaTypes/*~1*"},
        {"op": "remove", "path": "/binaryMediaTypes/application~1pdf"},
    ]


def test_name_description_compression_and_policy_are_replaced_and_compression_turned_off_with_an_empty_value():
    before = api(description="a", minimum_compression_size=1024, policy='{"Statement":[]}')
    after = api(description="b", minimum_compression_size=None, policy=None, title="svc-dev")
    assert api_settings_patch(after, before) == [
        {"op": "replace", "path": "/name", "value": "svc-dev"},
        {"op": "replace", "path": "/description", "value": "b"},
        {"op": "replace", "path": "/policy", "value": ""},
        {"op": "replace", "path": "/minimumCompressionSize", "value": ""},
    ]
    assert api_settings_patch(before, before) == []


def test_the_policy_aws_answers_with_escaped_quotes_compares_as_the_one_written():
    written = '{"Statement":[{"Effect":"Allow"}],"Version":"2012-10-17"}'
    assert stored_policy('{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Effect\\":\\"Allow\\"}]}') == written
    assert stored_policy('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}') == written
    assert stored_policy(None) is None
