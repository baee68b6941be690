"""Machine output: every command takes --json and --no-color; one JSON document with "schema": 1 on stdout;
human text never mixed into it; exit codes as DESIGN.md says; no prompt, colour or progress without a terminal."""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import sys

import pytest

from fnship.cli import console, progress
from tests.conftest import HELLO_SERVICE


def all_commands():
    """(path, click command) for every leaf command of the app, subcommands included."""
    import typer.main

    from fnship.cli.app import build_app

    root = typer.main.get_command(build_app())
    found = []

    def walk(group, prefix):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                walk(command, (*prefix, name))
            else:
                found.append(((*prefix, name), command))

    walk(root, ())
    return found


def test_every_command_takes_json_and_no_color():
    commands = all_commands()
    names = {" ".join(path) for path, _ in commands}
    assert {"init", "validate", "package", "plan", "deploy", "info", "remove", "local start"} <= names
    for path, command in commands:
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert {"--json", "--no-color"} <= options, path


@pytest.fixture
def service(project):
    project.write_hello_service()
    return project


def test_plan_exit_code_gates_on_changes_and_json_says_so(moto, service):
    changes = service.fn("plan", "--exit-code", "--json")
    assert changes.exit_code == 4
    assert changes.json["schema"] == 1 and changes.json["command"] == "plan" and changes.json["has_changes"] is True
    assert changes.stderr == ""  # --json: nothing for humans, not even progress

    deployed = service.fn("deploy", "--yes", "--json")
    assert deployed.exit_code == 0, deployed.stderr
    assert deployed.json["ok"] is True and deployed.json["applied"] is True
    assert set(deployed.json["versions"].values()) == {"1"}
    assert deployed.stderr == ""

    clean = service.fn("plan", "--exit-code", "--json")
    assert clean.exit_code == 0 and clean.json["has_changes"] is False
    text = service.fn("plan", "--exit-code")
    assert text.exit_code == 0 and "No changes" in text.stdout


def test_human_output_has_no_escape_codes_without_a_terminal(moto, service):
    planned = service.fn("plan")
    assert planned.exit_code == 0
    assert "+ function.hello" in planned.stdout
    assert "\x1b[" not in planned.stdout + planned.stderr
    deployed = service.fn("deploy")  # no --yes: without a terminal nobody can answer, so it goes on
    assert deployed.exit_code == 0, deployed.stderr
    assert "✓ function.create function.hello" in deployed.stderr  # one plain line per step for CI logs
    assert "\x1b[" not in deployed.stdout + deployed.stderr


def test_bad_input_is_exit_2_with_a_json_error_naming_file_line_key(service):
    service.write(
        "serverless.yml",
        HELLO_SERVICE.replace("handler: handler.hello", "handler: handler.hello\n    memorySize: 20000"),
    )
    result = service.fn("validate", "--json")
    assert result.exit_code == 2
    error = result.json["error"]
    assert result.json["ok"] is False and result.json["schema"] == 1
    assert error["type"] == "input" and error["exit_code"] == 2
    (diagnostic,) = error["diagnostics"]
    assert diagnostic["file"].endswith("serverless.yml") and diagnostic["line"] == 7
    assert diagnostic["key"] == "functions.hello.memorySize"
    assert "memorySize" in result.stderr  # humans still read it on stderr


def test_remove_and_info_json_shapes(moto, service):
    assert service.fn("deploy", "--yes").exit_code == 0
    info = service.fn("info", "--json")
    assert info.exit_code == 0
    assert info.json["functions"][0]["alias_version"] == "1"
    removed = service.fn("remove", "--yes", "--json")
    assert removed.exit_code == 0, removed.stderr
    assert removed.json["applied"] is True and removed.json["ok"] is True and removed.json["completed"]
    nothing = service.fn("remove", "--yes", "--json")
    assert nothing.json["applied"] is False


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(console.settings, "no_color", False)
    assert console.color_allowed(Tty()) is True
    assert console.color_allowed(io.StringIO()) is False
    assert console.color_allowed(Tty(), no_color=True) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert console.color_allowed(Tty()) is False


