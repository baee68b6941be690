"""Issue 13's function settings end to end: SnapStart, logging controls, recursive loop detection, runtime management,
tenant isolation. moto drops or lacks all of them (TESTING.md), so fn talks to tests/lambda_settings_double.py, an HTTP
double in front of the moto server that follows the Lambda and CloudWatch Logs API reference."""

from __future__ import annotations

import json

import pytest

from tests.lambda_settings_double import LambdaSettingsDouble

RUNTIME_ARN = "arn:aws:lambda:us-east-1::runtime:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

SERVICE = """\
service: settings
provider:
  name: aws
  runtime: python3.12
  logs:
    lambda:
      logFormat: JSON
functions:
  api:
    handler: handler.hello
    snapStart: true
    recursiveLoop: allow
    runtimeManagement:
      mode: manual
      arn: {arn}
    logs:
      applicationLogLevel: {level}
      logGroup: /custom/settings-api
      logGroupClass: infrequent_access
  tenants:
    handler: handler.hello
    tenancy:
      mode: per_tenant
{tenants_extra}
"""

HANDLER = "def hello(event, context):\n    return {'ok': True}\n"


@pytest.fixture
def double(moto, monkeypatch):
    served = LambdaSettingsDouble(moto.endpoint).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", served.endpoint)
    yield served
    served.stop()


def write(project, *, level="DEBUG", tenants_extra=""):
    project.write("handler.py", HANDLER)
    project.write("serverless.yml", SERVICE.format(arn=RUNTIME_ARN, level=level, tenants_extra=tenants_extra))


def test_settings_deploy_read_back_and_redeploy_makes_no_call(project, moto, double):
    write(project)
    deployed = project.fn("deploy", "--yes")
    assert deployed.exit_code == 0, deployed.stderr + deployed.stdout

    lam = moto.client("lambda")
    assert double.settings["settings-dev-api"] == {
        "SnapStart": {"ApplyOn": "PublishedVersions"},
        "LoggingConfig": {"LogFormat": "JSON", "LogGroup": "/custom/settings-api",
                          "ApplicationLogLevel": "DEBUG", "SystemLogLevel": "INFO"},
    }  # fmt: skip
    assert double.settings["settings-dev-tenants"]["TenancyConfig"] == {"TenantIsolationMode": "PER_TENANT"}
    assert double.recursion == {"settings-dev-api": "Allow"}
    assert double.runtime == {"settings-dev-api": {"UpdateRuntimeOn": "Manual", "RuntimeVersionArn": RUNTIME_ARN}}
    # The custom group is the one fnship made (with its class), and the role writes there, not to /aws/lambda/.
    assert double.log_classes["/custom/settings-api"] == "INFREQUENT_ACCESS"
    groups = {g["logGroupName"] for g in moto.client("logs").describe_log_groups()["logGroups"]}
    assert "/custom/settings-api" in groups and "/aws/lambda/settings-dev-api" not in groups
    role = lam.get_function(FunctionName="settings-dev-api")["Configuration"]["Role"].rsplit("/", 1)[1]
    policy = json.dumps(moto.client("iam").get_role_policy(RoleName=role, PolicyName="fnship")["PolicyDocument"])
    assert "log-group:/custom/settings-api:*" in policy and "/aws/lambda/" not in policy
    # The SnapStart version was Pending when published: the deploy waited for it before pointing the alias.
    alias = lam.get_alias(FunctionName="settings-dev-api", Name="live")
    assert double.versions[("settings-dev-api", alias["FunctionVersion"])]["reads"] >= 2

    double.calls.clear()
    plan = project.fn("plan")
    assert "No changes" in plan.stdout, plan.stdout
    mutating = moto.mutating_calls_during(lambda: project.fn("deploy", "--yes"))
    assert mutating == []
    assert [call for call in double.calls if call.startswith("PUT")] == []
    plan = project.fn("plan")
    assert "No changes" in plan.stdout, plan.stdout


