"""Which recorded requests change something in AWS, whatever the protocol of the service called."""

from __future__ import annotations

import base64
import urllib.parse

READ_PREFIXES = ("Get", "List", "Describe", "Head")


def body_text(request: dict) -> str:
    """The request's body as text (the recorder base64-encodes most bodies)."""
    body = request.get("body") or ""
    if request.get("body_encoded") and body:
        return base64.b64decode(body).decode("utf-8", "replace")
    return body


def operation(request: dict) -> str | None:
    """The API action a recorded request names (JSON and query protocols), or None for REST-style calls."""
    headers = {k.lower(): v for k, v in (request.get("headers") or {}).items()}
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    body = body_text(request)
    if "Action=" in body:
        return urllib.parse.parse_qs(body).get("Action", [None])[0]
    return None


def mutating_calls(recording: list[dict]) -> list[str]:
    """`METHOD url` (or the action name) of every request that is not a read."""
    found = []
    for request in recording:
        if "/moto-api/" in request["url"]:
            continue
        action = operation(request)
        if action is not None:
            if not action.startswith(READ_PREFIXES):
                found.append(action)
        elif request["method"] not in ("GET", "HEAD"):
            found.append(f"{request['method']} {request['url']}")
    return found
