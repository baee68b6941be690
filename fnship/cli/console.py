"""The error boundary and output: errors to stderr with exit codes, JSON to stdout, prompts only on a terminal."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

import typer

from fnship.errors import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_INTERRUPTED, FnError

SCHEMA = 1


def interactive() -> bool:
    """A person at a terminal: stdin and stderr are TTYs and we are not in CI."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return False
    return sys.stdin.isatty() and sys.stderr.isatty()


def color_allowed(no_color: bool = False) -> bool:
    return not no_color and "NO_COLOR" not in os.environ and sys.stderr.isatty()


def err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def out(text: str) -> None:
    print(text, flush=True)


def emit_json(command: str, payload: dict[str, Any]) -> None:
    document = {"schema": SCHEMA, "command": command, **payload}
    print(json.dumps(document, indent=2, sort_keys=False, default=str), flush=True)


def fail(error: FnError, *, debug: bool) -> NoReturn:
    label = "Error" if error.exit_code != EXIT_BAD_INPUT else "Invalid input"
    err(f"{label}: {error.render()}")
    if debug:
        traceback.print_exception(error)
    raise typer.Exit(error.exit_code)


def run(job: Callable[[], int | None], *, debug: bool, json_mode: bool = False, command: str = "") -> None:
    """Run a command body: FnError -> its message and exit code; Ctrl-C -> 130; anything else -> exit 1."""
    try:
        code = job() or 0
    except FnError as error:
        if json_mode:
            emit_json(
                command,
                {"ok": False, "error": {"message": error.message, "hint": error.hint, "exit_code": error.exit_code}},
            )
        fail(error, debug=debug)
    except KeyboardInterrupt:
        err("Interrupted.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except typer.Exit:
        raise
    except Exception as exc:  # an fnship bug: say so plainly, the traceback only with --debug
        err(f"Error: unexpected {type(exc).__name__}: {exc}")
        if debug:
            traceback.print_exc()
        else:
            err("  hint: run again with --debug for the traceback, and report it")
        raise typer.Exit(EXIT_FAILURE) from None
    raise typer.Exit(code)


def confirm(question: str, *, yes: bool) -> bool:
    """Ask on a terminal unless --yes; without a terminal there is nobody to ask, so go on."""
    if yes or not interactive():
        return True
    return typer.confirm(question, default=False, err=True)