def test_changed_log_level_is_a_field_level_update_and_a_new_snapshot_version(project, moto, double):
    write(project)
    assert project.fn("deploy", "--yes").exit_code == 0
    write(project, level="WARN")
    plan = project.fn("plan", "--json")
    assert plan.exit_code == 0, plan.stderr
    changes = {c["address"]: c for c in plan.json["plan"]["changes"]}
    fields = {f["path"]: (f["before"], f["after"]) for f in changes["function.api"]["fields"]}
    assert fields == {"logging.application_log_level": ("DEBUG", "WARN")}
    assert project.fn("deploy", "--yes").exit_code == 0
    assert double.settings["settings-dev-api"]["LoggingConfig"]["ApplicationLogLevel"] == "WARN"
    assert "No changes" in project.fn("plan").stdout


def test_plan_says_the_publish_takes_a_snapshot(project, moto, double):
    write(project)
    text = project.fn("plan").stdout
    assert "snapshot taken at publish" in text


def test_removing_recursive_loop_puts_lambda_default_back(project, moto, double):
    write(project)
    assert project.fn("deploy", "--yes").exit_code == 0
    text = (project.root / "serverless.yml").read_text().replace("    recursiveLoop: allow\n", "")
    project.write("serverless.yml", text)
    plan = project.fn("plan", "--json")
    fields = {f["path"]: (f["before"], f["after"]) for f in {c["address"]: c for c in plan.json["plan"]["changes"]}[
        "function.api"]["fields"]}  # fmt: skip
    assert fields["recursive_loop"] == ("Allow", None)  # None: Lambda's default, Terminate
    assert project.fn("deploy", "--yes").exit_code == 0
    assert double.recursion["settings-dev-api"] == "Terminate"
    assert "No changes" in project.fn("plan").stdout


def test_tenancy_change_is_a_replacement_and_remove_leaves_nothing(project, moto, double):
    write(project)
    assert project.fn("deploy", "--yes").exit_code == 0
    text = (
        (project.root / "serverless.yml")
        .read_text()
        .replace("    tenancy:\n      mode: per_tenant\n", "    memorySize: 256\n")
    )
    project.write("serverless.yml", text)
    plan = project.fn("plan")
    assert "-/+" in plan.stdout and "tenancy" in plan.stdout, plan.stdout
    applied = project.fn("deploy", "--yes")
    assert applied.exit_code == 0, applied.stderr + applied.stdout
    assert "TenancyConfig" not in double.settings["settings-dev-tenants"]
    assert moto.client("lambda").get_alias(FunctionName="settings-dev-tenants", Name="live")
    assert "No changes" in project.fn("plan").stdout

    removed = project.fn("remove", "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert moto.client("lambda").list_functions()["Functions"] == []
    groups = moto.client("logs").describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups] == []


STREAMING = """\
service: streams
provider:
  name: aws
  runtime: python3.12
functions:
  chat:
    handler: handler.hello
    url:
      invokeMode: RESPONSE_STREAM
  tenants:
    handler: handler.hello
    tenancy:
      mode: per_tenant
  plain:
    handler: handler.hello
"""


@pytest.fixture
def streams(project, moto, double):
    project.write("handler.py", HANDLER)
    project.write("serverless.yml", STREAMING)
    deployed = project.fn("deploy", "--yes")
    assert deployed.exit_code == 0, deployed.stderr + deployed.stdout
    return project


def test_invoke_prints_a_streamed_response(streams, double):
    double.stream_chunks = [b"data: one\n", b"data: two\n"]
    result = streams.fn("invoke", "-f", "chat")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "data: one\ndata: two\n"
    assert "stream" in double.calls
    as_json = streams.fn("invoke", "-f", "chat", "--json")
    assert as_json.json["payload"] == "data: one\ndata: two\n"


