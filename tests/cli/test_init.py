"""`fn init`: listing, rendering with StrictUndefined, refusing non-empty directories, finding the blueprints
from a source checkout and from an installed wheel."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fnship import init as scaffold
from fnship.errors import FnError, InputError
from fnship.manifest.loader import load_text

BLUEPRINTS = [b.name for b in scaffold.list_blueprints()]


def test_no_argument_lists_the_blueprints(project):
    result = project.fn("init")
    assert result.exit_code == 0
    for name in BLUEPRINTS:
        assert name in result.stdout
    listed = project.fn("init", "--json").json
    assert listed["schema"] == 1 and listed["command"] == "init" and listed["ok"] is True
    assert [b["name"] for b in listed["blueprints"]] == BLUEPRINTS
    assert all(b["description"] for b in listed["blueprints"])


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_every_blueprint_makes_the_promised_files_and_they_parse(blueprint, tmp_path):
    files = scaffold.render(scaffold.find_blueprint(blueprint), tmp_path, scaffold.variables("svc-a"))
    promised = ("serverless.yml", "handler.py", "requirements.txt", "tests/test_handler.py", "README.md")
    if blueprint == "node-http-api":
        promised = ("serverless.yml", "src/api.ts", "package.json", "tsconfig.json", "tests/api.test.ts", "README.md")
        assert json.loads((tmp_path / "package.json").read_text())["name"] == "svc-a"
    for expected in promised:
        assert expected in files
    assert "blueprint.json" not in files and not any(f.endswith(".j2") for f in files)
    manifest = load_text((tmp_path / "serverless.yml").read_text(), file="serverless.yml").data  # (`!GetAtt`)
    assert manifest["service"] == "svc-a" and manifest["provider"]["name"] == "aws"
    for python in tmp_path.rglob("*.py"):
        ast.parse(python.read_text(), filename=str(python))  # blueprints/ is not linted: at least it compiles
    assert "svc-a" in (tmp_path / "README.md").read_text()


def test_the_service_name_defaults_to_the_directory_without_a_terminal(project):
    result = project.fn("init", "http-api", "My Orders_API", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json["service"] == "my-orders-api"
    assert "service: my-orders-api" in (project.root / "My Orders_API" / "serverless.yml").read_text()


def test_a_non_empty_directory_is_refused_unless_forced(project):
    project.write("svc/notes.txt", "mine")
    refused = project.fn("init", "http-api", "svc", "--name", "svc")
    assert refused.exit_code == 2
    assert "is not empty (notes.txt)" in refused.stderr and "--force" in refused.stderr
    assert sorted(p.name for p in (project.root / "svc").iterdir()) == ["notes.txt"]

    forced = project.fn("init", "http-api", "svc", "--name", "svc", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert (project.root / "svc" / "serverless.yml").is_file()
    assert (project.root / "svc" / "notes.txt").read_text() == "mine"


def test_an_unknown_blueprint_or_bad_name_is_bad_input(project):
    unknown = project.fn("init", "graphql", "x")
    assert unknown.exit_code == 2 and "http-api" in unknown.stderr
    bad = project.fn("init", "http-api", "x", "--name", "9lives")
    assert bad.exit_code == 2 and "start with a letter" in bad.stderr
    assert not (project.root / "x").exists()


def test_human_output_goes_to_stderr_and_json_to_stdout(project):
    human = project.fn("init", "scheduled-job", "job", "--name", "job")
    assert human.stdout == ""
    assert "Next steps" in human.stderr and "fn deploy" in human.stderr


def make_blueprint(root: Path, name: str, template: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "blueprint.json").write_text(json.dumps({"description": "test"}))
    (root / name / "serverless.yml.j2").write_text(template)


def test_an_undefined_variable_fails_loudly_and_writes_nothing(tmp_path):
    make_blueprint(tmp_path / "bp", "broken", "service: {{ service }}\nregion: {{ regoin }}\n")
    blueprint = scaffold.find_blueprint("broken", root=tmp_path / "bp")
    with pytest.raises(FnError, match="regoin"):
        scaffold.render(blueprint, tmp_path / "out", scaffold.variables("svc"))
    assert not (tmp_path / "out").exists()


def test_blueprints_are_found_in_a_wheel_layout_and_in_a_source_checkout(tmp_path):
    source = Path(scaffold.__file__).resolve().parent.parent / "blueprints"
    # An installed wheel: fnship/blueprints/ inside the package (pyproject force-includes it there).
    wheel_package = tmp_path / "site-packages" / "fnship"
    shutil.copytree(source, wheel_package / "blueprints")
    assert scaffold.blueprints_dir(wheel_package) == wheel_package / "blueprints"
    # A source checkout: blueprints/ next to the package.
    checkout = tmp_path / "checkout"
    (checkout / "fnship").mkdir(parents=True)
    shutil.copytree(source, checkout / "blueprints")
    assert scaffold.blueprints_dir(checkout / "fnship") == checkout / "blueprints"
    with pytest.raises(FnError, match="no blueprints"):
        scaffold.blueprints_dir(tmp_path / "empty" / "fnship")


def test_an_installed_wheel_carries_the_blueprints_and_init_uses_them(tmp_path):
    hatchling = pytest.importorskip("hatchling.builders.wheel")
    repo = Path(scaffold.__file__).resolve().parent.parent
    wheel = Path(next(iter(hatchling.WheelBuilder(str(repo)).build(directory=str(tmp_path), versions=["standard"]))))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    assert (site / "fnship" / "blueprints" / "http-api" / "serverless.yml.j2").is_file()
    assert (site / "fnship" / "blueprints" / "node-http-api" / "src" / "api.ts").is_file()
    assert (site / "fnship" / "local" / "node_shim.cjs").is_file()  # the Node.js runtime shim ships in the wheel
    script = (
        "import fnship.init as s, pathlib; "
        "print(s.blueprints_dir()); "
        "s.render(s.find_blueprint('sqs-worker'), pathlib.Path('out'), s.variables('from-wheel'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(site / "fnship" / "blueprints")
    assert "service: from-wheel" in (tmp_path / "out" / "serverless.yml").read_text()


@pytest.mark.parametrize(("directory", "expected"), [("orders", "orders"), ("My App_2", "my-app-2"), ("2fast", "fast")])
def test_service_names_from_directories(tmp_path, directory, expected):
    assert scaffold.service_name_from(tmp_path / directory) == expected
    scaffold.check_service_name(expected)


def test_check_service_name_rejects_bad_names():
    with pytest.raises(InputError):
        scaffold.check_service_name("has_underscore")


def test_on_a_terminal_the_service_name_is_asked(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from fnship.cli import console
    from fnship.cli.app import build_app

    monkeypatch.setattr(console, "interactive", lambda: True)  # CliRunner's streams are not TTYs
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(build_app(), ["init", "http-api", "svc"], input="billing\n")
    assert result.exit_code == 0, result.output
    assert "Service name [svc]" in result.stderr
    assert "service: billing" in (tmp_path / "svc" / "serverless.yml").read_text()


def test_on_a_terminal_a_bad_service_name_is_asked_again(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from fnship.cli import console
    from fnship.cli.app import build_app

    monkeypatch.setattr(console, "interactive", lambda: True)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(build_app(), ["init", "http-api", "svc"], input="My Billing\nbilling\n")
    assert result.exit_code == 0, result.output
    assert "'My Billing' is not a valid service name" in result.stderr
    assert result.stderr.count("Service name [svc]") == 2
    assert "service: billing" in (tmp_path / "svc" / "serverless.yml").read_text()
