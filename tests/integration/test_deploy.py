"""The spine end to end: the real `fn` against a moto server, checked with boto3."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.conftest import ACCOUNT, HELLO_HANDLER

MANIFEST = """\
service: demo
provider:
  name: aws
  runtime: python3.12
  memorySize: 256
  logRetentionInDays: 14
  environment:
    STAGE: ${sls:stage}
  tags:
    team: core
  iam:
    role:
      statements:
        - Effect: Allow
          Action: dynamodb:GetItem
          Resource: arn:aws:dynamodb:${aws:region}:${aws:accountId}:table/orders
functions:
  hello:
    handler: handler.hello
    timeout: 10
    environment:
      GREETING: hi
  world:
    handler: handler.world
    architecture: arm64
    iam:
      role:
        statements:
          - Effect: Allow
            Action: s3:GetObject
            Resource: arn:aws:s3:::demo-bucket/*
"""


@pytest.fixture
def service(project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", MANIFEST)
    return project


def deploy(project, *args):
    result = project.fn("deploy", "--yes", *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def test_first_deploy_creates_roles_functions_versions_aliases_and_log_groups(moto, service):
    deploy(service)
    lam, iam, logs = moto.client("lambda"), moto.client("iam"), moto.client("logs")

    config = lam.get_function(FunctionName="demo-dev-hello")
    assert config["Configuration"]["MemorySize"] == 256
    assert config["Configuration"]["Timeout"] == 10
    assert config["Configuration"]["Runtime"] == "python3.12"
    assert config["Configuration"]["Environment"]["Variables"] == {"STAGE": "dev", "GREETING": "hi"}
    assert config["Tags"] == {
        "team": "core",
        "fnship:service": "demo",
        "fnship:stage": "dev",
        "fnship:function": "hello",
        "fnship:secret-env": "",  # none of its variables is a secret (so a plan may show a removed one's value)
    }
    assert lam.get_function(FunctionName="demo-dev-world")["Configuration"]["Architectures"] == ["arm64"]

    alias = lam.get_alias(FunctionName="demo-dev-hello", Name="live")
    assert alias["FunctionVersion"] == "1"
    versions = [v for v in lam.list_versions_by_function(FunctionName="demo-dev-hello")["Versions"]]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]
    assert versions[1]["Description"].startswith("fnship ")

    role_name = "demo-dev-world-us-east-1-lambdaRole"
    role = iam.get_role(RoleName=role_name)["Role"]
    assert role["Path"] == "/fnship/demo/dev/"
    assert config["Configuration"]["Role"].endswith("/demo-dev-hello-us-east-1-lambdaRole")
    policy = iam.get_role_policy(RoleName=role_name, PolicyName="fnship")["PolicyDocument"]
    assert policy["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/demo-dev-world:*",
        },
        {
            "Action": "dynamodb:GetItem",
            "Effect": "Allow",
            "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders",
        },
        {"Action": "s3:GetObject", "Effect": "Allow", "Resource": "arn:aws:s3:::demo-bucket/*"},
    ]
    hello_policy = iam.get_role_policy(RoleName="demo-dev-hello-us-east-1-lambdaRole", PolicyName="fnship")
    assert "s3:GetObject" not in json.dumps(hello_policy["PolicyDocument"]), "statements stay per function"
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role_name)["Tags"]}
    assert tags["fnship:service"] == "demo" and tags["fnship:stage"] == "dev"

    group = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/demo-dev-hello")["logGroups"][0]
    assert group["retentionInDays"] == 14


def test_unchanged_redeploy_says_no_changes_and_makes_no_mutating_call(moto, service):
    deploy(service)
    results = []
    mutating = moto.mutating_calls_during(lambda: results.append(service.fn("deploy", "--yes")))
    assert results[0].exit_code == 0
    assert "No changes" in results[0].stdout
    assert mutating == []


def test_configuration_change_updates_in_place_and_publishes_one_new_version(moto, service):
    deploy(service)
    service.write("serverless.yml", MANIFEST.replace("memorySize: 256", "memorySize: 512"))
    plan = service.fn("plan")
    assert "~ function.hello" in plan.stdout
    assert "memory_size: 256 -> 512" in plan.stdout
    assert 'version: "1" -> (known after apply)' in plan.stdout
    deploy(service)
    lam = moto.client("lambda")
    assert lam.get_function(FunctionName="demo-dev-hello")["Configuration"]["MemorySize"] == 512
    alias = lam.get_alias(FunctionName="demo-dev-hello", Name="live")
    assert alias["FunctionVersion"] == "2"
    served = lam.get_function(FunctionName="demo-dev-hello", Qualifier="live")["Configuration"]
    assert served["MemorySize"] == 512


def test_code_change_uploads_new_code_and_moves_the_alias(moto, service):
    deploy(service)
    before = moto.client("lambda").get_function(FunctionName="demo-dev-hello")["Configuration"]["CodeSha256"]
    service.write("handler.py", HELLO_HANDLER + "\n# changed\n")
    deploy(service)
    lam = moto.client("lambda")
    after = lam.get_function(FunctionName="demo-dev-hello")["Configuration"]["CodeSha256"]
    assert after != before
    assert lam.get_function(FunctionName="demo-dev-hello", Qualifier="live")["Configuration"]["CodeSha256"] == after


def test_deploy_one_function_leaves_the_others_alone(moto, service):
    deploy(service)
    service.write("serverless.yml", MANIFEST.replace("memorySize: 256", "memorySize: 384"))
    result = deploy(service, "-f", "world")
    assert "function.hello" not in result.stdout
    lam = moto.client("lambda")
    assert lam.get_function(FunctionName="demo-dev-world")["Configuration"]["MemorySize"] == 384
    assert lam.get_function(FunctionName="demo-dev-hello")["Configuration"]["MemorySize"] == 256


def test_function_removed_from_manifest_is_destroyed_with_its_role_and_log_group(moto, service):
    deploy(service)
    service.write("serverless.yml", MANIFEST.split("  world:")[0])
    plan = service.fn("plan")
    assert "- function.world" in plan.stdout and "- role.world" in plan.stdout and "- log_group.world" in plan.stdout
    deploy(service)
    names = [f["FunctionName"] for f in moto.client("lambda").list_functions()["Functions"]]
    assert names == ["demo-dev-hello"]
    roles = [r["RoleName"] for r in moto.client("iam").list_roles(PathPrefix="/fnship/")["Roles"]]
    assert roles == ["demo-dev-hello-us-east-1-lambdaRole"]


def test_remove_deletes_exactly_what_this_service_and_stage_own(moto, service):
    deploy(service)
    deploy(service, "--stage", "prod")
    other = moto.client("lambda")
    removal = service.fn("remove", "--yes")
    assert removal.exit_code == 0, removal.stderr
    names = sorted(f["FunctionName"] for f in other.list_functions()["Functions"])
    assert names == ["demo-prod-hello", "demo-prod-world"]
    groups = [g["logGroupName"] for g in moto.client("logs").describe_log_groups()["logGroups"]]
    assert groups == ["/aws/lambda/demo-prod-hello", "/aws/lambda/demo-prod-world"]
    roles = [r["RoleName"] for r in moto.client("iam").list_roles(PathPrefix="/fnship/demo/dev/")["Roles"]]
    assert roles == []
    again = service.fn("remove", "--yes")
    assert again.exit_code == 0
    assert "Nothing to remove: no resource carries the tags fnship:service=demo and fnship:stage=dev" in again.stdout
    assert "No changes" not in again.stdout


def test_rerun_after_a_half_applied_deploy_converges(moto, service):
    """A deploy that stopped after the function was updated but before the version: the re-run finishes it."""
    deploy(service)
    lam = moto.client("lambda")
    lam.update_function_configuration(FunctionName="demo-dev-hello", MemorySize=256, Timeout=11)
    service.write("serverless.yml", MANIFEST.replace("timeout: 10", "timeout: 11"))
    plan = service.fn("plan")
    assert "~ alias.hello.live" in plan.stdout and "function.hello" not in plan.stdout
    deploy(service)
    served = lam.get_function(FunctionName="demo-dev-hello", Qualifier="live")["Configuration"]
    assert served["Timeout"] == 11


def test_json_plan_and_deploy_shapes(moto, service):
    plan = service.fn("plan", "--json")
    document = plan.json
    assert document["schema"] == 1 and document["command"] == "plan" and document["ok"] is True
    summary = document["plan"]["summary"]
    assert summary == {"add": 8, "change": 0, "destroy": 0}
    change = next(c for c in document["plan"]["changes"] if c["address"] == "alias.hello.live")
    assert change["fields"] == [{"path": "version", "before": None, "after": "(known after apply)"}]

    deployed = service.fn("deploy", "--yes", "--json").json
    assert deployed["applied"] is True and deployed["failed"] is None and deployed["not_run"] == []
    assert deployed["versions"] == {"alias.hello.live": "1", "alias.world.live": "1"}

    info = service.fn("info", "--json").json
    hello = next(f for f in info["functions"] if f["key"] == "hello")
    assert hello["alias_version"] == "1" and hello["deployed"] is True
    assert hello["role"].endswith("demo-dev-hello-us-east-1-lambdaRole")
    assert [v["version"] for v in hello["versions"]] == ["1"]


def test_plan_exit_code_gates_on_changes(moto, service):
    assert service.fn("plan", "--exit-code").exit_code == 4
    deploy(service)
    assert service.fn("plan", "--exit-code").exit_code == 0


def test_ssm_secure_string_is_deployed_but_never_printed(moto, service):
    moto.client("ssm").put_parameter(Name="/demo/token", Value="s3cr3t-value", Type="SecureString")
    service.write("serverless.yml", MANIFEST.replace("GREETING: hi", "TOKEN: ${ssm:/demo/token}"))
    plan = service.fn("plan")
    deployed = service.fn("deploy", "--yes", "--json")
    assert "s3cr3t-value" not in plan.stdout + plan.stderr + deployed.stdout + deployed.stderr
    assert "environment.TOKEN: (sensitive)" in plan.stdout
    variables = moto.client("lambda").get_function(FunctionName="demo-dev-hello")["Configuration"]["Environment"]
    assert variables["Variables"]["TOKEN"] == "s3cr3t-value"
    assert service.fn("plan", "--exit-code").exit_code == 0, "a redeploy with an unchanged secret has no changes"
    service.write("serverless.yml", MANIFEST)
    removal_plan = service.fn("plan")
    assert "s3cr3t-value" not in removal_plan.stdout
    assert "environment.TOKEN: (sensitive) -> null" in removal_plan.stdout


def test_ssm_parameters_are_read_in_the_region_the_service_deploys_to(moto, service):
    # The parameter lives in eu-west-1 only; the shell's AWS_DEFAULT_REGION is us-east-1.
    boto3.client(
        "ssm",
        endpoint_url=moto.endpoint,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).put_parameter(Name="/demo/greeting", Value="hej", Type="String")
    manifest = MANIFEST.replace("memorySize: 256", "memorySize: 256\n  region: eu-west-1")
    service.write("serverless.yml", manifest.replace("GREETING: hi", "GREETING: ${ssm:/demo/greeting}"))
    planned = service.fn("plan")
    assert planned.exit_code == 0, planned.stderr
    assert 'environment.GREETING: "hej"' in planned.stdout and "eu-west-1" in planned.stdout


def test_info_shows_versions_alias_and_role(moto, service):
    deploy(service)
    info = service.fn("info")
    assert info.exit_code == 0
    assert "alias live -> version 1" in info.stdout
    assert "demo-dev-hello-us-east-1-lambdaRole" in info.stdout


def test_aws_failure_names_the_resource_and_exits_1(moto, service):
    service.write(
        "serverless.yml",
        MANIFEST.replace(
            "handler: handler.world",
            "handler: handler.world\n    layers:\n      - arn:aws:lambda:us-east-1:123456789012:layer:missing:1",
        ),
    )
    result = service.fn("deploy", "--yes")
    assert result.exit_code == 1
    assert "demo-dev-world" in result.stderr
    assert "Traceback" not in result.stderr
    assert "completed" in result.stderr and "not run" in result.stderr


def test_unversioned_service_points_the_alias_at_latest(moto, service):
    service.write(
        "serverless.yml", MANIFEST.replace("  memorySize: 256", "  memorySize: 256\n  versionFunctions: false")
    )
    deploy(service)
    lam = moto.client("lambda")
    assert lam.get_alias(FunctionName="demo-dev-hello", Name="live")["FunctionVersion"] == "$LATEST"
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="demo-dev-hello")["Versions"]] == [
        "$LATEST"
    ]
    assert "No changes" in service.fn("plan").stdout


def test_deployment_bucket_carries_the_code(moto, service):
    moto.client("s3").create_bucket(Bucket="artifacts")
    service.write(
        "serverless.yml", MANIFEST.replace("  memorySize: 256", "  memorySize: 256\n  deploymentBucket: artifacts")
    )
    deploy(service)
    # Besides the zip: the shared build cache's pointer to it (fnship/cache/<input key>.json), not a second copy.
    keys = [o["Key"] for o in moto.client("s3").list_objects_v2(Bucket="artifacts")["Contents"]]
    keys = [k for k in keys if not k.startswith("fnship/cache/")]
    assert len(keys) == 1 and keys[0].startswith("fnship/demo/dev/") and keys[0].endswith(".zip")
    assert "No changes" in service.fn("deploy", "--yes").stdout
