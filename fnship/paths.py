"""Where fnship keeps files of its own on this machine. Pure: reads the environment only."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """`$FN_CACHE_DIR`, else `$XDG_CACHE_HOME/fnship`, else `~/.cache/fnship`."""
    if os.environ.get("FN_CACHE_DIR"):
        return Path(os.environ["FN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fnship"
