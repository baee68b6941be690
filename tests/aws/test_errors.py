"""Errors a newcomer can act on. Real botocore credential resolution and the moto server where they can show
the failure (no credentials, unknown profile, SSO never logged in, a region that does not exist); AWS answers
moto cannot give (AccessDenied, expired tokens) are fed as botocore exceptions to our own mapping function."""

from __future__ import annotations

import pytest
from botocore import exceptions as bx

from fnship.aws.errors import explain, region_problem
from fnship.errors import AwsError, FnError, InputError
from tests.conftest import HELLO_HANDLER

MANIFEST = """\
service: demo
provider:
  name: aws
  region: {region}
functions:
  hello:
    handler: handler.hello
"""


@pytest.fixture
def service(project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", MANIFEST.format(region="us-east-1"))
    return project


@pytest.fixture
def no_credentials(moto, tmp_path, monkeypatch):
    """The moto endpoint, but no credentials anywhere botocore looks (and no instance metadata to wait for)."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws" / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws" / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    return tmp_path / "aws"


def test_no_credentials_says_what_was_tried_and_how_to_fix_it(service, no_credentials):
    result = service.fn("plan")
    assert result.exit_code == 1
    assert "No AWS credentials found" in result.stderr
    assert "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (not set)" in result.stderr
    assert "profile 'default'" in result.stderr and "credentials (not found)" in result.stderr
    assert "--local" in result.stderr and "aws configure" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_credentials_names_the_profile_that_was_used(service, no_credentials, monkeypatch):
    no_credentials.mkdir()
    (no_credentials / "config").write_text("[profile ci]\nregion = us-east-1\n")
    result = service.fn("plan", "--profile", "ci", "--json")
    assert result.exit_code == 1
    assert "profile 'ci'" in result.json["error"]["message"]
    assert "--profile ci" in result.json["error"]["hint"]


def test_an_unknown_profile_is_bad_input_listing_the_profiles_there_are(service, no_credentials):
    no_credentials.mkdir()
    (no_credentials / "config").write_text("[profile dev]\nregion = us-east-1\n[profile prod]\nregion = us-east-1\n")
    result = service.fn("plan", "--profile", "staging")
    assert result.exit_code == 2
    assert "'staging'" in result.stderr and "dev, prod" in result.stderr


def test_an_sso_profile_never_logged_in_says_to_run_aws_sso_login(service, no_credentials, tmp_path, monkeypatch):
    no_credentials.mkdir()
    (no_credentials / "config").write_text(
        "[profile dev]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 123456789012\nsso_role_name = Deployer\nregion = us-east-1\n"
    )
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.aws/sso/cache: the token was never fetched
    result = service.fn("plan", "--profile", "dev")
    assert result.exit_code == 1
    assert "SSO session of profile 'dev'" in result.stderr
    assert "aws sso login --profile dev" in result.stderr


def test_a_region_that_does_not_exist_is_bad_input_before_any_call(service, moto):
    moto.start_recording()
    result = service.fn("deploy", "--yes", "--region", "us-esat-1")
    requests = moto.stop_recording()
    assert result.exit_code == 2
    assert "'us-esat-1' is not an AWS region" in result.stderr
    assert "did you mean" in result.stderr and "us-east-1," in result.stderr
    assert requests == []


def test_a_wrong_region_in_the_manifest_points_at_its_line(service, moto):
    service.write("serverless.yml", MANIFEST.format(region="eu-nowhere-9"))
    result = service.fn("validate", "--json")
    assert result.exit_code == 2
    (diagnostic,) = result.json["error"]["diagnostics"]
    assert (diagnostic["key"], diagnostic["line"]) == ("provider.region", 4)


def test_known_regions_pass():
    assert region_problem("us-east-1") is None
    assert region_problem("eu-central-2") is None
    assert region_problem("us-gov-west-1") is None


def client_error(code: str, message: str, operation: str) -> bx.ClientError:
    return bx.ClientError({"Error": {"Code": code, "Message": message}}, operation)


def test_access_denied_names_the_iam_action_from_aws_s_message():
    # The shape of AWS's message: https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
    exc = client_error(
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/ci/gh is not authorized to perform: lambda:CreateFunction "
        "on resource: arn:aws:lambda:us-east-1:123456789012:function:demo-dev-hello because no identity-based "
        "policy allows the lambda:CreateFunction action",
        "CreateFunction",
    )
    error = explain(exc, resource="function demo-dev-hello", action="CreateFunction", service="lambda")
    assert isinstance(error, AwsError) and error.exit_code == 1
    assert "missing IAM permission lambda:CreateFunction" in error.message
    assert "arn:aws:lambda:us-east-1:123456789012:function:demo-dev-hello" in error.message
    assert "allow lambda:CreateFunction" in error.hint


def test_access_denied_without_an_action_in_the_message_derives_it_from_the_call():
    exc = client_error("AccessDenied", "Access Denied", "GetResources")
    error = explain(exc, resource="tagged resources", action="GetResources", service="tagging")
    assert "tag:GetResources" in error.message  # the Tagging API's IAM prefix is `tag`, not its signing name


def test_expired_tokens_say_how_to_refresh():
    exc = client_error("ExpiredTokenException", "The security token included in the request is expired", "GetRole")
    error = explain(exc, resource="role r", action="GetRole", service="iam", profile="prod")
    assert "aws sso login --profile prod" in error.hint


def test_an_expired_sso_token_says_to_log_in_again():
    exc = bx.UnauthorizedSSOTokenError()
    error = explain(exc, resource="function f", action="GetFunction", service="lambda", profile="dev")
    assert type(error) is FnError and "aws sso login --profile dev" in error.hint


def test_invalid_credentials_mention_opt_in_regions():
    exc = client_error("UnrecognizedClientException", "The security token included in the request is invalid", "X")
    error = explain(exc, resource="f", action="GetFunction", service="lambda", region="me-south-1")
    assert "me-south-1" in error.hint and "opt-in" in error.hint


def test_an_unreachable_endpoint_in_a_misspelt_region_suggests_the_right_one():
    exc = bx.EndpointConnectionError(endpoint_url="https://lambda.eu-west-7.amazonaws.com/")
    error = explain(exc, resource="f", action="GetFunction", service="lambda", region="eu-west-7")
    assert "not an AWS region" not in error.message and "eu-west-" in error.hint


def test_profile_not_found_is_bad_input():
    error = explain(bx.ProfileNotFound(profile="x"), resource="f", action="GetFunction")
    assert isinstance(error, InputError)


@pytest.mark.parametrize(
    ("service", "operation", "expected"),
    [
        ("s3", "HeadBucket", "s3:ListBucket"),  # S3 says only "Access Denied": the action name is ours to give
        ("s3", "PutBucketNotificationConfiguration", "s3:PutBucketNotification"),
        ("s3", "PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
        ("lambda", "Invoke", "lambda:InvokeFunction"),
        ("lambda", "PublishVersion", "lambda:PublishVersion"),
        ("monitoring", "PutMetricAlarm", "cloudwatch:PutMetricAlarm"),
    ],
)
def test_access_denied_without_an_action_names_the_real_iam_action(service, operation, expected):
    exc = client_error("AccessDenied", "Access Denied", operation)
    error = explain(exc, resource="r", action=operation, service=service)
    assert f"missing IAM permission {expected} " in error.message


def test_an_unknown_profile_from_aws_profile_is_bad_input_too(service, no_credentials, monkeypatch):
    no_credentials.mkdir()
    (no_credentials / "config").write_text("[profile dev]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_PROFILE", "work")
    result = service.fn("plan", "--json")
    assert result.exit_code == 2, result.stdout
    assert result.json["error"]["type"] == "input"
    assert "AWS profile 'work' (set by AWS_PROFILE)" in result.json["error"]["message"]
    assert "profiles found: dev" in result.json["error"]["diagnostics"][0]["hint"]


def test_an_expired_sso_session_says_to_log_in_again(service, no_credentials, tmp_path, monkeypatch):
    """The token cache `aws sso login` writes (~/.aws/sso/cache/<sha1 of the start URL>.json), expired."""
    import hashlib
    import json

    start_url = "https://example.awsapps.com/start"
    no_credentials.mkdir()
    (no_credentials / "config").write_text(
        f"[profile dev]\nsso_start_url = {start_url}\nsso_region = us-east-1\n"
        "sso_account_id = 123456789012\nsso_role_name = Deployer\nregion = us-east-1\n"
    )
    home = tmp_path / "home"
    cache = home / ".aws" / "sso" / "cache" / f"{hashlib.sha1(start_url.encode()).hexdigest()}.json"
    cache.parent.mkdir(parents=True)
    cache.write_text(
        json.dumps(
            {"startUrl": start_url, "region": "us-east-1", "accessToken": "t", "expiresAt": "2020-01-01T00:00:00Z"}
        )
    )
    monkeypatch.setenv("HOME", str(home))
    result = service.fn("plan", "--profile", "dev")
    assert result.exit_code == 1
    assert "SSO session of profile 'dev' has expired" in result.stderr
    assert "aws sso login --profile dev" in result.stderr and "Traceback" not in result.stderr
