"""Bad input through the real `fn` process: exit 2, file:line:col and the key on stderr, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

BAD = """\
service: demo
provider:
  name: aws
  memorySize: 20000
functions:
  api:
    handler: handler
    timeout: 0
    runtime: python2.7
"""


@pytest.mark.parametrize("command", ["validate", "plan", "deploy", "package", "info", "remove"])
def test_every_command_reports_all_manifest_problems_with_exit_2(project, command):
    project.write("serverless.yml", BAD)
    result = project.fn_process(command, *(["--yes"] if command in ("deploy", "remove") else []))
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "serverless.yml:4:15 provider.memorySize: 20000 is above the Lambda maximum of 10240 MB" in result.stderr
    assert "serverless.yml:8:14 functions.api.timeout" in result.stderr
    assert "functions.api.runtime" in result.stderr and "functions.api.handler" in result.stderr
    assert result.stdout == ""


def test_missing_manifest_is_bad_input(project):
    result = project.fn_process("plan", "-c", "nope.yml")
    assert result.exit_code == 2
    assert "nope.yml" in result.stderr and "Traceback" not in result.stderr


def test_yaml_syntax_error_names_the_line(project):
    project.write("serverless.yml", "service: demo\nprovider:\n  name: aws\n functions: [\n")
    result = project.fn_process("validate")
    assert result.exit_code == 2
    assert "serverless.yml:4:" in result.stderr


def test_unknown_function_is_bad_input(project):
    project.write("serverless.yml", "service: demo\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: h.h\n")
    result = project.fn("deploy", "-f", "nope", "--yes")
    assert result.exit_code == 2
    assert "function nope is not in serverless.yml" in result.stderr and "api" in result.stderr


def test_json_mode_reports_the_error_as_json_too(project):
    project.write("serverless.yml", BAD)
    result = project.fn("validate", "--json")
    assert result.exit_code == 2
    assert result.json["ok"] is False and result.json["error"]["exit_code"] == 2
    assert "20000" in result.json["error"]["message"]


def test_version_is_instant_and_complete(project):
    result = project.fn_process("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("fnship ") and "Python 3." in result.stdout and "boto3 " in result.stdout
    import platform
    from importlib import metadata

    from fnship import __version__

    # Read without importlib.metadata or platform (start-up), saying what they say.
    expected = f"fnship {__version__} (Python {platform.python_version()}, boto3 {metadata.version('boto3')})"
    assert result.stdout.strip() == expected


def test_a_closed_output_pipe_is_not_reported_as_a_bug(project):
    """`fn validate | head -0`: the reader is gone before fn writes; fn stops quietly, as any Unix tool."""
    project.write("serverless.yml", "service: demo\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: h.h\n")
    project.write("h.py", "def h(event, context):\n    return 1\n")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "fnship", "validate"],
            cwd=project.root,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert completed.returncode == 1
    assert completed.stderr == ""
