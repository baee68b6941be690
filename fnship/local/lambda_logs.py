"""Where and how a locally run function's log lines are stored, as Lambda stores them: in its log group
(`logs.logGroup`, else /aws/lambda/<name>), in streams that name the function when the group is a custom one, and as
JSON platform records when `logs.logFormat` is JSON. Pure."""

from __future__ import annotations

import json
import re

from fnship.jsonvalue import JsonObject

_START = re.compile(r"^START RequestId: (\S+)(?: Version: (\S+))?")
_END = re.compile(r"^END RequestId: (\S+)")
_REPORT = re.compile(r"^REPORT RequestId: (\S+)")
# The JSON system log records' metric names (fnship.logs reads them back the same way).
_METRICS = {
    "duration_ms": "durationMs",
    "billed_ms": "billedDurationMs",
    "memory_mb": "memorySizeMB",
    "max_memory_used_mb": "maxMemoryUsedMB",
    "init_ms": "initDurationMs",
}


def stream_in_group(group: str, function_name: str, stream: str) -> str:
    """A custom group's streams name their function: `YYYY/MM/DD/<function_name>[<version>]<environment>`.
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html"""
    if group == f"/aws/lambda/{function_name}":
        return stream
    day, _, rest = stream.rpartition("/")
    return f"{day}/{function_name}{rest}"


def platform_json(message: str, stamp: int) -> str:
    """A START / END / REPORT line as `logFormat: JSON` writes it (a platform.* record); other lines as they are.
    https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html"""
    from fnship.logs import iso_time, parse_report

    record: JsonObject
    if match := _START.match(message):
        kind, record = "platform.start", {"requestId": match.group(1), "version": match.group(2) or "$LATEST"}
    elif match := _END.match(message):
        kind, record = "platform.runtimeDone", {"requestId": match.group(1), "status": "success"}
    elif match := _REPORT.match(message):
        report = parse_report(message)
        metrics = {_METRICS[key]: value for key, value in report.items() if key in _METRICS}
        kind = "platform.report"
        record = {"requestId": match.group(1), "metrics": metrics, "status": report.get("status") or "success"}
    else:
        return message
    return json.dumps({"time": iso_time(stamp), "type": kind, "record": record})
