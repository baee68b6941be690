"""Reading a text file fnship parses (a manifest, an include, an event, a requirements file...), as input.

Pure but for the one read. A file too large, unreadable, binary or not UTF-8 is refused with a diagnostic that
names the line and byte offset of the first bad byte, never a UnicodeDecodeError or a hang on a huge file.
"""

from __future__ import annotations

import re
from pathlib import Path

from fnship.errors import Diagnostic, InputError, Location


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
    line = raw.count(b"\n", 0, offset) + 1
    column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
    raise NotText(
        Diagnostic(
            f"{what} at byte offset {offset}",
            location=Location(display, line, column),
            hint="save the file as UTF-8 text",
        )
    )


def read_input(path: Path, *, limit: int, display: str | None = None) -> str:
    """read_text_file for a file the user gave us: its refusal is an InputError (exit 2). FileNotFoundError passes
    through, for the caller to say which file it looked for."""
    try:
        return read_text_file(path, display=display or str(path), limit=limit)
    except NotText as exc:
        raise InputError(exc.diagnostic) from exc
