"""Handlers that exist: the file a handler names, found among the files a function ships (its package after
patterns, then its layers), and, read without importing or running it, whether the module defines the named
function where that can be seen statically.

Pure apart from reading the handler's source file: no AWS, no subprocess. Python modules are parsed with `ast`;
JavaScript and TypeScript with a conservative reading of `export` / `exports.` / `module.exports` that answers
"cannot tell" rather than "missing" whenever the module builds its exports dynamically.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path

from fnship import runtimes
from fnship.frozen import frozen

# What the Node.js runtime loads for `path/module.handler`, in its order; TypeScript sources are bundled to `.js`.
# https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
NODE_EXTENSIONS = (".js", ".mjs", ".cjs")
TYPESCRIPT_EXTENSIONS = (".ts", ".mts", ".cts")
# Where Lambda puts a layer's code on the path of each runtime family (layers are extracted at /opt).
LAYER_ROOTS = {"python": ("python/",)}


@frozen
class HandlerRef:
    """A handler string split the runtime's way: the module's candidate files and the function's name."""

    module: str  # `src/api`: without extension
    function: str  # `handler` (for Node, possibly dotted: `handlers.main`)
    candidates: tuple[str, ...]  # relative paths, in the runtime's lookup order


def parse_handler(runtime: str, handler: str) -> HandlerRef | None:
    """The files a handler may name, for the runtimes with a local runner (Python, Node.js); None for others."""
    kind = runtimes.family(runtime)
    if kind == "python":
        module, _, function = handler.rpartition(".")
        path = module.replace(".", "/") if "/" not in module else module
        return HandlerRef(path, function, (f"{path}.py", f"{path}/__init__.py"))
    if kind == "nodejs":
        # The Node.js runtime splits at the first dot of the last path segment: `src/index.handlers.main` is
        # module `src/index`, export `handlers.main`.
        folder, _, base = handler.rpartition("/")
        name, _, function = base.partition(".")
        module = f"{folder}/{name}" if folder else name
        return HandlerRef(module, function, tuple(module + ext for ext in (*NODE_EXTENSIONS, *TYPESCRIPT_EXTENSIONS)))
    return None


@frozen
class Problem:
    message: str
    hint: str


def check_handler(
    runtime: str,
    handler: str,
    files: Mapping[str, Path],
    *,
    layer_files: Mapping[str, Path] = {},  # noqa: B006 -- read only
    sources: Mapping[str, Path] = {},  # noqa: B006 -- read only
) -> Problem | None:
    """A problem with `handler`, or None. `files` are the function's packaged files (archive name -> file);
    `layer_files` its layers' (archive name within the layer -> file); `sources` the service's files, where a
    TypeScript handler is found before it is bundled."""
    ref = parse_handler(runtime, handler)
    if ref is None or not ref.function:
        return None
    kind = runtimes.family(runtime)
    found: Path | None = None
    name = ""
    for candidate in ref.candidates:
        if candidate.endswith(TYPESCRIPT_EXTENSIONS):
            found = files.get(candidate) or sources.get(candidate)
        else:
            found = files.get(candidate)
            for root in LAYER_ROOTS.get(kind, ()):
                found = found or layer_files.get(root + candidate)
        if found is not None:
            name = candidate
            break
    if found is None:
        shown = ", ".join(ref.candidates)
        return Problem(
            f"handler {handler}: no {shown} in the function's package (after package.patterns"
            + (", with its layers)" if LAYER_ROOTS.get(kind) else ")"),
            "fix the handler's path, create the file, or include it with package.patterns",
        )
    defined = _defines(found, ref.function.split(".")[0], javascript=kind == "nodejs")
    if defined is False:
        sample = (
            f"`def {ref.function}(event, context):` at the top level"
            if kind == "python"
            else f"`export const {ref.function} = async (event) => ...` (or `exports.{ref.function} = ...`)"
        )
        return Problem(
            f"handler {handler}: {name} does not define {ref.function}",
            f"define {sample}, or fix the function's name in the handler",
        )
    return None


def _defines(path: Path, name: str, *, javascript: bool) -> bool | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return js_exports(text, name) if javascript else python_defines(text, name)


# -- Python ---------------------------------------------------------------------------------------------------
def python_defines(source: str, name: str) -> bool | None:
    """Whether a module's top level binds `name` (def, class, assignment, import), looking into top-level
    if/try/with blocks. None when it cannot be told without running it: `from x import *`, a module
    `__getattr__`, or syntax this Python does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    bound: set[str] = set()
    dynamic = False

    def visit(statements: list[ast.stmt]) -> None:
        nonlocal dynamic
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    bound.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name == "*":
                        dynamic = True
                    bound.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)):
                visit(node.body)
            elif isinstance(node, ast.Expr) and "globals()" in ast.unparse(node):
                dynamic = True

    visit(tree.body)
    if name in bound:
        return True
    if dynamic or "__getattr__" in bound or "globals()" in source:
        return None
    return False


# -- JavaScript / TypeScript ----------------------------------------------------------------------------------
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_LINE_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)
# Export forms whose names cannot be read without evaluating the module.
_JS_DYNAMIC = re.compile(
    r"export\s*\*|export\s+default\b|export\s*=|export\s+(?:const|let|var)\s*[{\[]"
    r"|module\.exports\s*=(?!\s*\{)|Object\.(?:assign|defineProperty|defineProperties)\(\s*(?:module\.)?exports"
    r"|(?:module\.)?exports\s*\["
)


def js_exports(source: str, name: str) -> bool | None:
    """Whether a CommonJS or ES module (or TypeScript) exports `name`. None when it cannot be told statically."""
    text = _LINE_COMMENT.sub("", _BLOCK_COMMENT.sub("", source))
    word = re.escape(name)
    forms = (
        rf"export\s+(?:declare\s+)?(?:async\s+)?function\s*\*?\s*{word}\b",
        rf"export\s+(?:declare\s+)?(?:const|let|var)\s+{word}\b",
        rf"export\s+(?:abstract\s+)?class\s+{word}\b",
        rf"(?:module\.)?exports\.{word}\s*=",
        rf"export\s+(?:type\s+)?\{{[^}}]*\b(?:as\s+)?{word}\b\s*(?:,|\}})",
    )
    if any(re.search(form, text) for form in forms):
        return True
    for match in re.finditer(r"module\.exports\s*=\s*\{", text):
        body = _braced(text, match.end() - 1)
        if "..." in body:
            return None
        if re.search(rf"(?<![\w$.]){word}(?![\w$])", body):
            return True
    if _JS_DYNAMIC.search(text):
        return None
    return False


def _braced(text: str, start: int) -> str:
    """The text of the `{ ... }` block opening at `start` (strings are not special-cased: good enough to find a
    key, and the answer is only ever "found")."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
    return text[start:]
