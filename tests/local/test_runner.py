"""The local runner: real handlers in a real subprocess, the Lambda-like context, timeouts, error payloads."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import pytest

from fnship.local import runner

LOCAL_PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def spec_for(code: Path, handler: str = "handler.main", *, timeout_s: int = 3, **kw) -> runner.RunSpec:
    return runner.RunSpec(
        handler=handler,
        code_paths=runner.code_paths(code, kw.pop("layers", ()), python=LOCAL_PY),
        function_name="demo-dev-main",
        invoked_arn="arn:aws:lambda:eu-west-1:123456789012:function:demo-dev-main",
        memory_mb=256,
        timeout_s=timeout_s,
        region="eu-west-1",
        runtime=f"python{LOCAL_PY}",
        log_group="/aws/lambda/demo-dev-main",
        **kw,
    )


def write(directory: Path, name: str, text: str) -> None:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_context_values_environment_and_logs(tmp_path):
    write(
        tmp_path,
        "handler.py",
        """\
        import logging, os, sys, time
        logging.getLogger().setLevel(logging.INFO)

        def main(event, context):
            print("got", event["n"])
            logging.info("two\\nlines")
            before = context.get_remaining_time_in_millis()
            time.sleep(0.05)
            print("to stderr", file=sys.stderr)
            return {
                "counted_down": before - context.get_remaining_time_in_millis(),
                "function_name": context.function_name,
                "function_version": context.function_version,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "aws_request_id": context.aws_request_id,
                "invoked_function_arn": context.invoked_function_arn,
                "log_group_name": context.log_group_name,
                "log_stream_name": context.log_stream_name,
                "remaining": context.get_remaining_time_in_millis(),
                "env": os.environ["TABLE"],
                "region": os.environ["AWS_REGION"],
                "cwd": os.getcwd(),
            }
        """,
    )
    seen: list[str] = []
    result = runner.run(
        spec_for(tmp_path, environment={"TABLE": "orders"}),
        b'{"n": 7}',
        on_log=lambda _ts, m: seen.append(m),
        request_id="6bd1a7a4-1234-4d5e-9abc-0123456789ab",
    )
    assert result.ok, result.payload
    body = json.loads(result.payload)
    assert body["function_name"] == "demo-dev-main"
    assert body["function_version"] == "$LATEST"
    assert body["memory_limit_in_mb"] == "256"  # a string, as in the AWS runtime
    assert body["aws_request_id"] == "6bd1a7a4-1234-4d5e-9abc-0123456789ab"
    assert body["invoked_function_arn"].endswith(":function:demo-dev-main")
    assert body["log_group_name"] == "/aws/lambda/demo-dev-main"
    assert body["log_stream_name"] == result.log_stream
    assert 2000 < body["remaining"] <= 3000
    assert body["counted_down"] >= 50  # the clock runs: not a constant
    assert body["env"] == "orders" and body["region"] == "eu-west-1"
    assert body["cwd"] == str(tmp_path.resolve())
    messages = [m for _ts, m in result.logs]
    assert messages == seen
    assert messages[0] == "START RequestId: 6bd1a7a4-1234-4d5e-9abc-0123456789ab Version: $LATEST"
    assert messages[1] == "got 7"
    assert messages[2].startswith("[INFO]\t") and messages[2].endswith(
        "\t6bd1a7a4-1234-4d5e-9abc-0123456789ab\ttwo\nlines"
    )
    assert messages[3] == "to stderr"
    assert messages[4] == "END RequestId: 6bd1a7a4-1234-4d5e-9abc-0123456789ab"
    report = messages[5]
    assert report.startswith("REPORT RequestId: 6bd1a7a4-1234-4d5e-9abc-0123456789ab\tDuration: ")
    assert "\tMemory Size: 256 MB\t" in report and "\tInit Duration: " in report
    stamps = [ts for ts, _m in result.logs]
    assert stamps == sorted(stamps)
    assert result.log_stream.startswith(time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()))
    assert len(result.log_stream.split("]")[1]) == 32


def test_a_handler_that_sleeps_past_its_timeout_is_stopped(tmp_path):
    write(tmp_path, "handler.py", "import time\ndef main(event, context):\n    print('working')\n    time.sleep(30)\n")
    started = time.monotonic()
    result = runner.run(spec_for(tmp_path, timeout_s=1), b"{}")
    assert time.monotonic() - started < 20  # stopped, not left to sleep its 30 s
    assert result.timed_out and result.error_type == "Sandbox.Timedout"
    error = json.loads(result.payload)
    assert error["errorMessage"] == f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds"
    messages = [m for _ts, m in result.logs]
    assert "working" in messages
    assert any(m.endswith(f"{result.request_id} Task timed out after 1.00 seconds") for m in messages)
    assert messages[-1].startswith(f"REPORT RequestId: {result.request_id}\tDuration: 1000.00 ms")
    assert "Status: timeout" in messages[-1]


def test_an_interrupted_run_does_not_leave_the_handler_running(tmp_path):
    """Ctrl-C reaches fn only (the handler has a session of its own): the runner must stop the handler itself."""
    write(
        tmp_path,
        "handler.py",
        "import os, time\ndef main(event, context):\n    open('pid', 'w').write(str(os.getpid()))\n"
        "    print('working')\n    time.sleep(60)\n",
    )
    working = threading.Event()

    def clock() -> float:
        if working.is_set():
            raise KeyboardInterrupt  # as the user presses Ctrl-C while the handler runs
        return time.time()

    def on_log(_ts: int, message: str) -> None:
        if message == "working":
            working.set()

    with pytest.raises(KeyboardInterrupt):
        runner.run(spec_for(tmp_path, timeout_s=60), b"{}", on_log=on_log, clock=clock)
    pid = int((tmp_path / "pid").read_text())
    try:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # stopped and reaped
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_the_timeout_does_not_count_the_import(tmp_path):
    write(tmp_path, "handler.py", "import time\ntime.sleep(1.2)\ndef main(event, context):\n    return 1\n")
    result = runner.run(spec_for(tmp_path, timeout_s=1), b"{}")
    assert result.ok and result.init_ms >= 1000


@pytest.mark.parametrize(
    ("source", "handler", "error_type", "message"),
    [
        ("def main(e, c):\n    raise ValueError('bad order')\n", "handler.main", "ValueError", "bad order"),
        ("import not_installed_anywhere\n", "handler.main", "Runtime.ImportModuleError", "Unable to import module"),
        ("def other(e, c):\n    pass\n", "handler.main", "Runtime.HandlerNotFound", "Handler 'main' missing"),
        ("def main(e, c):\n    return object()\n", "handler.main", "Runtime.MarshalError", "Unable to marshal"),
        ("import sys\ndef main(e, c):\n    sys.exit(3)\n", "handler.main", "Runtime.ExitError", "exit status 3"),
    ],
)
def test_errors_are_reported_like_lambda(tmp_path, source, handler, error_type, message):
    write(tmp_path, "handler.py", source)
    result = runner.run(spec_for(tmp_path, handler=handler), b"{}")
    assert result.error_type == error_type
    document = json.loads(result.payload)
    assert document["errorType"] == error_type and message in document["errorMessage"]
    if error_type == "ValueError":
        assert any("raise ValueError" in line for line in document["stackTrace"])
        # The error and its whole traceback are one log event, as on Lambda.
        error_events = [m for _ts, m in result.logs if m.startswith("[ERROR] ValueError: bad order\nTraceback")]
        assert len(error_events) == 1 and error_events[0].endswith("raise ValueError('bad order')")


def test_layers_and_nested_handlers_are_on_the_path(tmp_path):
    code, layer = tmp_path / "code", tmp_path / "layer"
    write(code, "src/app/__init__.py", "")
    write(code, "src/__init__.py", "")
    write(layer, "python/shared.py", "VALUE = 'from layer'\n")
    write(
        code,
        "src/app/handler.py",
        "import shared\nfrom helper import twice\ndef main(e, c):\n    return twice(shared.VALUE)\n",
    )
    write(layer, f"python/lib/python{LOCAL_PY}/site-packages/helper.py", "def twice(x):\n    return x * 2\n")
    result = runner.run(spec_for(code, handler="src/app/handler.main", layers=(layer,)), b"{}")
    assert result.ok, result.payload
    assert json.loads(result.payload) == "from layerfrom layer"


def test_extract_reuses_the_same_code(tmp_path):
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("handler.py", "x = 1\n")
    first = runner.extract(zpath, tmp_path / "run", digest="ab" * 32)
    (first / "marker").write_text("kept")
    second = runner.extract(zpath, tmp_path / "run", digest="ab" * 32)
    assert first == second and (second / "marker").exists() and (second / "handler.py").exists()


@pytest.mark.parametrize(
    ("runtime", "python", "warns"),
    [("python3.12", "3.12", False), ("python3.12", "3.11", True), ("nodejs20.x", "3.12", True)],
)
def test_python_version_warning(runtime, python, warns):
    assert (runner.python_version_warning(runtime, python=python) is not None) is warns
