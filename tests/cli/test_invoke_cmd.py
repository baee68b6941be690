"""`fn invoke`: remote (against moto; its "simple" Lambda mode, in a server of its own, scripts the answers)
and local (the handler runs here), its input choices, output and exit codes."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from tests.conftest import aws_env, free_port

SERVICE = """\
service: demo
provider:
  name: aws
  runtime: python{py}
functions:
  hello:
    handler: handler.hello
    timeout: 10  # generous: a loaded CI machine must not time out the quick tests (the timeout test sets 1)
    environment:
      TOKEN: ${{ssm:/demo/token}}
  other:
    handler: handler.other
"""

HANDLER = """\
import os, time

import tinydep


def hello(event, context):
    print("event", event)
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise RuntimeError("it broke")
    return {"dep": tinydep.NAME, "token": os.environ["TOKEN"], "records": len(event.get("Records", []))}


def other(event, context):
    return "other"
"""

PY = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture
def local_service(moto, project, monkeypatch):
    """A service whose handler imports a dependency shipped inside its artifact, and the emulator = moto."""
    monkeypatch.setenv("FN_LOCAL_PORT", moto.port)
    moto.client("ssm").put_parameter(Name="/demo/token", Value="s3cr3t", Type="SecureString")
    project.write("serverless.yml", SERVICE.format(py=PY))
    project.write("handler.py", HANDLER)
    project.write("tinydep/__init__.py", "NAME = 'tinydep 1.0'\n")
    return project


def test_local_invoke_runs_the_built_artifact_and_stores_its_logs(local_service, moto):
    result = local_service.fn("invoke", "--local", "-f", "hello", "--data", '{"a": 1}')
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"dep": "tinydep 1.0", "token": "s3cr3t", "records": 0}
    assert "s3cr3t" not in result.stderr  # the secret reached the handler, not the terminal
    assert "event {'a': 1}" in result.stderr and "REPORT RequestId: " in result.stderr
    logs = moto.client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/demo-dev-hello")["logStreams"]
    assert len(streams) == 1 and "/[$LATEST]" in streams[0]["logStreamName"]
    messages = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/demo-dev-hello")["events"]]
    assert messages[0].startswith("START RequestId: ") and messages[1] == "event {'a': 1}"
    assert messages[-1].startswith("REPORT RequestId: ")

    shown = local_service.fn("logs", "--local", "-f", "hello")
    assert shown.exit_code == 0, shown.stderr
    assert "event {'a': 1}" in shown.stdout and "REPORT " in shown.stdout


def test_local_invoke_writes_log_lines_to_the_emulator_while_the_handler_runs(local_service, moto, tmp_path):
    """As Lambda streams its logs: a line printed early is readable before the invocation ends. The handler waits
    for the test to see its first line; written only at the end, it would be seen too late to release it."""
    release = tmp_path / "release"
    local_service.write(
        "handler.py",
        "import os, time\n\n"
        "def hello(event, context):\n"
        "    print('early line')\n"
        "    while not os.path.exists(event['release']) and context.get_remaining_time_in_millis() > 100:\n"
        "        time.sleep(0.05)\n"
        "    return os.path.exists(event['release'])\n",
    )
    local_service.write("serverless.yml", SERVICE.format(py=PY).replace("timeout: 10", "timeout: 30"))
    logs = moto.client("logs")

    def release_on_first_line() -> None:
        for _ in range(600):
            try:
                events = logs.filter_log_events(logGroupName="/aws/lambda/demo-dev-hello")["events"]
            except logs.exceptions.ResourceNotFoundException:
                events = []
            if any(e["message"] == "early line" for e in events):
                release.write_text("seen")
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=release_on_first_line, daemon=True)
    watcher.start()
    result = local_service.fn("invoke", "--local", "-f", "hello", "--data", json.dumps({"release": str(release)}))
    watcher.join()
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) is True  # released: the line was in the emulator while the handler ran
    messages = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/demo-dev-hello")["events"]]
    assert messages[0].startswith("START ") and messages[1] == "early line" and messages[-1].startswith("REPORT ")
    assert len(logs.describe_log_streams(logGroupName="/aws/lambda/demo-dev-hello")["logStreams"]) == 1


def test_local_invoke_with_a_sample_event_and_json_output(local_service):
    result = local_service.fn("invoke", "--local", "-f", "hello", "--event", "sqs", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json
    assert doc["schema"] == 1 and doc["command"] == "invoke" and doc["ok"] is True
    assert doc["payload"]["records"] == 1 and doc["local"] is True and doc["executed_version"] == "$LATEST"
    assert doc["report"]["memory_mb"] == 1024 and doc["log"].startswith("START RequestId: ")


def test_local_invoke_with_the_rest_authorizer_context_sample(local_service):
    handler = "def handler(event, context):\n    return event['requestContext']['authorizer']\n"
    local_service.write("authorized.py", handler)
    local_service.write("serverless.yml", SERVICE.format(py=PY) + "  authorized:\n    handler: authorized.handler\n")
    result = local_service.fn("invoke", "--local", "-f", "authorized", "--event", "http-authorized", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json["payload"]["principalId"] == "user-123" and result.json["payload"]["tenant"] == "acme"


def test_local_invoke_past_the_timeout_exits_1_with_lambdas_message(local_service):
    local_service.write("serverless.yml", SERVICE.format(py=PY).replace("timeout: 10", "timeout: 1"))
    result = local_service.fn("invoke", "--local", "-f", "hello", "--data", '{"sleep": 5}')
    assert result.exit_code == 1
    assert "Task timed out after 1.00 seconds" in result.stderr
    assert "Error: Sandbox.Timedout: RequestId: " in result.stderr


def test_local_function_error_prints_type_message_and_trace(local_service):
    result = local_service.fn("invoke", "--local", "-f", "hello", "--data", '{"fail": true}')
    assert result.exit_code == 1
    assert "Error: RuntimeError: it broke" in result.stderr
    assert 'raise RuntimeError("it broke")' in result.stderr


def test_event_from_stdin_and_file(local_service):
    local_service.write("event.json", '{"Records": [1, 2]}')
    from_file = local_service.fn("invoke", "--local", "-f", "hello", "--path", "event.json")
    assert json.loads(from_file.stdout)["records"] == 2, from_file.stderr
    from typer.testing import CliRunner

    from fnship.cli.app import build_app

    cwd = os.getcwd()
    os.chdir(local_service.root)
    try:
        piped = CliRunner().invoke(build_app(), ["invoke", "--local", "-f", "hello", "-"], input='{"Records": [1]}')
    finally:
        os.chdir(cwd)
    assert piped.exit_code == 0, piped.stderr
    assert json.loads(piped.stdout)["records"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "hello", "--data", "{not json"], "not valid JSON"),
        (["-f", "hello", "--data", "{}", "--event", "s3"], "--data and --event both give the event"),
        (["-f", "nope"], "function nope is not in serverless.yml"),
        ([], "has 2 functions: say which one"),
        (["-f", "hello", "--event", "kafka"], "unknown event type 'kafka'"),
    ],
)
def test_bad_input_exits_2(local_service, args, message):
    result = local_service.fn("invoke", "--local", *args)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr


def test_remote_invoke_of_a_handler_moto_cannot_run_reports_the_function_error(moto, project):
    """moto's default Lambda mode has no Docker here: Invoke answers FunctionError with its error document."""
    project.write("serverless.yml", "service: demo\nprovider:\n  name: aws\nfunctions:\n  hello:\n    handler: h.x\n")
    project.write("h.py", "def x(e, c):\n    return 1\n")
    assert project.fn("deploy", "--yes").exit_code == 0
    result = project.fn("invoke", "--json")
    assert result.exit_code == 1
    # The in-process moto server prints a Docker warning to this process's stdout: skip to the document.
    doc = json.loads(result.stdout[result.stdout.index('{\n  "schema"') :])
    assert doc["ok"] is False and doc["qualifier"] == "live" and doc["error"]["type"]

    # What reached AWS: the alias by default (or --qualifier), and LogType=Tail only when the log is wanted.
    def sent(*args: str) -> dict:
        moto.start_recording()
        project.fn("invoke", *args)
        (call,) = [r for r in moto.stop_recording() if "/invocations" in r["url"]]
        headers = call["headers"] if isinstance(call["headers"], dict) else ast.literal_eval(call["headers"])
        return {"url": call["url"], **{k.lower(): v for k, v in headers.items()}}

    plain = sent()
    assert "Qualifier=live" in plain["url"] and plain.get("x-amz-log-type") == "None"
    with_log = sent("--log", "--qualifier", "$LATEST")
    assert "Qualifier=%24LATEST" in with_log["url"] and with_log["x-amz-log-type"] == "Tail"


