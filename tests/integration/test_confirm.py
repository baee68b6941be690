"""`fn deploy` and `fn remove` on a terminal: they ask before changing anything, unless --yes.

The real `fn` runs in a subprocess whose stdin and stderr are a pseudo-terminal (as a person's shell gives them),
against the moto server; what exists afterwards is checked with boto3.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest

from tests.conftest import Moto, Project

# Only a guard against a hung child, never a speed assertion.
READ_GUARD_S = 120


def run_on_terminal(project: Project, *args: str, answer: str | None) -> tuple[int, str]:
    """Run `fn ARGS` with a terminal on stdin and stderr; type `answer` when it asks. (exit code, terminal text)"""
    leader, follower = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "GITHUB_ACTIONS", "FN_LOCAL")}
    child = subprocess.Popen(
        [sys.executable, "-m", "fnship", *args],
        cwd=project.root,
        env={**env, "TERM": "dumb"},
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    answered = False
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], READ_GUARD_S)
            if not ready:
                pytest.fail(f"fn {' '.join(args)} wrote nothing for {READ_GUARD_S} s; terminal so far: {seen!r}")
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal: it has exited
                break
            if not chunk:
                break
            seen += chunk
            if answer is not None and not answered and b"[y/N]" in seen:
                os.write(leader, answer.encode() + b"\n")
                answered = True
        child.stdout.read()
        code = child.wait(timeout=READ_GUARD_S)
    finally:
        os.close(leader)
        if child.poll() is None:
            child.kill()
            child.wait()
    return code, seen.decode(errors="replace")


@pytest.fixture
def service(moto: Moto, project: Project) -> Project:
    project.write_hello_service()
    return project


def functions(moto: Moto) -> list[str]:
    return [f["FunctionName"] for f in moto.client("lambda").list_functions()["Functions"]]


def test_deploy_on_a_terminal_asks_and_no_changes_nothing(moto, service):
    code, terminal = run_on_terminal(service, "deploy", answer="n")
    assert code == 0, terminal
    assert "Apply these changes? [y/N]" in terminal
    assert "Nothing changed." in terminal
    assert functions(moto) == []
    assert moto.client("iam").list_roles(PathPrefix="/fnship/")["Roles"] == []


def test_deploy_on_a_terminal_applies_after_yes(moto, service):
    code, terminal = run_on_terminal(service, "deploy", answer="y")
    assert code == 0, terminal
    assert functions(moto) == ["demo-dev-hello"]


def test_yes_flag_never_asks_on_a_terminal(moto, service):
    code, terminal = run_on_terminal(service, "deploy", "--yes", answer=None)
    assert code == 0, terminal
    assert "[y/N]" not in terminal
    assert functions(moto) == ["demo-dev-hello"]


def test_remove_on_a_terminal_asks_and_no_keeps_everything(moto, service):
    assert service.fn("deploy", "--yes").exit_code == 0
    code, terminal = run_on_terminal(service, "remove", answer="n")
    assert code == 0, terminal
    assert "Remove demo (dev)? [y/N]" in terminal
    assert "Nothing removed." in terminal
    assert functions(moto) == ["demo-dev-hello"]
    code, terminal = run_on_terminal(service, "remove", answer="y")
    assert code == 0, terminal
    assert functions(moto) == []
