"""The Node.js shim: real handlers run by the machine's node, in both protocols (one-shot and warm), with the
Lambda-like context, the handler styles, errors as the Node.js runtime reports them, timeouts and layers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from fnship.errors import InputError
from fnship.local import runner, shims

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node (apt-get install nodejs)")


# Only the timeout test counts on the timeout: the others get a minute, so a loaded machine (2 cores at load 16) never
# turns a handler's answer into a timeout.
def spec_for(code: Path, handler: str, *, timeout_s: int = 60, layers=(), **kw) -> runner.RunSpec:
    return runner.RunSpec(
        handler=handler,
        code_paths=shims.code_paths("nodejs22.x", code, layers),
        function_name="demo-dev-main",
        invoked_arn="arn:aws:lambda:eu-west-1:123456789012:function:demo-dev-main",
        memory_mb=256,
        timeout_s=timeout_s,
        region="eu-west-1",
        runtime="nodejs22.x",
        log_group="/aws/lambda/demo-dev-main",
        **kw,
    )


def write(directory: Path, name: str, text: str) -> None:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def run(code: Path, handler: str, event: dict | None = None, **kw) -> runner.RunResult:
    return runner.run(spec_for(code, handler, **kw), json.dumps(event or {}).encode())


HANDLERS = {
    "cjs.js": """\
        exports.handler = async (event, context) => ({
          got: event.n, name: context.functionName, memory: context.memoryLimitInMB, arn: context.invokedFunctionArn,
          id: context.awsRequestId, remaining: context.getRemainingTimeInMillis() > 0, version: context.functionVersion,
          env: process.env.MINE, region: process.env.AWS_REGION,
        });
        exports.nested = { deeper: { main: async () => "nested" } };
    """,
    "esm.mjs": """\
        export const handler = async (event) => { console.log("esm", event.n); return { esm: true }; };
    """,
    "styles.js": """\
        exports.callback = (event, context, callback) => {
          setTimeout(() => callback(null, { style: "callback" }), 5);
        };
        exports.done = (event, context) => { setTimeout(() => context.done(null, { style: "done" }), 5); };
        exports.succeed = (event, context) => { context.succeed({ style: "succeed" }); };
        exports.fail = (event, context) => { context.fail(new RangeError("failed")); };
        exports.cbError = (event, context, callback) => callback(new Error("cb error"));
        exports.throws = async () => { const e = new TypeError("bad input"); throw e; };
        exports.rejects = async () => { Promise.reject(new Error("nobody waits")); return new Promise(() => {}); };
        exports.slow = async () => new Promise(() => setTimeout(() => {}, 60000));
        exports.notAFunction = 42;
        exports.logs = async () => {
          console.log("one\\ntwo"); console.warn("careful"); console.error("oops"); return 1;
        };
        exports.circular = async () => { const a = {}; a.a = a; return a; };
    """,
    "broken.js": "exports.handler = async () => {;\n",
}


@pytest.fixture
def code(tmp_path: Path) -> Path:
    for name, text in HANDLERS.items():
        write(tmp_path, name, text)
    return tmp_path


def test_commonjs_handler_context_and_environment(code: Path):
    result = run(code, "cjs.handler", {"n": 3}, environment={"MINE": "yes"})
    assert result.ok, result.payload
    body = json.loads(result.payload)
    assert body == {
        "got": 3, "name": "demo-dev-main", "memory": "256",
        "arn": "arn:aws:lambda:eu-west-1:123456789012:function:demo-dev-main", "id": result.request_id,
        "remaining": True, "version": "$LATEST", "env": "yes", "region": "eu-west-1",
    }  # fmt: skip
    assert result.init_ms is not None and result.logs[-1][1].startswith(f"REPORT RequestId: {result.request_id}")


def test_nested_export_and_esm(code: Path):
    assert json.loads(run(code, "cjs.nested.deeper.main").payload) == "nested"
    result = run(code, "esm.handler", {"n": 7})
    assert json.loads(result.payload) == {"esm": True}
    line = next(m for _t, m in result.logs if "\tINFO\t" in m)
    stamp, request_id, level, message = line.split("\t")
    assert request_id == result.request_id and level == "INFO" and message == "esm 7" and stamp.endswith("Z")


@pytest.mark.parametrize(
    ("handler", "expected"),
    [("styles.callback", {"style": "callback"}), ("styles.done", {"style": "done"}),
     ("styles.succeed", {"style": "succeed"})],
)  # fmt: skip
def test_callback_and_context_styles(code: Path, handler, expected):
    result = run(code, handler)
    assert result.ok and json.loads(result.payload) == expected


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("styles.fail", "RangeError", "failed"),
        ("styles.cbError", "Error", "cb error"),
        ("styles.throws", "TypeError", "bad input"),
        ("styles.rejects", "Runtime.UnhandledPromiseRejection", "Error: nobody waits"),
        ("styles.notAFunction", "Runtime.HandlerNotFound", "styles.notAFunction is undefined or not exported"),
        ("styles.missing", "Runtime.HandlerNotFound", "styles.missing is undefined or not exported"),
        ("nowhere.handler", "Runtime.ImportModuleError", "Error: Cannot find module 'nowhere'"),
        ("broken.handler", "Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected end of input"),
        ("styles.circular", "Runtime.MarshalError", "Unable to stringify response body"),
    ],
)
def test_errors_as_the_nodejs_runtime_reports_them(code: Path, handler, error_type, message):
    result = run(code, handler)
    assert result.error_type == error_type
    doc = json.loads(result.payload)
    assert doc["errorType"] == error_type and doc["errorMessage"].startswith(message), doc
    assert isinstance(doc["trace"], list)
    if error_type == "TypeError":
        assert any("styles.js" in line for line in doc["trace"])
        assert any("\tERROR\tInvoke Error \t" in m for _t, m in result.logs)


def test_multi_line_log_is_one_event_and_levels(code: Path):
    result = run(code, "styles.logs")
    messages = [m.split("\t", 2)[2] for _t, m in result.logs if m.count("\t") >= 3 and not m.startswith("REPORT")]
    assert messages == ["INFO\tone\ntwo", "WARN\tcareful", "ERROR\toops"]


def test_timeout_kills_the_handler(code: Path):
    result = run(code, "styles.slow", timeout_s=1)
    assert result.timed_out and result.error_type == "Sandbox.Timedout"
    assert any("Task timed out after 1.00 seconds" in m for _t, m in result.logs)


def test_layers_are_on_node_path_later_layer_first(tmp_path: Path):
    code = tmp_path / "code"
    write(code, "index.js", "exports.handler = async () => [require('shared').v, require('only-first').v];\n")
    first, second = tmp_path / "l1", tmp_path / "l2"
    write(first, "nodejs/node_modules/shared/index.js", "exports.v = 'first';\n")
    write(first, "nodejs/node_modules/only-first/index.js", "exports.v = 'one';\n")
    write(second, "nodejs/node22/node_modules/shared/index.js", "exports.v = 'second';\n")
    result = run(code, "index.handler", layers=(first, second))
    assert json.loads(result.payload) == ["second", "one"], result.payload


def test_the_shell_environment_passes_through_and_the_function_wins(code: Path, monkeypatch):
    monkeypatch.setenv("MINE", "from-shell")
    monkeypatch.setenv("ONLY_SHELL", "here")
    write(
        code,
        "env.js",
        "exports.handler = async () => [process.env.MINE, process.env.ONLY_SHELL, process.env._FN_HANDLER];\n",
    )
    result = run(code, "env.handler", environment={"MINE": "function"})
    assert json.loads(result.payload) == ["function", "here", None]


def test_warm_mode_loads_once_and_answers_each_line(code: Path):
    """The protocol fn dev's warm workers speak: init once, then one `done` per stdin line, until EOF."""
    write(
        code,
        "counter.js",
        "let n = 0; exports.handler = async (event, ctx) => ({ n: ++n, id: ctx.awsRequestId, e: event });\n",
    )
    spec = spec_for(code, "counter.handler")
    read_end, write_end = os.pipe()
    env = {**runner.lambda_environment(spec, log_stream="s"), **shims.environment(spec), "FN_RUNNER_WARM": "1",
           "_FN_HANDLER": spec.handler, "_FN_PATHS": os.pathsep.join(map(str, spec.code_paths)),
           "_FN_CONTROL_FD": str(write_end), "_FN_TIMEOUT_MS": "3000"}  # fmt: skip
    lines = "".join(json.dumps({"event": {"i": i}, "request_id": f"r{i}", "deadline_ms": 4102444800000,
                                "arn": spec.invoked_arn}) + "\n" for i in (1, 2))  # fmt: skip
    done = subprocess.run(shims.command(spec, python="python3"), input=lines.encode(), env=env, cwd=code,
                          pass_fds=(write_end,), capture_output=True, timeout=60)  # fmt: skip
    os.close(write_end)
    with os.fdopen(read_end) as control:
        messages = [json.loads(line) for line in control]
    assert done.returncode == 0, done.stdout + done.stderr
    assert [m["phase"] for m in messages] == ["init", "done", "done"]
    answers = [(m["request_id"], json.loads(m["payload"])) for m in messages[1:]]
    assert answers == [("r1", {"n": 1, "id": "r1", "e": {"i": 1}}), ("r2", {"n": 2, "id": "r2", "e": {"i": 2}})]


def test_version_warning_and_runtimes_without_a_local_runner():
    assert shims.node_version_warning("nodejs22.x", version="22.11.0") is None
    assert shims.node_version_warning("nodejs22.x", version="20.20.2") == (
        "the function's runtime is nodejs22.x but it runs here on Node.js 20.20.2"
    )
    wanted = "runtime java21 has no local runner: fn invoke --local runs python\\* runtimes and nodejs\\* runtimes"
    with pytest.raises(InputError, match=wanted):
        shims.shim_for("java21")
