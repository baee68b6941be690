"""IAM derivation: the execution role's trust policy and least-privilege inline policy.

Pure: no AWS, no filesystem. No `*` action or resource appears unless the manifest wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

POLICY_VERSION = "2012-10-17"
INLINE_POLICY_NAME = "fnship"

LAMBDA_TRUST_POLICY: dict[str, Any] = {
    "Version": POLICY_VERSION,
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def logs_statement(log_group_arn: str) -> dict[str, Any]:
    """Write to the function's own log group only. We create the group, so no logs:CreateLogGroup."""
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [f"{log_group_arn}:*"],
    }


def normalize_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    """One spelling per statement (lists for Action/Resource), so desired and live compare equal."""
    normalized: dict[str, Any] = {}
    for key in sorted(statement):
        value = statement[key]
        if key in ("Action", "NotAction", "Resource", "NotResource"):
            values = [value] if isinstance(value, str) else list(value)
            normalized[key] = values[0] if len(values) == 1 else values
        else:
            normalized[key] = value
    return normalized


def policy_document(statements: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {"Version": POLICY_VERSION, "Statement": [normalize_statement(s) for s in statements]}


def normalize_document(document: Mapping[str, Any]) -> dict[str, Any]:
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    return {
        "Version": document.get("Version", POLICY_VERSION),
        "Statement": [normalize_statement(s) for s in statements],
    }
