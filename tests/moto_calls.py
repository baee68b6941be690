"""Decode moto's request recording into AWS action names, to assert which calls a command made."""

from __future__ import annotations

import ast
import base64
import functools
import re
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


# A request's signing name (its credential scope) -> the botocore models that may have sent it.
MODELS_BY_SIGNING_NAME = {
    "apigateway": ("apigatewayv2", "apigateway"),
    "tagging": ("resourcegroupstaggingapi",),
    "monitoring": ("cloudwatch",),
}


@functools.cache
def _service_model(name: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(name)


def _rest_operation(models: tuple[str, ...], method: str, url: str) -> str:
    """The operation of a REST-protocol request: the model operation whose method, URI template and required
    query keys match, the most specific one when several do (`/functions/{F}` vs `/functions/{F}/aliases`)."""
    parsed = urllib.parse.urlparse(url)
    query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
    best: tuple[int, str] | None = None
    for name in models:
        model = _service_model(name)
        for operation in model.operation_names:
            http = model.operation_model(operation).http
            if http["method"] != method:
                continue
            template, _, required = http["requestUri"].partition("?")
            pattern = re.escape(template.rstrip("/"))
            pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", pattern)  # {Key+}: any number of segments
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
            needed = [part.split("=")[0] for part in required.split("&") if part]
            if not re.fullmatch(pattern + "/?", parsed.path) or not all(key in query for key in needed):
                continue
            score = len(re.sub(r"\{[^}]+\}", "", template)) + 100 * len(needed)
            if best is None or score > best[0]:
                best = (score, operation)
    assert best is not None, f"no {models} operation for {method} {parsed.path}"
    return best[1]


def iam_actions(records: list[dict]) -> set[str]:
    """The IAM action every recorded request needed (`lambda:GetFunction`, `apigateway:GET`), as
    fnship.aws.errors.iam_action names them when AWS denies one."""
    from fnship.aws.errors import iam_action

    found = set()
    for record in records:
        if "/moto-api/" in record["url"]:
            continue
        headers = record.get("headers") or {}
        if isinstance(headers, str):
            headers = ast.literal_eval(headers)
        authorization = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        service = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", authorization)[1]
        action = action_of(record)
        if " " in action:  # REST protocol: find the operation in the service's model
            action = _rest_operation(MODELS_BY_SIGNING_NAME.get(service, (service,)), record["method"], record["url"])
        found.add(iam_action(service, action, http_method=record["method"]))
    return found