def test_streamed_chunks_are_handed_over_one_by_one(streams, double):
    """Each PayloadChunk reaches the caller on its own, in order, as the event stream yields it."""
    from fnship import invoke
    from fnship.cli.options import load_service

    double.stream_chunks = [b"a", b"bc", b"def"]
    loaded = load_service(config=streams.root / "serverless.yml", stage=None, region=None, profile=None, local=False)
    seen: list[bytes] = []
    result = invoke.invoke_remote(loaded, "chat", b"{}", on_chunk=seen.append)
    assert seen == [b"a", b"bc", b"def"]
    assert result.ok and result.payload == b"abcdef"


def test_invoke_with_a_tenant(streams, double):
    result = streams.fn("invoke", "-f", "tenants", "--tenant", "acme")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"tenant": "acme"}
    assert double.tenants[-1] == "acme"

    missing = streams.fn("invoke", "-f", "tenants")
    assert missing.exit_code == 2
    assert "tenant-isolated" in missing.stderr and "--tenant ID" in missing.stderr
    wrong = streams.fn("invoke", "-f", "plain", "--tenant", "acme")
    assert wrong.exit_code == 2 and "has no `tenancy:`" in wrong.stderr
    bad = streams.fn("invoke", "-f", "tenants", "--tenant", "a;b")
    assert bad.exit_code == 2 and "not a Lambda tenant id" in bad.stderr
    assert double.tenants[-1] == "acme"  # none of the refused ones reached Lambda


REST_STREAM = """\
service: reststream
provider:
  name: aws
  runtime: python3.12
functions:
  chat:
    handler: handler.hello
    events:
      - http:
          method: post
          path: /chat
          response:
            transferMode: {mode}
      - http: GET /status
"""


def test_rest_streamed_method_is_planned_applied_and_read_back(project, moto, double):
    project.write("handler.py", HANDLER)
    project.write("serverless.yml", REST_STREAM.format(mode="STREAM"))
    deployed = project.fn("deploy", "--yes")
    assert deployed.exit_code == 0, deployed.stderr + deployed.stdout
    modes = {key[2]: mode for key, mode in double.transfer_modes.items()}
    assert modes == {"POST": "STREAM", "GET": "BUFFERED"}
    uris = {key[2]: uri for key, uri in double.uris.items()}
    # API Gateway invokes a streamed method with InvokeWithResponseStream, through its own URI:
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html
    assert uris["POST"].endswith(":function:reststream-dev-chat:live/response-streaming-invocations")
    assert uris["POST"].split(":lambda:path/")[1].startswith("2021-11-15/functions/")
    assert uris["GET"].endswith(":function:reststream-dev-chat:live/invocations")
    assert "No changes" in project.fn("plan").stdout

    project.write("serverless.yml", REST_STREAM.format(mode="BUFFERED"))
    plan = project.fn("plan", "--json").json["plan"]
    changed = {c["address"]: c for c in plan["changes"]}
    method = next(c for address, c in changed.items() if c["kind"] == "rest_method")
    assert [(f["path"], f["before"], f["after"]) for f in method["fields"]] == [("transfer_mode", "STREAM", "BUFFERED")]
    assert any(c["kind"] == "rest_stage" for c in changed.values())  # a new deployment carries it
    assert project.fn("deploy", "--yes").exit_code == 0
    assert {key[2]: mode for key, mode in double.transfer_modes.items()}["POST"] == "BUFFERED"
    assert "No changes" in project.fn("plan").stdout


def test_fn_invoke_streams_a_rest_streamed_function(project, moto, double):
    project.write("handler.py", HANDLER)
    project.write("serverless.yml", REST_STREAM.format(mode="stream"))
    assert project.fn("deploy", "--yes").exit_code == 0
    double.stream_chunks = [b"part 1, ", b"part 2"]
    result = project.fn("invoke", "-f", "chat")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "part 1, part 2\n"
