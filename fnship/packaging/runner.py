"""Running external tools (uv, pip, container engines), injected so tests can watch or replace them.

Subprocesses only: no AWS.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from fnship.frozen import frozen


@frozen
class Completed:
    returncode: int
    stdout: str
    stderr: str


# (argv, cwd, extra environment) -> Completed. Never raises for a non-zero exit; raises OSError when the
# program cannot be started.
Runner = Callable[[Sequence[str], "Path | None", "Mapping[str, str] | None"], Completed]


def subprocess_runner(args: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Completed:
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(list(args), cwd=cwd, env=full_env, capture_output=True, text=True, check=False)
    return Completed(done.returncode, done.stdout, done.stderr)


Which = Callable[[str], "str | None"]


def which(name: str) -> str | None:
    return shutil.which(name)


_UV_LOCK = threading.Lock()
_UV_FOUND: list[str | None] = []


def uv_binary(find: Which = which) -> str | None:
    """uv from the `uv` wheel (a runtime dependency), else one on PATH. Looked up once, under a lock:
    `find_uv_bin` reads sysconfig, whose first use is not thread-safe."""
    with _UV_LOCK:
        if not _UV_FOUND:
            try:
                from uv import find_uv_bin

                _UV_FOUND.append(find_uv_bin())
            except (ImportError, FileNotFoundError):
                _UV_FOUND.append(None)
        return _UV_FOUND[0] or find("uv")
