"""Formatting log events: pure table tests."""

from __future__ import annotations

import pytest

from fnship.errors import InputError
from fnship.logs import Formatter, LogEvent, Source, parse_report, parse_time, summarize_report

HELLO = Source("hello", "demo-dev-hello", "/aws/lambda/demo-dev-hello")
RID = "0f6e6e9c-1234-4d5e-9abc-0123456789ab"
NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def ev(message: str, ts: int = 1_700_000_000_000, stream: str = "s1") -> LogEvent:
    return LogEvent(HELLO, stream, ts, message, "id")


@pytest.mark.parametrize(
    ("text", "expected_ms"),
    [
        ("10m", 1_700_000_000_000 - 600_000),
        ("1h", 1_700_000_000_000 - 3_600_000),
        ("30s", 1_700_000_000_000 - 30_000),
        ("2d", 1_700_000_000_000 - 2 * 86_400_000),
        ("2023-11-14T22:00:00Z", 1_699_999_200_000),
        ("2023-11-14T22:00:00", 1_699_999_200_000),  # naive means UTC
        ("2023-11-14T23:00:00+01:00", 1_699_999_200_000),
    ],
)
def test_parse_time(text, expected_ms):
    assert parse_time(text, now=NOW) == expected_ms


def test_parse_time_rejects_garbage_as_input_error():
    with pytest.raises(InputError) as raised:
        parse_time("yesterday", now=NOW, option="--since")
    assert "--since 'yesterday'" in raised.value.message
    assert raised.value.exit_code == 2


REPORT_COLD = (
    f"REPORT RequestId: {RID}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
    "Max Memory Used: 40 MB\tInit Duration: 150.20 ms\t"
)


def test_report_line_is_parsed_and_summarized():
    report = parse_report(REPORT_COLD)
    assert report == {
        "duration_ms": 12.34,
        "billed_ms": 13,
        "memory_mb": 128,
        "max_memory_used_mb": 40,
        "init_ms": 150.2,
    }
    assert summarize_report(report) == "REPORT 12.34 ms (billed 13 ms) | 40/128 MB | cold start, init 150.2 ms"


def test_warm_report_has_no_init():
    warm = f"REPORT RequestId: {RID}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB"
    assert "cold" not in summarize_report(parse_report(warm))


def test_print_lines_carry_the_request_id_of_their_stream_start():
    f = Formatter(labels=False)
    lines = [f.format(ev(m)) for m in (f"START RequestId: {RID} Version: 3", "hello world\n", f"END RequestId: {RID}")]
    assert [line.text for line in lines] == [
        "2023-11-14 22:13:20.000 0f6e6e9c START version 3",
        "2023-11-14 22:13:20.000 0f6e6e9c hello world",
        "2023-11-14 22:13:20.000 0f6e6e9c END",
    ]
    assert [line.record["kind"] for line in lines] == ["start", "log", "end"]
    assert all(line.record["request_id"] == RID for line in lines)
    # After END the stream serves no request: a stray line has no id.
    assert f.format(ev("after")).text.endswith("-------- after")


def test_json_lines_are_compact_or_pretty():
    message = '{"level": "INFO", "message": "saved", "requestId": "abcdef123", "n": 1}'
    compact = Formatter(labels=False).format(ev(message))
    assert compact.text.endswith('abcdef12 {"level":"INFO","message":"saved","requestId":"abcdef123","n":1}')
    assert compact.record["data"]["n"] == 1 and compact.record["kind"] == "json"
    pretty = Formatter(labels=False, pretty=True).format(ev(message))
    assert '\n  "n": 1\n' in pretty.text


def test_python_logging_lines_show_level_and_errors_stand_out():
    f = Formatter(labels=False)
    info = f.format(ev(f"[INFO]\t2023-11-14T22:13:20.000Z\t{RID}\tsaved order"))
    assert info.text.endswith("0f6e6e9c [INFO] saved order") and info.severity == "normal"
    error = f.format(ev("[ERROR] KeyError: 'id'\nTraceback (most recent call last):\n  File \"h.py\""))
    assert error.severity == "error"
    logged_error = f.format(ev(f"[ERROR]\t2023-11-14T22:13:20.000Z\t{RID}\tboom"))
    assert logged_error.severity == "error" and logged_error.record["level"] == "ERROR"


