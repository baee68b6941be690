"""Issue 13's function settings on fnship's own emulator (moto with fnship's patches, a real process): they deploy,
read back (an unchanged redeploy plans nothing), invoke (a streamed response, a tenant), log (JSON platform lines in
a custom log group) and are removed."""

from __future__ import annotations

import json
import sys

from tests.local import test_emulator_runs_functions as runs

client = runs.client
emulator = runs.emulator  # the module's emulator process and its `local` environment: fixtures shared
local = runs.local

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
RUNTIME_ARN = "arn:aws:lambda:us-east-1::runtime:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

SERVICE = f"""\
service: emuset
provider:
  name: aws
  runtime: {RUNTIME}
  logs:
    lambda:
      logFormat: JSON
      logGroup: /emuset/shared
      logGroupClass: INFREQUENT_ACCESS
functions:
  chat:
    handler: handler.chat
    recursiveLoop: allow
    runtimeManagement:
      mode: manual
      arn: {RUNTIME_ARN}
    url:
      invokeMode: RESPONSE_STREAM
  tenants:
    handler: handler.chat
    tenancy:
      mode: per_tenant
    logs:
      logFormat: Text
      logGroup: /emuset/tenants
"""

HANDLER = """\
def chat(event, context):
    print("chatting")
    return "streamed answer"
"""


def test_settings_run_on_the_emulator(project, local):
    project.write("handler.py", HANDLER)
    project.write("serverless.yml", SERVICE)
    deployed = project.fn("deploy", "--yes")
    assert deployed.exit_code == 0, deployed.stderr + deployed.stdout
    config = client(local, "lambda").get_function(FunctionName="emuset-dev-chat")["Configuration"]
    assert config["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": "/emuset/shared",
                                       "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}  # fmt: skip
    lam = client(local, "lambda")
    assert lam.get_function_recursion_config(FunctionName="emuset-dev-chat")["RecursiveLoop"] == "Allow"
    assert lam.get_runtime_management_config(FunctionName="emuset-dev-chat")["RuntimeVersionArn"] == RUNTIME_ARN
    tenancy = lam.get_function(FunctionName="emuset-dev-tenants")["Configuration"]["TenancyConfig"]
    assert tenancy == {"TenantIsolationMode": "PER_TENANT"}
    groups = {g["logGroupName"]: g for g in client(local, "logs").describe_log_groups()["logGroups"]}
    assert groups["/emuset/shared"]["logGroupClass"] == "INFREQUENT_ACCESS"
    assert "/aws/lambda/emuset-dev-chat" not in groups

    again = project.fn("deploy", "--yes")
    assert again.exit_code == 0 and "No changes" in again.stdout, again.stdout

    streamed = project.fn("invoke", "-f", "chat")
    assert streamed.exit_code == 0, streamed.stderr
    assert streamed.stdout.strip() == json.dumps("streamed answer")
    tenant = project.fn("invoke", "-f", "tenants", "--tenant", "acme")
    assert tenant.exit_code == 0, tenant.stderr

    logs = project.fn("logs", "-f", "chat", "--since", "10m", "--json")
    assert logs.exit_code == 0, logs.stderr
    records = [json.loads(line) for line in logs.stdout.splitlines() if line.strip()]
    kinds = [record["kind"] for record in records]
    assert "start" in kinds and "report" in kinds and "end" in kinds, kinds
    assert all(record["log_group"] == "/emuset/shared" for record in records)
    assert any(record["message"] == "chatting" for record in records)

    # Run here (`--local`), the function's lines go where Lambda would put them: its custom group, a stream naming
    # it, START/END/REPORT as JSON platform records.
    assert project.fn("invoke", "-f", "chat", "--local").exit_code == 0
    events = client(local, "logs").filter_log_events(logGroupName="/emuset/shared")["events"]
    reports = [
        e for e in events if e["message"].startswith("{") and json.loads(e["message"])["type"] == "platform.report"
    ]
    assert len(reports) >= 2  # the emulator's run of the deployed version, and the local run
    assert all("/emuset-dev-chat[" in e["logStreamName"] for e in events)

    removed = project.fn("remove", "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert lam.list_functions()["Functions"] == []
    left = [g["logGroupName"] for g in client(local, "logs").describe_log_groups()["logGroups"]]
    assert left == [], left