def test_plan_lines_are_coloured_on_a_colour_terminal_only(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(console.settings, "no_color", False)
    for no_color, expect_escapes in ((False, True), (True, False)):
        monkeypatch.setattr(console.settings, "no_color", no_color)
        stdout = Tty()
        monkeypatch.setattr(sys, "stdout", stdout)
        console.out_plan("  + function.hello  (create demo-dev-hello)\nPlan: 1 to add, 0 to change, 0 to destroy.\n")
        assert ("\x1b[" in stdout.getvalue()) is expect_escapes
        assert "+ function.hello" in stdout.getvalue()


def test_ci_means_no_prompt_even_on_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stdin", Tty())
    monkeypatch.setattr(sys, "stderr", Tty())
    monkeypatch.delenv("CI", raising=False)
    assert console.interactive() is True
    monkeypatch.setenv("CI", "true")
    assert console.interactive() is False
    assert console.confirm("Apply?", yes=False) is True  # nobody to ask: no prompt, no hang
    assert console.ask("Service name", default="svc") == "svc"
    assert progress.mode_for(json_mode=False) == progress.LINES
    monkeypatch.delenv("CI")
    monkeypatch.setenv("TERM", "xterm")
    assert progress.mode_for(json_mode=False) == progress.RICH
    assert progress.mode_for(json_mode=True) == progress.QUIET


class Step:
    def __init__(self, type_, address):
        self.type, self.address = type_, address


def test_progress_on_a_terminal_shows_steps_and_elapsed_time():
    from rich.console import Console

    screen = io.StringIO()
    rich_console = Console(file=screen, force_terminal=True, width=100, color_system=None)
    steps = [Step("role.create", "role.hello"), Step("function.create", "function.hello")]
    with progress.StepReporter(len(steps), mode=progress.RICH, label="Deploying", rich_console=rich_console) as report:
        for step in steps:
            report("start", step)
            report("done", step)
    text = screen.getvalue()
    assert "✓ function.create function.hello" in text
    assert "2/2" in text and "0:00:0" in text  # the bar's count and the elapsed time


def test_progress_of_a_large_plan_stays_a_bar_naming_what_is_in_flight():
    """120 functions' steps, reported from several threads (steps run concurrently): no line per finished step,
    a count per step type at the end, and a failure still gets its line."""
    from concurrent.futures import ThreadPoolExecutor

    from rich.console import Console

    screen = io.StringIO()
    rich_console = Console(file=screen, force_terminal=True, width=100, color_system=None)
    steps = [Step("function.create", f"function.f{i}") for i in range(120)]
    broken = Step("alias.create", "alias.f7.live")
    with progress.StepReporter(
        len(steps) + 1, mode=progress.RICH, label="Deploying", rich_console=rich_console
    ) as report:

        def run(step):
            report("start", step)
            report("done", step)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(run, steps))
        report("start", broken)
        report("failed", broken)
    text = screen.getvalue()
    assert "✓ function.create function.f1" not in text
    assert "✓ function.create 120" in text
    assert "✗ alias.create alias.f7.live" in text
    assert "120/121" in text


def test_building_many_artifacts_is_one_line_of_counts():
    from rich.console import Console

    screen = io.StringIO()
    rich_console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    with progress.building(mode=progress.RICH, rich_console=rich_console) as report:
        for i in range(150):
            report("start", f"f{i}.zip")
            report("done", f"f{i}.zip" + (" (cached)" if i % 3 else ""))
    text = screen.getvalue()
    assert "Built artifacts: 50 built, 100 cached" in text
    assert "Built f1.zip" not in text


def test_progress_without_a_terminal_is_one_line_per_step_and_quiet_in_json(capsys):
    step = Step("function.create", "function.hello")
    with progress.StepReporter(1, mode=progress.LINES) as report:
        report("start", step)
        report("done", step)
    with progress.StepReporter(1, mode=progress.QUIET) as report:
        report("done", step)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "  ✓ function.create function.hello\n"


def test_progress_of_a_large_plan_without_a_terminal_says_how_far_it_got_and_counts(capsys):
    """A log of 120 functions' steps, reported from several threads: a line at every tenth of the steps, a count
    per step type at the end, and a failure still named; no line per finished step."""
    from concurrent.futures import ThreadPoolExecutor

    steps = [Step("function.create", f"function.f{i}") for i in range(119)]
    broken = Step("alias.create", "alias.f7.live")
    with progress.StepReporter(len(steps) + 1, mode=progress.LINES, label="Deploying") as report:

        def run(step):
            report("start", step)
            report("done", step)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(run, steps))
        report("start", broken)
        report("failed", broken)
    lines = capsys.readouterr().err.splitlines()
    assert [line for line in lines if "steps done" in line] == [
        f"  Deploying: {n}/120 steps done" for n in (12, 24, 36, 48, 60, 72, 84, 96, 108)
    ]
    assert "  ✗ alias.create alias.f7.live" in lines
    assert lines[-1] == "  ✓ function.create 119"
    assert not any("function.f1" in line for line in lines)


def test_versions_of_many_aliases_are_told_per_version():
    from fnship.cli.views import render_versions

    few = {"alias.a.live": {"version": "3"}, "alias.b.live": {"version": "1"}, "function.a": {"arn": "x"}}
    assert render_versions(few) == ["  alias.a.live -> version 3", "  alias.b.live -> version 1"]
    many = {f"alias.f{i}.live": {"version": "2" if i % 4 else "1"} for i in range(60)}
    assert render_versions(many) == ["  15 aliases -> version 1", "  45 aliases -> version 2"]


