"""Release progress lines: functions shift in parallel threads, and their lines must not interleave."""

from __future__ import annotations

import re
import threading
import time

from fnship.cli.release_view import Progress


def test_parallel_shifts_print_whole_lines():
    written: list[str] = []

    def slow_write(line: str) -> None:
        # A print is several writes; yielding between characters lets another thread's line cut in.
        for char in line + "\n":
            written.append(char)
            time.sleep(0)

    progress = Progress(json_mode=False, write=slow_write)
    start = threading.Barrier(4)

    def shift(function: str) -> None:
        start.wait()
        for step in range(1, 4):
            progress({"event": "shift", "function": function, "alias": "live", "weight": step / 4,
                      "step": step, "steps": 4, "remaining": 60.0})  # fmt: skip

    threads = [threading.Thread(target=shift, args=(f"fn{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = "".join(written).splitlines()
    assert len(lines) == 12
    whole = re.compile(r"^  ~ fn\d: \d+% of live on the new version \(step \d/4, 1m00s left\)$")
    assert [line for line in lines if not whole.match(line)] == []


def test_json_mode_prints_nothing_and_keeps_every_event():
    written: list[str] = []
    progress = Progress(json_mode=True, write=written.append)
    progress({"event": "hook", "function": "api", "alias": "live", "phase": "preTraffic", "target": "check"})
    assert written == [] and progress.events[0]["phase"] == "preTraffic"
