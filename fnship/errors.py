"""Errors every stage raises, and the exit codes they map to (see DESIGN.md "Exit codes").

Pure: no AWS, no filesystem.
"""

from __future__ import annotations

from fnship.frozen import frozen

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_ROLLED_BACK = 3
EXIT_CHANGES = 4
EXIT_INTERRUPTED = 130


@frozen
class Location:
    """Where a value stands in a file: 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@frozen
class Diagnostic:
    """One problem with the input: where, which key, what is wrong, what to do."""

    message: str
    key: str = ""
    location: Location | None = None
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.location} " if self.location else ""
        key = f"{self.key}: " if self.key else ""
        text = f"{where}{key}{self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class FnError(Exception):
    """Base of every error fnship reports without a traceback."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class InputError(FnError):
    """Bad input (manifest, options): exit 2. Carries every diagnostic found, not just the first."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str, *, hint: str = "") -> None:
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(diagnostics, hint=hint)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def render(self) -> str:
        count = len(self.diagnostics)
        head = "" if count == 1 else f"{count} problems found:\n"
        return head + "\n".join(str(d) for d in self.diagnostics)


class AwsError(FnError):
    """A failed AWS call: names the resource, the action and AWS's own error."""

    exit_code = EXIT_FAILURE

    def __init__(self, *, resource: str, action: str, code: str, detail: str, hint: str = "") -> None:
        self.resource = resource
        self.action = action
        self.code = code
        self.detail = detail
        super().__init__(f"{action} failed for {resource}: {code}: {detail}", hint=hint)


class RolledBack(FnError):
    """A release was rolled back by an alarm, a hook or an interruption: exit 3."""

    exit_code = EXIT_ROLLED_BACK
