"""Decode moto's request recording into AWS action names, to assert which calls a command made."""

from __future__ import annotations

import ast
import base64
import urllib.parse

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Filter")


def action_of(record: dict) -> str:
    """`Service.Action` for JSON/query protocols, `METHOD /path` for REST ones (Lambda, S3, API Gateway)."""
    headers = record.get("headers") or {}
    if isinstance(headers, str):
        headers = ast.literal_eval(headers)
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".", 1)[1]
    body = record.get("body") or ""
    if str(record.get("body_encoded")) == "True" and body:
        body = base64.b64decode(body).decode(errors="replace")
    if body.startswith("Action="):
        return urllib.parse.parse_qs(body)["Action"][0]
    path = urllib.parse.urlparse(record["url"]).path
    return f"{record['method']} {path}"


def is_mutating(action: str) -> bool:
    if " " in action:  # REST: only reads use GET/HEAD
        return not action.startswith(("GET ", "HEAD "))
    return not action.startswith(READ_PREFIXES) and action != "GetCallerIdentity"


def mutating_actions(records: list[dict]) -> list[str]:
    return [action for action in map(action_of, records) if is_mutating(action)]
