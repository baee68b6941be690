"""Decode moto's request recording into AWS action names, to assert which calls a command made."""

from __future__ import annotations

import ast
import base64
import urllib.parse

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Filter")


def body_text(record: dict) -> str:
    """The request's body as text (the recorder base64-encodes most bodies)."""
    body = record.get("body") or ""
    if str(record.get("body_encoded")) == "True" and body:
        return base64.b64decode(body).decode("utf-8", "replace")
    return body


def action_of(record: dict) -> str:
    """`Service.Action` for JSON/query protocols, `METHOD /path` for REST ones (Lambda, S3, API Gateway)."""
    headers = record.get("headers") or {}
    if isinstance(headers, str):
        headers = ast.literal_eval(headers)
    target = {k.lower(): v for k, v in headers.items()}.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    body = body_text(record)
    if body.startswith("Action=") or "&Action=" in body:
        return urllib.parse.parse_qs(body)["Action"][0]
    path = urllib.parse.urlparse(record["url"]).path
    return f"{record['method']} {path}"


def is_mutating(action: str) -> bool:
    if " " in action:  # REST: only reads use GET/HEAD
        return not action.startswith(("GET ", "HEAD "))
    return not action.startswith(READ_PREFIXES) and action != "GetCallerIdentity"


def mutating_actions(records: list[dict]) -> list[str]:
    """The action of every recorded request that changes something (moto's own control API excluded)."""
    actions = (action_of(r) for r in records if "/moto-api/" not in r["url"])
    return [action for action in actions if is_mutating(action)]
