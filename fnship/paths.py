"""Where fnship keeps files of its own on this machine. Pure: reads the environment only."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def default_cache_dir() -> Path:
    """`$FN_CACHE_DIR`, else `$XDG_CACHE_HOME/fnship`, else `~/.cache/fnship`."""
    if os.environ.get("FN_CACHE_DIR"):
        return Path(os.environ["FN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fnship"


def temp_sibling(dest: Path) -> Path:
    """A fresh name next to `dest` for writing it atomically (write, then replace): unique per call, so
    concurrent writers of the same file (threads or processes sharing a cache) never share a scratch file."""
    return dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")


def write_text_atomic(path: Path, text: str) -> None:
    """Readers see the old text or the new, never a half-written file."""
    write_bytes_atomic(path, text.encode())


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Readers see the old content or the new, never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(path)
    tmp.write_bytes(data)
    tmp.replace(path)
