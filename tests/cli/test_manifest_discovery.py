"""Without -c, fn finds the manifest as Serverless v3 does: serverless.yml, .yaml, .json (.js/.ts refused)."""

from __future__ import annotations

import json

from tests.conftest import HELLO_SERVICE


def test_serverless_yaml_is_found_without_c(project):
    project.write_hello_service()
    (project.root / "serverless.yml").rename(project.root / "serverless.yaml")
    result = project.fn("validate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("serverless.yaml: valid (demo,")


def test_yml_wins_over_yaml_and_json_as_in_v3(project):
    project.write_hello_service()
    project.write("serverless.yaml", "service: [broken")
    project.write("serverless.json", "{")
    assert project.fn("validate").stdout.startswith("serverless.yml: valid")
    (project.root / "serverless.yml").unlink()
    refused = project.fn("validate")
    assert refused.exit_code == 2 and "serverless.yaml:" in refused.stderr, refused.stderr


def test_serverless_json_is_read_with_its_line_numbers(project):
    project.write_hello_service()
    (project.root / "serverless.yml").unlink()
    doc = {
        "service": "demo",
        "provider": {"name": "aws"},
        "functions": {"hello": {"handler": "handler.hello", "memorySize": 99999}},
    }
    text = json.dumps(doc, indent=2)
    project.write("serverless.json", text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "memorySize" in row)
    column = text.splitlines()[line - 1].index("99999") + 1
    result = project.fn("validate")
    assert result.exit_code == 2
    assert f"serverless.json:{line}:{column} functions.hello.memorySize: 99999 is above" in result.stderr
    doc["functions"]["hello"]["memorySize"] = 256
    project.write("serverless.json", json.dumps(doc))
    assert project.fn("validate").stdout.startswith("serverless.json: valid (demo,")


def test_a_javascript_or_typescript_manifest_is_refused_naming_the_file(project):
    project.write("handler.py", "def hello(event, context):\n    return 1\n")
    project.write("serverless.ts", "export default {service: 'demo'}\n")
    result = project.fn("validate")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "serverless.ts: fnship reads YAML or JSON manifests, not JavaScript/TypeScript" in result.stderr
    project.write("other.js", "module.exports = {}\n")
    assert "other.js: fnship reads YAML or JSON" in project.fn("validate", "-c", "other.js").stderr


def test_no_manifest_and_an_explicit_missing_one_are_file_not_found(project):
    missing = project.fn("validate")
    assert missing.exit_code == 2 and "serverless.yml: file not found" in missing.stderr
    project.write("serverless.yaml", HELLO_SERVICE)
    explicit = project.fn("validate", "-c", "serverless.yml")  # -c is taken as written, as v3 does
    assert explicit.exit_code == 2 and "serverless.yml: file not found" in explicit.stderr
