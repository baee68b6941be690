"""Handlers that exist: the file in the package (or a layer), and the function defined, read statically."""

from __future__ import annotations

from pathlib import Path

import pytest

from fnship.packaging.handlers import check_handler, js_exports, parse_handler, python_defines


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def handler(event, context):\n    return 1\n", True),
        ("async def handler(event, context):\n    return 1\n", True),
        ("handler = make_handler()\n", True),
        ("from .impl import run as handler\n", True),
        ("try:\n    from fast import handler\nexcept ImportError:\n    def handler(e, c): ...\n", True),
        ("class handler:\n    pass\n", True),
        ("def main(event, context):\n    return 1\n", False),
        ("def outer():\n    def handler(e, c): ...\n", False),
        ("from impl import *\n", None),
        ("def __getattr__(name): ...\n", None),
        ("globals()['handler'] = f\n", None),
        ("def broken(:\n", None),
    ],
)
def test_python_defines(source, expected):
    assert python_defines(source, "handler") is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("export const handler = async (event) => ({ ok: true });", True),
        ("export async function handler(event) { return 1 }", True),
        ("export function* handler() {}", True),
        ("export let handler;", True),
        ("const h = 1; export { h as handler };", True),
        ("export { handler } from './impl.js';", True),
        ("export const handler: Handler = async () => {};", True),
        ("exports.handler = async function () {};", True),
        ("module.exports.handler = (e, c, cb) => cb(null, 1);", True),
        ("module.exports = { handler, other };", True),
        ("module.exports = {\n  handler: async () => 1,\n};", True),
        ("module.exports = { main };", False),
        ("export const main = 1;\n// export const handler = 1\n", False),
        ("/* exports.handler = 1 */ exports.main = 1;", False),
        ("exports.handlers = 1;", False),
        ("module.exports = { ...impl };", None),
        ("module.exports = require('./impl');", None),
        ("export * from './impl.js';", None),
        ("export default { handler };", None),
        ("Object.assign(module.exports, impl);", None),
        ("exports[name] = fn;", None),
    ],
)
def test_js_exports(source, expected):
    assert js_exports(source, "handler") is expected


@pytest.mark.parametrize(
    ("runtime", "handler", "module", "function", "first"),
    [
        ("python3.14", "src/app.main", "src/app", "main", "src/app.py"),
        ("python3.14", "src.handlers.api.main", "src/handlers/api", "main", "src/handlers/api.py"),
        ("nodejs24.x", "src/api.handler", "src/api", "handler", "src/api.js"),
        ("nodejs24.x", "src/index.handlers.main", "src/index", "handlers.main", "src/index.js"),
    ],
)
def test_parse_handler(runtime, handler, module, function, first):
    ref = parse_handler(runtime, handler)
    assert ref is not None and (ref.module, ref.function, ref.candidates[0]) == (module, function, first)


def test_no_check_for_runtimes_without_a_local_runner():
    assert parse_handler("java21", "example.Handler::handleRequest") is None
    assert check_handler("provided.al2023", "bootstrap", {}) is None


def test_missing_file_names_every_candidate(tmp_path: Path):
    problem = check_handler("nodejs24.x", "src/api.handler", {})
    assert problem is not None
    assert "no src/api.js, src/api.mjs, src/api.cjs, src/api.ts, src/api.mts, src/api.cts" in problem.message


def test_found_in_package_then_layer_then_typescript_source(tmp_path: Path):
    good = tmp_path / "good.py"
    good.write_text("def main(e, c): ...\n")
    bad = tmp_path / "bad.py"
    bad.write_text("def other(e, c): ...\n")
    assert check_handler("python3.14", "app.main", {"app.py": good}) is None
    assert check_handler("python3.14", "app.main", {}, layer_files={"python/app.py": good}) is None
    problem = check_handler("python3.14", "app.main", {"app.py": bad})
    assert problem is not None and problem.message == "handler app.main: app.py does not define main"
    ts = tmp_path / "api.ts"
    ts.write_text("export const handler = async () => 1;\n")
    assert check_handler("nodejs24.x", "src/api.handler", {}, sources={"src/api.ts": ts}) is None
    # a Node.js handler is never looked up in a layer: Lambda loads it from the function's code only
    js = tmp_path / "api.js"
    js.write_text("exports.handler = 1;\n")
    assert check_handler("nodejs24.x", "api.handler", {}, layer_files={"nodejs/api.js": js}) is not None
