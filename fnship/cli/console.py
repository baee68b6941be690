"""The error boundary and output rules every command follows (README "CI/CD and machine output").

- stdout carries the result: the human text, or with `--json` exactly one JSON document `{"schema": 1, ...}`.
- stderr carries everything else: notes, progress, prompts, errors (and nothing on stdout but the JSON error
  document in JSON mode).
- Prompts, colour, spinners and progress bars only on a terminal: never without a TTY, never with `CI` set,
  never with `--json`; colour never with `NO_COLOR` (https://no-color.org) or `--no-color`.
- Exit codes (fnship.errors): 0 ok, 1 AWS/runtime failure, 2 bad input, 3 rolled back, 4 changes
  (`plan --exit-code`), 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, NoReturn

import typer

from fnship.errors import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_INTERRUPTED, AwsError, FnError, InputError
from fnship.jsonvalue import JsonObject

if TYPE_CHECKING:
    from rich.console import Console

SCHEMA = 1
_TRUTHY = ("1", "true", "yes", "on")


class _Settings:
    """Process-wide output switches set by the command being run (one command per process)."""

    no_color = False


settings = _Settings()


def in_ci() -> bool:
    """CI systems set CI=true (GitHub Actions, GitLab CI, CircleCI, Buildkite, ...)."""
    return os.environ.get("CI", "").strip().lower() in _TRUTHY


def interactive() -> bool:
    """A person at a terminal: stdin and stderr are TTYs and we are not in CI."""
    if in_ci():
        return False
    return _isatty(sys.stdin) and _isatty(sys.stderr)


def live_output(*, json_mode: bool = False) -> bool:
    """Spinners and progress bars: only on a terminal (stderr), never in CI or JSON mode, never on TERM=dumb."""
    return not json_mode and not in_ci() and _isatty(sys.stderr) and os.environ.get("TERM") != "dumb"


def color_allowed(stream: IO[str] | None = None, *, no_color: bool = False) -> bool:
    if no_color or settings.no_color or os.environ.get("NO_COLOR", "") != "":
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return _isatty(stream or sys.stderr)


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (AttributeError, ValueError):
        return False


def rich_console(stream: IO[str] | None = None) -> Console:
    """A rich console that colours only when colour is allowed on `stream` (stderr by default)."""
    from rich.console import Console

    stream = stream or sys.stderr
    allowed = color_allowed(stream)
    return Console(
        file=stream,
        no_color=not allowed,
        color_system="auto" if allowed else None,
        highlight=False,
        soft_wrap=True,
    )


def err(text: str, *, style: str | None = None) -> None:
    if style and color_allowed(sys.stderr):
        rich_console(sys.stderr).print(text, style=style, markup=False)
        return
    print(text, file=sys.stderr, flush=True)


def out(text: str) -> None:
    print(text, flush=True)


PLAN_STYLES = {"+": "green", "~": "yellow", "-": "red"}


def out_plan(text: str) -> None:
    """A rendered plan on stdout, its `+ ~ -` lines coloured when stdout is a colour terminal."""
    if not color_allowed(sys.stdout):
        out(text)
        return
    from rich.text import Text

    styled = Text()
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        styled.append(line, style=PLAN_STYLES.get(stripped[:1], "") if stripped[1:2] == " " else "")
    rich_console(sys.stdout).print(styled, end="")


def emit_json(command: str, payload: Mapping[str, object]) -> None:
    document: dict[str, object] = {"schema": SCHEMA, "command": command, **payload}
    print(json.dumps(document, indent=2, sort_keys=False, default=str), flush=True)


def error_payload(error: FnError) -> JsonObject:
    """The `error` member of a failed command's JSON document."""
    payload: JsonObject = {
        "type": "input" if isinstance(error, InputError) else "aws" if isinstance(error, AwsError) else "failure",
        "message": error.message,
        "hint": error.hint,
        "exit_code": error.exit_code,
    }
    if isinstance(error, InputError):
        payload["diagnostics"] = [
            {
                "file": d.location.file if d.location else None,
                "line": d.location.line if d.location else None,
                "column": d.location.column if d.location else None,
                "key": d.key,
                "message": d.message,
                "hint": d.hint,
            }
            for d in error.diagnostics
        ]
    if isinstance(error, AwsError):
        payload["resource"], payload["action"], payload["code"] = error.resource, error.action, error.code
    return payload


def fail(error: FnError, *, debug: bool) -> NoReturn:
    label = "Error" if error.exit_code != EXIT_BAD_INPUT else "Invalid input"
    err(f"{label}: {error.render()}", style="red")
    if debug:
        traceback.print_exception(error)
    raise typer.Exit(error.exit_code)


def fail_after_json(error: FnError, *, json_mode: bool, debug: bool) -> NoReturn:
    """Fail with `error` once the command has printed its own JSON document carrying it: in JSON mode only the
    message and the exit code (run() would print a second document), otherwise run() reports it."""
    if json_mode:
        fail(error, debug=debug)
    raise error


def run(
    job: Callable[[], int | None],
    *,
    debug: bool,
    json_mode: bool = False,
    command: str = "",
    no_color: bool = False,
) -> None:
    """Run a command body: FnError -> its message and exit code; Ctrl-C -> 130; anything else -> exit 1.

    In JSON mode a failure still prints one JSON document (`"ok": false` and an `error`), so a pipeline
    that parses stdout always has something to parse.
    """
    settings.no_color = no_color
    try:
        code = job() or 0
    except FnError as error:
        if json_mode:
            emit_json(command, {"ok": False, "error": error_payload(error)})
        fail(error, debug=debug)
    except KeyboardInterrupt:
        if json_mode:
            emit_json(
                command,
                {"ok": False, "error": {"type": "interrupted", "message": "interrupted", "hint": "",
                                        "exit_code": EXIT_INTERRUPTED}},
            )  # fmt: skip
        err("Interrupted.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except typer.Exit:
        raise
    except BrokenPipeError:
        # The reader went away (`fn info | head`): not a bug. Point stdout at /dev/null so the flush at exit
        # does not fail again. https://docs.python.org/3/library/signal.html#note-on-sigpipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(EXIT_FAILURE) from None
    except Exception as exc:  # an fnship bug: say so plainly, the traceback only with --debug
        message = f"unexpected {type(exc).__name__}: {exc}"
        hint = "run again with --debug for the traceback, and report it"
        if json_mode:
            emit_json(
                command,
                {"ok": False, "error": {"type": "bug", "message": message, "hint": hint, "exit_code": EXIT_FAILURE}},
            )
        err(f"Error: {message}", style="red")
        if debug:
            traceback.print_exc()
        else:
            err(f"  hint: {hint}")
        raise typer.Exit(EXIT_FAILURE) from None
    raise typer.Exit(code)


def confirm(question: str, *, yes: bool) -> bool:
    """Ask on a terminal unless --yes; without a terminal (or in CI) there is nobody to ask, so go on,
    as `serverless deploy` does."""
    if yes or not interactive():
        return True
    return typer.confirm(question, default=False, err=True)


def ask(question: str, *, default: str, check: Callable[[str], None] | None = None) -> str:
    """Ask for a value on a terminal; without one, the default. `check` raises an FnError for a bad answer:
    its message is shown and the question asked again."""
    if not interactive():
        return default

    def checked(value: str) -> str:
        try:
            if check is not None:
                check(value)
        except FnError as error:
            raise typer.BadParameter(error.render()) from None
        return value

    return str(typer.prompt(question, default=default, err=True, value_proc=checked))
