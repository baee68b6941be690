"""Reading a text file fnship parses (a manifest, an include, an event, a requirements file, package.json, a
lockfile...), as input.

Pure but for the one read. A file too large, unreadable, binary or not UTF-8 is refused with a diagnostic that
names the line and byte offset of the first bad byte, never a UnicodeDecodeError or a hang on a huge file. JSON
nested deeper than any honest file is refused before it is parsed, never a RecursionError.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fnship.errors import Diagnostic, InputError, Location
from fnship.jsonvalue import Json

# Far above any honest manifest or package.json (the deepest we know nest about 20 levels), low enough that no
# parser recurses near Python's limit.
MAX_DEPTH = 100


class NotText(Exception):
    """A file that is too large, unreadable, binary or not UTF-8: `diagnostic` says where and what."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


def read_text_file(path: Path, *, display: str, limit: int) -> str:
    """The UTF-8 text of a file fnship parses, refused (NotText) when larger than `limit` bytes, unreadable, or not
    text; the error names the line and byte offset of the first bad byte. FileNotFoundError passes through."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise NotText(
            Diagnostic(f"{display}: cannot read the file: {reason}", hint="check the path and its permissions")
        ) from None
    if len(raw) > limit:
        raise NotText(
            Diagnostic(
                f"the file is larger than {limit // 1024} KiB",
                location=Location(display, 1, 1),
                hint="this file is not meant to be that large: check that it is the right file",
            )
        )
    return decode_text(raw, display=display)


# Control characters YAML, JSON and the other text formats we read never contain (tab, LF, CR are fine).
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(raw: bytes, *, display: str) -> str:
    """UTF-8 (a leading BOM allowed) without control characters, or NotText naming where the first bad byte is."""
    offset = -1
    what = ""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset, what = exc.start, f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})"
    else:
        binary = _BINARY.search(raw)
        if binary:
            offset, what = binary.start(), f"the file is binary, not text (control byte 0x{raw[binary.start()]:02x})"
    if offset < 0:
        return text
    raise NotText(
        Diagnostic(
            f"{what} at byte offset {offset}",
            location=_location(raw, offset, display),
            hint="save the file as UTF-8 text",
        )
    )


def _location(text: str | bytes, offset: int, display: str) -> Location:
    if isinstance(text, bytes):
        line, start = text.count(b"\n", 0, offset) + 1, text.rfind(b"\n", 0, offset) + 1
    else:
        line, start = text.count("\n", 0, offset) + 1, text.rfind("\n", 0, offset) + 1
    return Location(display, line, offset - start + 1)


def read_input(path: Path, *, limit: int, display: str | None = None) -> str:
    """read_text_file for a file the user gave us: its refusal is an InputError (exit 2). FileNotFoundError passes
    through, for the caller to say which file it looked for."""
    try:
        return read_text_file(path, display=display or str(path), limit=limit)
    except NotText as exc:
        raise InputError(exc.diagnostic) from exc


# The brackets and quotes of JSON text, and the rest of a string after its opening quote (possessive: an
# unterminated string costs one pass, never a backtracking search).
_JSON_STRUCTURE = re.compile(r'[\[\]{}"]')
_JSON_STRING_REST = re.compile(r'(?:[^"\\]++|\\.)*+"', re.DOTALL)


def _nested_past(text: str, max_depth: int) -> int | None:
    """The offset of the first bracket more than `max_depth` levels deep in JSON text, or None. One linear pass;
    brackets inside strings do not count."""
    depth, position = 0, 0
    while found := _JSON_STRUCTURE.search(text, position):
        char, position = found.group(), found.end()
        if char == '"':
            rest = _JSON_STRING_REST.match(text, position)
            if rest is None:
                return None  # an unterminated string: the parser names it
            position = rest.end()
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return found.start()
        else:
            depth -= 1
    return None


def parse_json_input(text: str, *, display: str, what: str, hint: str, max_depth: int = MAX_DEPTH) -> Json:
    """JSON text a user gave us, as a value. Nested deeper than `max_depth` (checked before parsing, so a hostile
    file never recurses) or invalid: an InputError naming `display`'s line and column; `what` names the file in
    the message (`package.json`), `hint` says what to do about invalid syntax."""
    deep = _nested_past(text, max_depth)
    if deep is not None:
        raise InputError(
            Diagnostic(
                f"{what} nests values more than {max_depth} levels deep",
                location=_location(text, deep, display),
                hint="flatten the structure: no honest file nests that deep",
            )
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        location = Location(display, exc.lineno, exc.colno)
        raise InputError(Diagnostic(f"{what} is not valid JSON: {exc.msg}", location=location, hint=hint)) from exc