# ---------------------------------------------------------------- simple-mode moto: scripted results


@pytest.fixture(scope="module")
def simple_moto():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    body = json.dumps({"lambda": {"use_docker": False}}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/config", data=body, method="POST")).read()
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


def _script(endpoint: str, *results: str) -> None:
    body = json.dumps({"results": list(results), "region": "us-east-1"}).encode()
    request = urllib.request.Request(f"{endpoint}/moto-api/static/lambda-simple/response", data=body, method="POST")
    urllib.request.urlopen(request).read()


def test_remote_invoke_prints_the_payload_and_the_log(simple_moto, project):
    env = aws_env(simple_moto)
    project.write("serverless.yml", "service: demo\nprovider:\n  name: aws\nfunctions:\n  hello:\n    handler: h.x\n")
    project.write("h.py", "def x(e, c):\n    return 1\n")
    assert project.fn("deploy", "--yes", env=env).exit_code == 0
    _script(simple_moto, json.dumps({"statusCode": 200, "body": "hi"}))
    result = project.fn("invoke", "--data", '{"x": 1}', "--log", env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"statusCode": 200, "body": "hi"}
    assert "Executed version: " in result.stderr


def test_local_invoke_without_the_emulator_still_runs_the_handler(moto, project, monkeypatch):
    monkeypatch.setenv("FN_LOCAL_PORT", str(free_port()))  # nothing listens there
    project.write("serverless.yml", "service: demo\nprovider:\n  name: aws\nfunctions:\n  hello:\n    handler: h.x\n")
    project.write("h.py", "def x(event, context):\n    return {'ok': True}\n")
    result = project.fn("invoke", "--local")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"ok": True}
    assert "the local emulator is not running" in result.stderr


LAYERED = """\
service: demo
provider:
  name: aws
  runtime: python{py}
package:
  patterns:
    - "!moto_recording"
layers:
  base:
    path: base
  override:
    path: override
functions:
  hello:
    handler: handler.hello
    layers:
      - Ref: BaseLambdaLayer
      - override
      - arn:aws:lambda:us-east-1:123456789012:layer:published:3
"""


def test_local_invoke_puts_the_built_layers_on_the_path(moto, project, monkeypatch):
    """As on Lambda, where layers are extracted into /opt in order: the later layer's module wins."""
    monkeypatch.setenv("FN_LOCAL_PORT", moto.port)
    project.write("serverless.yml", LAYERED.format(py=PY))
    project.write("handler.py", "import shared, which\n\ndef hello(event, context):\n    return [shared.X, which.W]\n")
    project.write("base/shared.py", "X = 'from base'\n")
    project.write("base/which.py", "W = 'base'\n")
    project.write("override/which.py", "W = 'override'\n")
    result = project.fn("invoke", "--local")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == ["from base", "override"]
    assert "arn:aws:lambda:us-east-1:123456789012:layer:published:3 are not on the local path" in result.stderr
    assert "base" not in result.stderr.split("are not on the local path")[0].split("layers ")[-1]
