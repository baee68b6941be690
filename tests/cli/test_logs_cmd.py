"""`fn logs`: two functions merged in time order, labels, --json lines, option errors; and `fn event`."""

from __future__ import annotations

import json
import time

import pytest

SERVICE = """\
service: demo
provider:
  name: aws
functions:
  api:
    handler: h.api
  worker:
    handler: h.worker
"""


@pytest.fixture
def service_logs(moto, project):
    project.write("serverless.yml", SERVICE)
    logs = moto.client("logs")
    now = int(time.time() * 1000) - 60_000
    rid = "6bd1a7a4-1234-4d5e-9abc-0123456789ab"
    lines = {
        "api": [(0, f"START RequestId: {rid} Version: 1"), (20, "api says hi"), (40, f"END RequestId: {rid}")],
        "worker": [(10, '{"level":"INFO","message":"job","requestId":"abcdef12-0"}'), (30, "[ERROR] boom")],
    }
    for key, events in lines.items():
        group = f"/aws/lambda/demo-dev-{key}"
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="2024/05/01/[1]abc")
        logs.put_log_events(
            logGroupName=group,
            logStreamName="2024/05/01/[1]abc",
            logEvents=[{"timestamp": now + dt, "message": m} for dt, m in events],
        )
    return project


def test_logs_of_two_functions_merge_in_time_order(service_logs):
    result = service_logs.fn("logs")
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()
    assert [r.split(" ", 2)[2] for r in rows] == [
        "api    6bd1a7a4 START version 1",
        'worker abcdef12 {"level":"INFO","message":"job","requestId":"abcdef12-0"}',
        "api    6bd1a7a4 api says hi",
        "worker -------- [ERROR] boom",
        "api    6bd1a7a4 END",
    ]


def test_one_function_has_no_label_and_json_lines(service_logs):
    result = service_logs.fn("logs", "-f", "worker", "--json")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["kind"] for r in records] == ["json", "log"]
    first = records[0]
    assert first["schema"] == 1 and first["function"] == "worker" and first["data"]["message"] == "job"
    assert set(first) >= {"timestamp", "timestamp_ms", "log_group", "log_stream", "request_id", "message", "level"}
    plain = service_logs.fn("logs", "-f", "worker")
    assert plain.stdout.splitlines()[1].split(" ", 2)[2] == "-------- [ERROR] boom"


def test_errors_stand_out_on_a_terminal(service_logs):
    """stdout is a real terminal (a pty): the error line is red, function labels are coloured, the rest plain."""
    import os
    import pty
    import subprocess
    import sys
    from pathlib import Path

    import fnship

    primary, secondary = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    env.update(TERM="xterm", PYTHONPATH=str(Path(fnship.__file__).resolve().parents[1]))
    child = subprocess.run(
        [sys.executable, "-m", "fnship", "logs"],
        cwd=service_logs.root,
        env=env,
        stdout=secondary,
        stderr=subprocess.PIPE,
        timeout=120,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # Linux answers EIO once the child's side is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert child.returncode == 0, child.stderr
    rows = b"".join(chunks).decode().replace("\r\n", "\n").splitlines()
    error = next(row for row in rows if "[ERROR] boom" in row)
    assert error.startswith("\x1b[31m") and error.endswith("\x1b[0m")  # the whole error line is red
    plain = next(row for row in rows if "api says hi" in row)
    assert "\x1b[31m" not in plain and " \x1b[36mapi\x1b[0m " in plain  # only its label is coloured


def test_filter_and_window(service_logs):
    assert service_logs.fn("logs", "--filter", "boom").stdout.count("\n") == 1
    assert service_logs.fn("logs", "--since", "30s").stdout == ""
    assert service_logs.fn("logs", "--until", "5m").stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "soon"], "--since 'soon'"),
        (["--tail", "--until", "1m"], "--until cannot be used with --tail"),
        (["--since", "5m", "--until", "1h"], "--since 5m is after --until 1h"),
    ],
)
def test_bad_options_exit_2(service_logs, args, message):
    result = service_logs.fn("logs", *args)
    assert result.exit_code == 2 and message in result.stderr


def test_event_command_prints_each_sample(project):
    from fnship.local.events import samples

    for kind in samples():
        result = project.fn("event", kind, "--region", "eu-west-1")
        assert result.exit_code == 0, result.stderr
        assert "eu-west-1" in result.stdout
        json.loads(result.stdout)
    unknown = project.fn("event", "kafka")
    assert unknown.exit_code == 2
    assert "choose one of: httpApi, http, http-authorized, http-authorizer-token, http-authorizer-request, sqs," in (
        unknown.stderr
    )


def test_event_json_document(project):
    doc = project.fn("event", "s3", "--json").json
    assert doc["schema"] == 1 and doc["command"] == "event" and doc["type"] == "s3"
    assert doc["event"]["Records"][0]["eventSource"] == "aws:s3"
