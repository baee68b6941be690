"""Which runtime shim runs a handler on this machine, by runtime family: one table (SHIMS).

Python handlers run in fnship/local/bootstrap.py with the Python that runs fnship; Node.js handlers in
fnship/local/node_shim.cjs with the machine's `node`. Both speak the runner's protocol (see runner.py). Reads the
environment and asks `node --version` once: no AWS.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fnship import runtimes
from fnship.errors import FnError, InputError

if TYPE_CHECKING:
    from fnship.local.runner import RunSpec

HERE = Path(__file__).parent
PYTHON_SHIM = HERE / "bootstrap.py"
NODE_SHIM = HERE / "node_shim.cjs"


@dataclass(frozen=True)
class Shim:
    family: str
    command: Callable[[str], list[str]]  # (python executable) -> argv
    search_paths: Callable[[Path, str], list[Path]]  # (a layer extracted at /opt, runtime) -> where code is found
    environment: Callable[[Sequence[Path]], dict[str, str]]  # (code paths) -> what the shim's process needs
    version_warning: Callable[[str], str | None]  # (runtime) -> a warning when this machine runs another version


def _python_command(python: str) -> list[str]:
    return [python, "-u", str(PYTHON_SHIM)]


def _python_layer_paths(layer: Path, runtime: str) -> list[Path]:
    """Where Lambda finds Python code in a layer extracted at /opt: python/lib/pythonX.Y/site-packages and python.
    https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths"""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return [layer / "python" / "lib" / f"python{python}" / "site-packages", layer / "python"]


def python_version_warning(runtime: str, *, python: str | None = None) -> str | None:
    """A warning when the function's runtime (python3.12) is not the Python that will run it here."""
    local = python or f"{sys.version_info.major}.{sys.version_info.minor}"
    wanted = runtime.removeprefix("python")
    if wanted != local:
        return f"the function's runtime is {runtime} but it runs here on Python {local}"
    return None


@functools.lru_cache(maxsize=1)
def node_program() -> str:
    found = shutil.which("node")
    if found is None:
        raise FnError(
            "running a Node.js handler locally needs `node`, which is not on PATH",
            hint="install Node.js (the function's major version, https://nodejs.org), then run fn invoke --local again",
        )
    return found


@functools.lru_cache(maxsize=1)
def node_version() -> str:
    """`node --version` of this machine's node, without the v: 20.20.2."""
    done = subprocess.run([node_program(), "--version"], capture_output=True, text=True, check=False, timeout=30)
    return done.stdout.strip().lstrip("v")


def node_version_warning(runtime: str, *, version: str | None = None) -> str | None:
    """A warning when this machine's node is not the function's major version (nodejs22.x runs on Node.js 22)."""
    local = version if version is not None else node_version()
    wanted = re.sub(r"\D", "", runtime.removeprefix("nodejs").split(".")[0])
    if local.split(".")[0] != wanted:
        return f"the function's runtime is {runtime} but it runs here on Node.js {local}"
    return None


def _node_command(_python: str) -> list[str]:
    return [node_program(), str(NODE_SHIM)]


def _node_layer_paths(layer: Path, runtime: str) -> list[Path]:
    """Lambda's NODE_PATH for a layer extracted at /opt: nodejs/nodeXX/node_modules, then nodejs/node_modules.
    https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths"""
    major = re.sub(r"\D", "", runtime.removeprefix("nodejs").split(".")[0])
    return [layer / "nodejs" / f"node{major}" / "node_modules", layer / "nodejs" / "node_modules"]


def _node_environment(code_paths: Sequence[Path]) -> dict[str, str]:
    # The function's code is the module root (the shim resolves the handler there); layers go on NODE_PATH, which
    # CommonJS `require` reads (ES module imports do not, on Lambda either).
    return {"NODE_PATH": os.pathsep.join(str(p) for p in code_paths[1:])}


SHIMS: dict[str, Shim] = {
    "python": Shim("python", _python_command, _python_layer_paths, lambda _paths: {}, python_version_warning),
    "nodejs": Shim("nodejs", _node_command, _node_layer_paths, _node_environment, node_version_warning),
}


def shim_for(runtime: str) -> Shim:
    """The shim of the runtime's family; an input error naming the runtimes that run locally when there is none."""
    shim = SHIMS.get(runtimes.family(runtime))
    if shim is None:
        raise InputError(
            f"runtime {runtime} has no local runner: fn invoke --local runs "
            + " and ".join(f"{family}* runtimes" for family in SHIMS)
            + " on this machine",
            hint="invoke it deployed (fn invoke), or run it in Lambda's container with another tool",
        )
    return shim


def command(spec: RunSpec, *, python: str) -> list[str]:
    """The argv that starts the shim for `spec` (a runner.RunSpec)."""
    return shim_for(spec.runtime).command(python)


def environment(spec: RunSpec) -> dict[str, str]:
    return shim_for(spec.runtime).environment(spec.code_paths)


def code_paths(runtime: str, code_dir: Path, layers: Sequence[Path] = ()) -> tuple[Path, ...]:
    """The function's code, then each layer's code directories. Lambda extracts the layers into /opt in their
    listed order, so a later layer's file replaces an earlier one's: the later layer comes first here."""
    shim = shim_for(runtime)
    paths: list[Path] = [code_dir.resolve()]
    for layer in reversed(layers):
        paths.extend(shim.search_paths(layer.resolve(), runtime))
    return tuple(paths)


def version_warning(runtime: str) -> str | None:
    return shim_for(runtime).version_warning(runtime)


def passed_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The shell's environment as Serverless v3's `invoke local` passes it, without fnship's own settings."""
    return {k: v for k, v in environ.items() if not k.startswith(("_FN_", "FN_RUNNER_"))}
