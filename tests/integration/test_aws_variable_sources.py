"""`${cf:}`, `${cf(region):}`, `${s3:}` and `${ssm:/aws/reference/secretsmanager/...}` resolved against the real moto
server over HTTP, through the pipeline's own lookups and the adapter (DescribeStacks, GetObject, GetParameter)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import boto3
import pytest

from fnship.errors import InputError
from fnship.pipeline import Options, load
from fnship.secret import Secret
from tests.conftest import Moto

TEMPLATE = {
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}, "Plain": {"Value": "hello"}},
}


def write(root: Path, text: str) -> Path:
    path = root / "serverless.yml"
    path.write_text(textwrap.dedent(text))
    return path


def load_at(path: Path, **options) -> object:
    return load(Options(config=Path(path.name), **options)).manifest


@pytest.fixture(autouse=True)
def _in_the_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # (so locations read serverless.yml:line, as the CLI shows them)


@pytest.fixture
def sources(moto: Moto) -> Moto:
    # create_stack (not a change set): moto gives a stack made so its Outputs (see ../shared/TESTING.md)
    moto.client("cloudformation").create_stack(StackName="shared-dev", TemplateBody=json.dumps(TEMPLATE))
    # the same stack name in another region, for ${cf(eu-west-1):...}
    west = boto3.client(
        "cloudformation",
        endpoint_url=moto.endpoint,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    west_template = {**TEMPLATE, "Outputs": {"Plain": {"Value": "west"}}}
    west.create_stack(StackName="shared-dev", TemplateBody=json.dumps(west_template))
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="config-bucket")
    s3.put_object(Bucket="config-bucket", Key="app/url.txt", Body=b"https://example.com/api")
    secrets = moto.client("secretsmanager")
    secrets.create_secret(Name="db", SecretString=json.dumps({"user": "admin", "password": "hunter2-pw"}))
    secrets.create_secret(Name="token", SecretString="plain-token-value")
    return moto


def test_cf_s3_and_secrets_manager_values(sources: Moto, tmp_path: Path):
    path = write(
        tmp_path,
        """\
        service: svc
        provider:
          name: aws
          environment:
            TOPIC: ${cf:shared-dev.TopicArn}
            WEST: ${cf(eu-west-1):shared-dev.Plain}
            URL: ${s3:config-bucket/app/url.txt}
            TOKEN: ${ssm:/aws/reference/secretsmanager/token}
            DB_PASSWORD: ${self:custom.db.password}
            DB_RAW: ${ssm(raw):/aws/reference/secretsmanager/db}
            MISSING: ${cf:shared-dev.Nope, s3:config-bucket/nope, 'fallback'}
        custom:
          db: ${ssm:/aws/reference/secretsmanager/db}
        functions:
          api:
            handler: app.handler
        """,
    )
    manifest = load_at(path)
    environment = manifest.functions["api"].environment
    assert environment["TOPIC"].startswith("arn:aws:sns:us-east-1:123456789012:shared-dev-Topic-")
    assert environment["WEST"] == "west"
    assert environment["URL"] == "https://example.com/api"
    assert environment["MISSING"] == "fallback"
    for name, value in (("TOKEN", "plain-token-value"), ("DB_PASSWORD", "hunter2-pw")):
        assert isinstance(environment[name], Secret) and environment[name].reveal() == value
    assert isinstance(environment["DB_RAW"], Secret) and json.loads(environment["DB_RAW"].reveal())["user"] == "admin"
    # a secret's JSON is a mapping whose every value is secret: never printed
    assert isinstance(manifest.custom["db"]["user"], Secret)
    assert "hunter2" not in repr(manifest.custom) and "plain-token" not in repr(environment)


def test_missing_stack_object_and_secret_are_input_errors(sources: Moto, tmp_path: Path):
    path = write(
        tmp_path,
        """\
        service: svc
        provider:
          name: aws
        custom:
          a: ${cf:nope-stack.Out}
          b: ${s3:config-bucket/nope.txt}
          c: ${ssm:/aws/reference/secretsmanager/nope}
          d: ${cf:shared-dev.Nope}
        """,
    )
    with pytest.raises(InputError) as caught:
        load_at(path)
    problems = [str(d).split("\n")[0] for d in caught.value.diagnostics]
    assert problems == [
        "serverless.yml:5:6 custom.a: ${cf:nope-stack.Out}: stack nope-stack does not exist in us-east-1",
        "serverless.yml:6:6 custom.b: ${s3:config-bucket/nope.txt}: s3://config-bucket/nope.txt does not exist",
        "serverless.yml:7:6 custom.c: ${ssm:/aws/reference/secretsmanager/nope}: SSM parameter "
        "/aws/reference/secretsmanager/nope does not exist",
        "serverless.yml:8:6 custom.d: ${cf:shared-dev.Nope}: stack shared-dev has no output Nope",
    ]


def test_a_missing_bucket_is_an_aws_error_naming_it(sources: Moto, tmp_path: Path):
    path = write(tmp_path, "service: svc\nprovider:\n  name: aws\ncustom:\n  a: ${s3:no-such-bucket/k}\n")
    with pytest.raises(InputError) as caught:
        load_at(path)
    (problem,) = caught.value.diagnostics
    assert str(problem).startswith("serverless.yml:5:6 custom.a: ${s3:no-such-bucket/k}: ")
    assert "s3://no-such-bucket/k" in str(problem) and "NoSuchBucket" in str(problem)
