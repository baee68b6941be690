"""Audit every IAM policy document fnship generates for serverless.yml.example and each blueprint with parliament.

Run by `make lint`: `python .ci/audit_iam.py`. Builds the desired state offline (no AWS: the account id and the
environment variables the blueprints read are fixed stand-ins, artifacts are placeholders), collects every policy
document in it (trust and inline policies, whatever resource carries them), and fails on any parliament finding
above LOW. Prints the count of documents and findings.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ACCOUNT = "123456789012"
ENV = {"TABLE_STREAM_ARN": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/starter/stream/2024-01-01T00:00:00.000"}
BLOCKING = {"CRITICAL", "HIGH", "MEDIUM"}  # parliament's severities above LOW
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/fnship-audit"


@dataclasses.dataclass(frozen=True)
class PlaceholderArtifact:
    """Stands for a built zip or image: IAM does not depend on the code."""

    path: Path = Path("placeholder.zip")
    sha256_hex: str = "0" * 64
    code_sha256: str = "AAAA"
    size: int = 1
    unzipped_size: int = 1
    files: int = 1
    kind: str = "zip"
    cache_hit: bool = False
    name: str = ""
    image: Any = None
    function_keys: tuple[str, ...] = ()


def manifests(workdir: Path) -> list[Path]:
    from fnship.init import list_blueprints, render, variables

    found = [ROOT / "serverless.yml.example"]
    for blueprint in list_blueprints():
        target = workdir / blueprint.name
        render(blueprint, target, variables("starter"))
        found.append(target / "serverless.yml")
    return found


def policy_documents(value: Any, seen: set[int] | None = None) -> list[dict[str, Any]]:
    """Every mapping with a `Statement` list anywhere in `value` (dataclasses, mappings, sequences)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [d for field in dataclasses.fields(value) for d in policy_documents(getattr(value, field.name), seen)]
    if isinstance(value, dict):
        if "Statement" in value and "Version" in value:
            return [value]
        return [d for item in value.values() for d in policy_documents(item, seen)]
    if isinstance(value, (list, tuple)):
        return [d for item in value for d in policy_documents(item, seen)]
    return []


def desired_documents(path: Path) -> list[dict[str, Any]]:
    from fnship.manifest import Lookups, load_manifest
    from fnship.model.build import build_desired
    from fnship.model.resources import resolve_refs

    manifest = load_manifest(
        path, env=ENV, lookups=Lookups(ssm=lambda name, **_where: "placeholder", account_id=lambda **_w: ACCOUNT)
    )
    artifacts = {key: PlaceholderArtifact(function_keys=(key,)) for key in manifest.functions}
    layers = {key: PlaceholderArtifact(kind="layer", name=key) for key in getattr(manifest, "layers", {}) or {}}
    state = build_desired(manifest, artifacts, account_id=ACCOUNT, layers=layers)
    return policy_documents([resolve_refs(resource.spec, stand_in(state)) for resource in state.resources])


# What a value of the companion stack stands for in the audit (the stack is not deployed): an ARN of the type of
# the resource it names, in the form AWS gives it.
STAND_INS = {
    "AWS::DynamoDB::Table": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{{id}}",
    "AWS::SQS::Queue": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{{id}}",
    "AWS::SNS::Topic": f"arn:aws:sns:us-east-1:{ACCOUNT}:{{id}}",
    "AWS::S3::Bucket": "arn:aws:s3:::{id}",
    "AWS::Kinesis::Stream": f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{{id}}",
}


def stand_in(state: Any) -> Any:
    """A lookup for `resolve_refs`: a reference to the companion stack's value (`ref:X`, or an output whose value
    is `Ref`/`Fn::GetAtt` of X) -> the stand-in ARN of X's type."""
    stack = state.get("stack")
    template = stack.spec.template if stack is not None and stack.spec is not None else {}

    def lookup(_address: str, attribute: str) -> str | None:
        kind, _, key = attribute.partition(":")
        logical = key
        if kind == "output":
            value = template["Outputs"][key]["Value"]
            target = value.get("Ref") or value.get("Fn::GetAtt", [""])[0]
            logical = str(target).split(".", 1)[0]
        resource_type = template.get("Resources", {}).get(logical, {}).get("Type", "")
        return STAND_INS.get(resource_type, f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{{id}}").format(
            id=logical.lower()
        )

    return lookup


def as_identity_policy(document: dict[str, Any]) -> dict[str, Any]:
    """parliament reads identity policies. A role's trust policy is the role's resource policy: it has a Principal
    and no Resource (the role is implied), which parliament calls MALFORMED; audit it with the role as Resource."""
    statements = [
        {**s, "Resource": ROLE_ARN} if "Principal" in s and "Resource" not in s else s for s in document["Statement"]
    ]
    return {**document, "Statement": statements}


def is_colon_false_positive(finding: Any, document: dict[str, Any]) -> bool:
    """parliament (1.6.4, is_arn_strictly_valid) rejects a resource whose id holds a colon unless AWS's format does
    too, but a DynamoDB stream's ARN ends in a timestamp label with colons (table/T/stream/2024-01-01T00:00:00.000).
    A RESOURCE_MISMATCH is set aside only when parliament's own matcher (is_arn_match) accepts every action's format
    for a resource of the statement and every such resource has a colon in its id."""
    from parliament import is_arn_match

    if finding.issue != "RESOURCE_MISMATCH" or not isinstance(finding.detail, list):
        return False
    resources = [
        r
        for s in document["Statement"]
        for r in ([s.get("Resource")] if isinstance(s.get("Resource"), str) else s.get("Resource") or [])
    ]
    colon_ids = [r for r in resources if r.count(":") > 5]
    return bool(colon_ids) and all(
        item.get("required_format", "*") != "*" and any(is_arn_match("", item["required_format"], r) for r in colon_ids)
        for item in finding.detail
    )


def main() -> int:
    from parliament import analyze_policy_string, enhance_finding

    documents = findings = blocking = explained = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in manifests(Path(tmp)):
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.parent.name
            for document in desired_documents(path):
                documents += 1
                policy = analyze_policy_string(json.dumps(as_identity_policy(document)), ignore_private_auditors=True)
                for finding in map(enhance_finding, policy.findings):
                    if is_colon_false_positive(finding, document):
                        explained += 1
                        continue
                    findings += 1
                    severity = str(finding.severity).upper()
                    if severity in BLOCKING:
                        blocking += 1
                    print(f"{name}: {severity} {finding.issue}: {finding.detail} ({finding.location})")
    print(
        f"parliament: {documents} policy documents, {findings} findings, {blocking} above LOW "
        f"({explained} RESOURCE_MISMATCH on ARNs with a colon in their name set aside: see is_colon_false_positive)"
    )
    return 1 if blocking or not documents else 0


if __name__ == "__main__":
    sys.exit(main())
