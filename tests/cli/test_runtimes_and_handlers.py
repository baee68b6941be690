"""`fn validate`, `fn package` and `fn plan` on runtimes (the catalogue, the deprecation dates) and handlers that
must exist: exit 2 with file:line:col, nothing built or deployed."""

from __future__ import annotations

import datetime as dt

from fnship import runtimes


def service(runtime: str, handler: str = "handler.hello") -> str:
    head = f"service: demo\nprovider:\n  name: aws\n  runtime: {runtime}\n"
    return head + f"functions:\n  hello:\n    handler: {handler}\n"


def test_new_runtimes_from_botocore_are_accepted(project):
    project.write("handler.py", "def hello(event, context):\n    return 1\n")
    project.write("api.mjs", "export const handler = async () => 1;\n")
    for runtime, handler in (("python3.14", "handler.hello"), ("nodejs24.x", "api.handler")):
        project.write("serverless.yml", service(runtime, handler))
        result = project.fn("validate")
        assert result.exit_code == 0, result.stderr


def test_a_preview_runtime_is_accepted_with_a_note(project):
    project.write("handler.py", "def hello(event, context):\n    return 1\n")
    project.write("serverless.yml", service("python3.15"))
    result = project.fn("validate", "--json")
    assert result.exit_code == 0
    assert any("python3.15 is in preview" in note for note in result.json["notes"])


def test_a_runtime_past_its_block_update_date_is_refused(project):
    project.write("handler.py", "def hello(event, context):\n    return 1\n")
    project.write("serverless.yml", service("python3.6"))
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "serverless.yml:4:12 provider.runtime: runtime python3.6 is deprecated" in result.stderr
    assert "since 2022-07-18" in result.stderr and "use python3.14" in result.stderr


def test_missing_handler_file_is_refused_by_validate_and_package(project):
    project.write("serverless.yml", service("python3.14", "src/app.main"))
    project.write("README.md", "docs\n")
    for command in ("validate", "package"):
        result = project.fn(command)
        assert result.exit_code == 2, result.stderr
        assert "serverless.yml:7:14 functions.hello.handler: handler src/app.main: no src/app.py" in result.stderr
    assert not (project.root / ".fn" / "build").exists() or not list((project.root / ".fn" / "build").rglob("*.zip"))


def test_handler_function_missing_from_the_module_is_refused(project):
    project.write("serverless.yml", service("nodejs24.x", "src/api.handler"))
    project.write("src/api.js", "exports.main = async () => 1;\n")
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "handler src/api.handler: src/api.js does not define handler" in result.stderr


def test_handler_excluded_by_patterns_is_refused(project):
    project.write("handler.py", "def hello(event, context):\n    return 1\n")
    project.write("serverless.yml", service("python3.14") + "package:\n  patterns: ['!handler.py']\n")
    result = project.fn("validate")
    assert result.exit_code == 2 and "no handler.py" in result.stderr


def test_handler_in_a_layer_is_found(project):
    project.write("layer/python/shared_handler.py", "def hello(event, context):\n    return 1\n")
    project.write("app.py", "x = 1\n")
    project.write(
        "serverless.yml",
        "service: demo\nprovider:\n  name: aws\n  runtime: python3.14\nlayers:\n  shared:\n    path: layer\n"
        "functions:\n  hello:\n    handler: shared_handler.hello\n    layers: [shared]\n",
    )
    result = project.fn("validate")
    assert result.exit_code == 0, result.stderr


def test_creating_a_function_on_a_create_blocked_runtime_is_refused_by_plan(project, moto, monkeypatch):
    project.write("handler.py", "def hello(event, context):\n    return 1\n")
    project.write("serverless.yml", service("python3.14"))
    monkeypatch.setitem(
        runtimes.DEPRECATIONS,
        "python3.14",
        runtimes.Deprecation(dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2099, 1, 1), "python3.15"),
    )
    result = project.fn("plan")
    assert result.exit_code == 2, result.stderr
    assert (
        "serverless.yml:4:12 provider.runtime: function hello would be created with runtime python3.14, which "
        "Lambda blocks for new functions since 2026-02-01"
    ) in result.stderr
    assert "use python3.15" in result.stderr
    assert moto.client("lambda").list_functions()["Functions"] == []


def test_invoke_local_on_a_runtime_without_a_local_runner_names_those_that_run(project):
    project.write("serverless.yml", service("java21", "example.Handler::handleRequest"))
    project.write("Handler.java", "class Handler {}\n")
    result = project.fn("invoke", "--local")
    assert result.exit_code == 2
    assert "runtime java21 has no local runner: fn invoke --local runs python* runtimes and nodejs* runtimes" in (
        result.stderr
    )
