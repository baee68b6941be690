"""`url:` on a function: a function URL, public or IAM-authorized. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fnship.manifest.checks import Checker
from fnship.manifest.events.common import parse_cors
from fnship.manifest.types import Cors, KeyPath

URL_KEYS = frozenset({"authorizer", "cors", "invokeMode"})
INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")


@dataclass(frozen=True)
class UrlEvent:
    """A function URL on the alias: public (`NONE`) or IAM-authorized (`AWS_IAM`)."""

    auth_type: str
    cors: Cors | None
    invoke_mode: str


def parse_url(value: Any, path: KeyPath, check: Checker) -> UrlEvent | None:
    if value is True:
        return UrlEvent("NONE", None, "BUFFERED")
    raw = check.want_mapping(value, path, what="true or a mapping (authorizer, cors, invokeMode)")
    if raw is None:
        return None
    check.keys(raw, path, URL_KEYS)
    auth = "NONE"
    if raw.get("authorizer") is not None:
        chosen = check.want_choice(
            raw["authorizer"], (*path, "authorizer"), ("aws_iam",), what="a function URL authorizer"
        )
        auth = "AWS_IAM" if chosen else auth
    mode = "BUFFERED"
    if raw.get("invokeMode") is not None:
        mode = check.want_choice(raw["invokeMode"], (*path, "invokeMode"), INVOKE_MODES, what="an invoke mode") or mode
    return UrlEvent(auth, parse_cors(raw.get("cors"), (*path, "cors"), check), mode)