def test_timeout_line_is_an_error_without_the_repeated_stamp():
    line = Formatter(labels=False).format(ev(f"2023-11-14T22:13:23.000Z {RID} Task timed out after 3.00 seconds"))
    assert line.severity == "error"
    assert line.text.endswith("Task timed out after 3.00 seconds")
    assert line.text.count("2023-11-14") == 1


def test_labels_are_padded_to_the_longest_function():
    f = Formatter(labels=True, label_width=8)
    assert f.format(ev("x")).text == "2023-11-14 22:13:20.000 hello    -------- x"


def test_timed_out_report_is_an_error():
    line = Formatter(labels=False).format(ev(f"REPORT RequestId: {RID}\tDuration: 3000.00 ms\tStatus: timeout"))
    assert line.severity == "error" and line.record["report"]["status"] == "timeout"


# -- SnapStart and JSON-format system logs (issue 13) ---------------------------------------------------------------
REPORT_RESTORED = (
    f"REPORT RequestId: {RID}\tDuration: 5.10 ms\tBilled Duration: 90 ms\tMemory Size: 512 MB\t"
    "Max Memory Used: 80 MB\tRestore Duration: 210.50 ms\tBilled Restore Duration: 84 ms\t"
)


def test_snapstart_report_shows_restore_duration():
    line = Formatter(labels=False).format(ev(REPORT_RESTORED))
    assert line.record["report"]["restore_ms"] == 210.5
    assert line.record["report"]["billed_restore_ms"] == 84
    assert line.text.endswith(
        "REPORT 5.1 ms (billed 90 ms) | 80/512 MB | restored from snapshot, Restore Duration 210.5 ms"
    )


def platform(kind: str, record: dict) -> str:
    import json

    return json.dumps({"time": "2023-11-14T22:13:20.000Z", "type": kind, "record": record})


def test_json_platform_lines_read_as_text_ones():
    """The JSON system log records (https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html)
    give the same START / END / REPORT lines, records and request ids as the text format."""
    formatter = Formatter(labels=False)
    start = formatter.format(ev(platform("platform.start", {"requestId": RID, "version": "7"})))
    app = formatter.format(ev('{"timestamp":"2023-11-14T22:13:20Z","level":"INFO","message":"hi"}'))
    metrics = {"durationMs": 5.1, "billedDurationMs": 90, "memorySizeMB": 512, "maxMemoryUsedMB": 80,
               "restoreDurationMs": 210.5, "billedRestoreDurationMs": 84}  # fmt: skip
    done = formatter.format(ev(platform("platform.runtimeDone", {"requestId": RID, "status": "success"})))
    report = formatter.format(ev(platform("platform.report", {"requestId": RID, "metrics": metrics,
                                                              "status": "success"})))  # fmt: skip
    text = Formatter(labels=False).format(ev(REPORT_RESTORED))

    assert (start.record["kind"], start.severity, start.text.split(" ", 3)[3]) == ("start", "meta", "START version 7")
    assert start.record["request_id"] == RID
    assert app.record["request_id"] == RID  # print output after a JSON START still names its request
    assert (done.record["kind"], done.text.split(" ", 3)[3]) == ("end", "END")
    assert report.record["kind"] == "report" and report.severity == "report"
    assert report.record["report"] == text.record["report"]
    assert report.text.split(" ", 3)[3] == text.text.split(" ", 3)[3]


def test_json_platform_failures_are_errors():
    formatter = Formatter(labels=False)
    done = formatter.format(ev(platform("platform.runtimeDone", {"requestId": RID, "status": "timeout"})))
    report = formatter.format(ev(platform("platform.report", {"requestId": RID, "status": "timeout",
                                                              "metrics": {"durationMs": 3000.0}})))  # fmt: skip
    assert done.severity == "error" and done.text.endswith("END status timeout")
    assert report.severity == "error" and report.record["report"]["status"] == "timeout"


def test_a_shared_custom_group_keeps_each_functions_streams():
    """Lambda names a custom group's streams YYYY/MM/DD/<function_name>[<version>]<environment>."""
    shared = Source("hello", "demo-dev-hello", "/shared/demo")
    own = Source("hello", "demo-dev-hello", "/aws/lambda/demo-dev-hello")
    assert shared.owns("2023/11/14/demo-dev-hello[7]0123abcd")
    assert not shared.owns("2023/11/14/demo-dev-hello2[7]0123abcd")
    assert not shared.owns("2023/11/14/demo-dev-other[$LATEST]0123abcd")
    assert own.owns("2023/11/14/[7]0123abcd")