def test_local_status_json(project, tmp_path, monkeypatch):
    monkeypatch.setenv("FN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("FN_LOCAL_PORT", "45999")
    result = project.fn("local", "status", "--json")
    assert result.exit_code == 0
    assert result.json == {
        "schema": 1,
        "command": "local status",
        "ok": True,
        "running": False,
        "endpoint": "http://127.0.0.1:45999",
        "pid": None,
        "log_file": result.json["log_file"],
    }


def run_fn(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "fnship", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_version_names_fnship_python_boto3_without_importing_typer():
    script = (
        "import sys; sys.argv = ['fn', '--version']\n"
        "from fnship.cli.app import main\nmain()\n"
        "print(sorted(m for m in ('typer', 'rich', 'boto3', 'click') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    first, imported = done.stdout.splitlines()
    assert first.startswith("fnship 0.") and "Python 3." in first and "boto3 1." in first
    assert imported == "[]"


def test_help_imports_no_aws_or_rendering_libraries():
    script = (
        "import sys\nfrom fnship.cli.app import build_app\nbuild_app()\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'jinja2', 'yaml') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_shell_completion_completes_commands_and_options():
    # `--show-completion` detects the shell from the parent processes, as it would from a user's terminal;
    # `; exit $?` keeps bash from exec-ing python in its place, so bash stays the parent.
    command = f"{shlex.quote(sys.executable)} -m fnship --show-completion; exit $?"
    script = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert script.returncode == 0 and "_FN_COMPLETE=complete_bash" in script.stdout, script.stderr
    words = run_fn(env={"_FN_COMPLETE": "complete_bash", "COMP_WORDS": "fn dep", "COMP_CWORD": "1"})
    assert "deploy" in words.stdout.split()
    options = run_fn(env={"_FN_COMPLETE": "complete_bash", "COMP_WORDS": "fn plan --exit", "COMP_CWORD": "2"})
    assert "--exit-code" in options.stdout.split()


def test_usage_errors_exit_2():
    done = run_fn("plan", "--no-such-option")
    assert done.returncode == 2
    assert done.stdout == ""  # a pipeline parsing stdout never sees half a document
    assert "No such option" in done.stderr


def readme_members(command: str) -> tuple[set[str], dict[str, set[str]]]:
    """The members the README's JSON table documents for `command`: top-level names, and for a `name`: `[{a, b}]`
    list the members of its items."""
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    (row,) = [line for line in readme.splitlines() if line.startswith(f"| `{command}` |")]
    cell = row.split("|")[2]
    top = {token for token in re.findall(r"`([^`]+)`", cell) if re.fullmatch(r"[a-z_]+", token)}
    items = {}
    for name, body in re.findall(r"`([a-z_]+)`: `\[\{(.*?)\}\]`", cell):
        body = re.sub(r"\[\{.*?\}\]", "", body)  # nested item lists: their own names only
        items[name] = {part.split(":")[0].strip() for part in body.split(",")}
    return top, items


def test_json_documents_carry_every_member_the_readme_documents(moto, service):
    """The README's table is the contract: each command's document has the members it lists (more may be added)."""
    documents = {
        "validate": service.fn("validate", "--json"),
        "package": service.fn("package", "--json"),
        "plan": service.fn("plan", "--json"),
        "deploy": service.fn("deploy", "--yes", "--json"),
        "info": service.fn("info", "--json"),
        "remove": service.fn("remove", "--yes", "--json"),
    }
    for command, result in documents.items():
        assert result.exit_code == 0, (command, result.stderr)
        document = result.json
        assert {"schema", "command", "ok"} <= set(document) and document["command"] == command
        top, items = readme_members(command)
        assert top, command
        assert top <= set(document), (command, top - set(document))
        for name, members in items.items():
            assert document[name], (command, name)
            for item in document[name]:
                assert members <= set(item), (command, name, members - set(item))
    plan_members = {"service", "stage", "region", "release", "changes", "steps", "summary", "warnings"}
    assert plan_members <= set(documents["plan"].json["plan"])
    change = documents["plan"].json["plan"]["changes"][0]
    assert {"action", "address", "kind", "name", "fields"} <= set(change)
    assert {"path", "before", "after"} <= set(change["fields"][0])
    assert set(documents["plan"].json["plan"]["summary"]) == {"add", "change", "destroy"}


@pytest.mark.parametrize(
    ("args", "command", "message"),
    [
        (["deploy", "--json", "--bogus"], "deploy", "No such option: --bogus"),
        (["local", "start", "--json", "--bogus"], "local start", "No such option: --bogus"),
        (["invoke", "--json", "-f"], "invoke", "Option '-f' requires an argument."),
    ],
)
def test_usage_errors_with_json_still_print_one_json_document(args, command, message):
    done = run_fn(*args)
    assert done.returncode == 2
    document = json.loads(done.stdout)
    assert document == {
        "schema": 1,
        "command": command,
        "ok": False,
        "error": {"type": "usage", "message": message, "hint": f"`fn {command} --help` lists its options",
                  "exit_code": 2},
    }  # fmt: skip
    assert message in done.stderr and "Traceback" not in done.stderr


def test_exit_codes_come_through_the_json_runner(moto, project):
    """`fn plan --json --exit-code` in a real process: the JSON path keeps the command's exit code (4 here)."""
    project.write_hello_service()
    done = project.fn_process("plan", "--json", "--exit-code")
    assert done.exit_code == 4, done.stderr
    assert json.loads(done.stdout)["has_changes"] is True
