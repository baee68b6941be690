"""Warm workers: the shim's warm mode (one import, many invocations), logs kept with their invocation, the
timeout kill, retiring workers on new code, and the pool's size limit."""

from __future__ import annotations

import json
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from fnship.local import runner, warm

LOCAL_PY = f"{sys.version_info.major}.{sys.version_info.minor}"

HANDLER = """\
import os, time
imports = globals().get("imports", 0) + 1
calls = 0

def main(event, context):
    global calls
    calls += 1
    for n in range(event.get("lines", 1)):
        print(f"line {n} of {context.aws_request_id}")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("gate"):
        while not os.path.exists(event["gate"]):
            time.sleep(0.01)
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"calls": calls, "pid": os.getpid(), "version": VERSION}

VERSION = 1
"""


def spec_for(code: Path, *, timeout_s: int = 5) -> runner.RunSpec:
    return runner.RunSpec(
        handler="handler.main",
        code_paths=runner.code_paths(code, python=LOCAL_PY),
        function_name="demo-dev-main",
        invoked_arn="arn:aws:lambda:us-east-1:123456789012:function:demo-dev-main",
        memory_mb=256,
        timeout_s=timeout_s,
        region="us-east-1",
        runtime=f"python{LOCAL_PY}",
        log_group="/aws/lambda/demo-dev-main",
    )


@pytest.fixture
def code(tmp_path: Path) -> Path:
    (tmp_path / "handler.py").write_text(textwrap.dedent(HANDLER))
    return tmp_path


@pytest.fixture
def pools():
    made: list[warm.FunctionPool] = []

    def make(spec, **kw) -> warm.FunctionPool:
        made.append(warm.FunctionPool(spec, **kw))
        return made[-1]

    yield make
    for pool in made:
        pool.close()


def payload(result) -> dict:
    assert result.ok, result.payload
    return json.loads(result.payload)


def test_one_process_serves_many_invocations_and_each_keeps_its_own_lines(code, pools):
    pool = pools(spec_for(code))
    first = pool.invoke(b'{"lines": 3}', request_id="req-1")
    second = pool.invoke(b'{"lines": 200}', request_id="req-2")
    assert payload(first)["pid"] == payload(second)["pid"]
    assert payload(second)["calls"] == 2
    assert first.init_ms is not None and second.init_ms is None  # the second is warm
    first_lines = [m for _, m in first.logs if m.startswith("line")]
    second_lines = [m for _, m in second.logs if m.startswith("line")]
    assert first_lines == [f"line {n} of req-1" for n in range(3)]
    assert second_lines == [f"line {n} of req-2" for n in range(200)]
    assert second.logs[-1][1].startswith("REPORT RequestId: req-2") and "Init Duration" not in second.logs[-1][1]
    assert first.log_stream == second.log_stream  # one stream per execution environment


def test_a_handler_error_keeps_the_worker_warm(code, pools):
    pool = pools(spec_for(code))
    failed = pool.invoke(b'{"fail": true}')
    assert failed.error_type == "RuntimeError"
    assert payload(pool.invoke(b"{}"))["calls"] == 2


def test_timeout_kills_the_worker_and_the_next_invocation_is_cold(code, pools):
    pool = pools(spec_for(code, timeout_s=1))
    before = payload(pool.invoke(b"{}"))["pid"]
    slow = pool.invoke(b'{"sleep": 30}')
    assert slow.timed_out and slow.error_type == "Sandbox.Timedout"
    assert any("Task timed out after 1.00 seconds" in m for _, m in slow.logs)
    after = pool.invoke(b"{}")
    assert payload(after)["pid"] != before and after.init_ms is not None


def test_replace_retires_workers_new_code_starts_cold(code, pools):
    pool = pools(spec_for(code))
    old = payload(pool.invoke(b"{}"))
    other = code.parent / "v2"
    other.mkdir()
    (other / "handler.py").write_text(textwrap.dedent(HANDLER).replace("VERSION = 1", "VERSION = 2"))
    pool.replace(spec_for(other))
    new = payload(pool.invoke(b"{}"))
    assert new["version"] == 2 and new["pid"] != old["pid"] and new["calls"] == 1


def test_at_most_max_workers_run_at_once(code, pools, tmp_path):
    pool = pools(spec_for(code), max_workers=2)
    gate = tmp_path / "gate"
    results: list = []

    def call() -> None:
        results.append(pool.invoke(json.dumps({"gate": str(gate)}).encode()))

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    # Two workers busy at the gate, the third invocation waits for one of them.
    assert pool.size <= 2
    gate.write_text("open")
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 3 and all(r.ok for r in results)
    assert len({payload(r)["pid"] for r in results}) <= 2
    assert pool.size <= 2


def test_a_worker_exiting_mid_invocation_is_an_exit_error(tmp_path, pools):
    (tmp_path / "handler.py").write_text("import os\n\ndef main(event, context):\n    os._exit(3)\n")
    pool = pools(spec_for(tmp_path))
    result = pool.invoke(b"{}")
    assert result.error_type == "Runtime.ExitError" and "exit status 3" in result.payload.decode()
    assert pool.invoke(b"{}").error_type == "Runtime.ExitError"  # a new worker, same fate


def test_what_the_init_prints_before_an_invocation_listens_is_logged_with_it(tmp_path):
    """A worker's init can finish (and print) before its first invocation starts listening (a loaded machine runs
    the new process first): those lines are the first invocation's, as Lambda logs a failed init, not lost."""
    import time

    (tmp_path / "handler.py").write_text("import json\n\ndef main(event, context:\n    return 1\n")
    worker = warm.Worker(spec_for(tmp_path))
    try:
        deadline = time.monotonic() + 60
        while worker._messages.empty() and time.monotonic() < deadline:
            time.sleep(0.01)  # waiting for the process's init message (an outside process), not ordering our steps
        assert not worker._messages.empty(), "no init message from the worker"
        result = worker.invoke(b"{}", request_id="req-1")
    finally:
        worker.stop(kill=True)
    messages = [m for _, m in result.logs]
    assert result.error_type == "Runtime.ImportModuleError"
    assert sum("Runtime.ImportModuleError" in m for m in messages) == 1
    assert any("SyntaxError" in m for m in messages)
    start = next(i for i, m in enumerate(messages) if m.startswith("START"))
    assert any("Runtime.ImportModuleError" in m for m in messages[:start])  # the init's lines come first
