"""`resources:` (raw CloudFormation): assembled into one template and validated, then refused. Pure: no AWS; cfn-lint
(imported only when a manifest has `resources:`, so `fn --help` and every other manifest stay fast).

`resources:` is a mapping (`Resources`, `Outputs`, `Conditions`, `Parameters`, `Mappings`, `Metadata`,
`Description`, `Transform`, `extensions`), in the manifest or `${file()}`d, or a list of such fragments that
Serverless merges (`resources: [${file(a.yml)}, ${file(b.yml)}]`). Where Serverless deep-merges two fragments that
define the same logical id (the later silently wins), fnship refuses it, naming both places. `extensions` changes
resources the Serverless Framework would create; fnship's own resources are not CloudFormation, so each one is
refused by name.

The assembled template is checked with cfn-lint (its resource specifications: unknown types and properties, wrong
property types, a `Ref` or `Fn::GetAtt` to nothing, circular `DependsOn`...), and each finding is reported at the
manifest's (or included file's) line with its logical id, exit 2, before any AWS call. fnship does not deploy the
template yet (the companion stack is issue 11), so a valid `resources:` is still refused, saying so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from fnship.errors import Diagnostic, Location
from fnship.jsonvalue import Json
from fnship.manifest import artifacts
from fnship.manifest.loader import dotted
from fnship.manifest.types import KeyPath, Value, ValueMap
from fnship.secret import Secret

# Sections merged logical id by logical id, and sections holding one value.
BY_LOGICAL_ID = ("Resources", "Outputs", "Conditions", "Parameters", "Mappings", "Metadata")
SINGLE = ("Description", "Transform", "AWSTemplateFormatVersion")
SECTIONS = frozenset({*BY_LOGICAL_ID, *SINGLE, "extensions"})
TEMPLATE_VERSION = "2010-09-09"
NOT_DEPLOYED = (
    "CloudFormation resources are issue 11's companion stack, which fnship does not deploy yet "
    "(the template is valid: checked with cfn-lint)"
)
NOT_DEPLOYED_HINT = "create these resources outside fnship (CloudFormation, Terraform, CDK) and reference them by ARN"
# What cfn-lint sees in place of a secret: its messages quote values, and a secret is never printed.
SECRET_PLACEHOLDER = "(sensitive)"

Locate = Callable[[KeyPath], Location]


@dataclass
class Template:
    """The assembled template and, per entry, the manifest path it was written at."""

    body: ValueMap = field(default_factory=lambda: {"AWSTemplateFormatVersion": TEMPLATE_VERSION})
    origin: dict[tuple[str, ...], KeyPath] = field(default_factory=dict)  # (section[, logical id]) -> manifest path

    def manifest_path(self, template_path: Sequence[str | int]) -> KeyPath:
        """Where a template path (`["Resources", "Q", "Properties", "X"]`) was written in the manifest."""
        for end in (2, 1):
            head = tuple(str(part) for part in template_path[:end])
            if head in self.origin:
                return (*self.origin[head], *template_path[end:])
        return ("resources",)


def owned_logical_ids(function_keys: Iterable[str], layer_keys: Iterable[str]) -> dict[str, str]:
    """The Serverless Framework's logical ids of what fnship creates itself (lib/plugins/aws/lib/naming.js) -> what
    it is. In Serverless, a resource under such an id is merged into the one it generates; fnship creates these
    without CloudFormation, so such an entry is refused."""
    owned = {
        "IamRoleLambdaExecution": "the functions' execution role",
        "ServerlessDeploymentBucket": "the deployment bucket",
        "ServerlessDeploymentBucketPolicy": "the deployment bucket's policy",
        "HttpApi": "the HTTP API",
        "HttpApiStage": "the HTTP API's stage",
        "ApiGatewayRestApi": "the REST API",
        "WebsocketsApi": "the WebSocket API",
    }
    for key in function_keys:
        name = artifacts.normalized_name(key)
        owned[f"{name}LambdaFunction"] = f"function {key}"
        owned[f"{name}LogGroup"] = f"the log group of function {key}"
        owned[f"{name}LambdaVersion"] = f"the versions of function {key}"  # (a prefix: LambdaVersion<hash>)
    for key in layer_keys:
        owned[artifacts.logical_id(key)] = f"layer {key}"
    return owned


def _owner(logical_id: str, owned: Mapping[str, str]) -> str | None:
    if logical_id in owned:
        return owned[logical_id]
    head, version, _ = logical_id.partition("LambdaVersion")
    return owned.get(f"{head}LambdaVersion") if version else None


def assemble(value: Value, locate: Locate, owned: Mapping[str, str] | None = None) -> tuple[Template, list[Diagnostic]]:
    """`resources:` (a mapping or a list of fragments) -> one template, with every problem of its shape."""
    template = Template()
    problems: list[Diagnostic] = []

    def problem(path: KeyPath, message: str, hint: str = "") -> None:
        problems.append(Diagnostic(message, key=dotted(path), location=locate(path), hint=hint))

    fragments: list[tuple[KeyPath, Value]]
    if isinstance(value, list):
        fragments = [(("resources", index), item) for index, item in enumerate(value) if item is not None]
    else:
        fragments = [(("resources",), value)]
    for path, fragment in fragments:
        if not isinstance(fragment, dict):
            problem(path, "a resources fragment must be a mapping (Resources, Outputs, Conditions, ...)")
            continue
        for section, content in fragment.items():
            where = (*path, section)
            if section not in SECTIONS:
                problem(where, f"unknown CloudFormation template section '{section}'",
                        "allowed: " + ", ".join(sorted(SECTIONS)))  # fmt: skip
            elif section == "extensions":
                _refuse_extensions(content, where, problem)
            elif section in SINGLE:
                _single(template, section, content, where, locate, problem)
            elif not isinstance(content, dict):
                if content is not None:
                    problem(where, f"{section} must be a mapping of logical ids")
            else:
                _merge(template, section, content, where, locate, problem, owned=owned or {})
    return template, problems


def _refuse_extensions(content: Value, where: KeyPath, problem: Callable[..., None]) -> None:
    names: list[str | None] = list(content) if isinstance(content, dict) else []
    for name in names or [None]:
        problem(
            (*where, name) if name is not None else where,
            f"extends {name or 'a resource'} that the Serverless Framework would create: fnship's own resources "
            "are not CloudFormation",
            "set what you need with fnship's settings (logRetentionInDays, iam, tags, ...) instead of extensions",
        )


def _single(
    template: Template, section: str, content: Value, where: KeyPath, locate: Locate, problem: Callable[..., None]
) -> None:
    if (section,) in template.origin and template.body.get(section) != content:
        first = template.origin[(section,)]
        problem(where, f"{section} is given twice, differently (first at {locate(first)})", "keep one of them")
        return
    template.body[section] = content
    template.origin.setdefault((section,), where)


def _merge(
    template: Template,
    section: str,
    content: ValueMap,
    where: KeyPath,
    locate: Locate,
    problem: Callable[..., None],
    *,
    owned: Mapping[str, str],
) -> None:
    merged = template.body.get(section)
    if not isinstance(merged, dict):  # (only this function writes these sections)
        merged = template.body[section] = {}
    template.origin.setdefault((section,), where)
    for logical_id, entry in content.items():
        owner = _owner(logical_id, owned) if section == "Resources" else None
        if owner is not None:
            problem(
                (*where, logical_id),
                f"{logical_id} is the Serverless logical id of {owner}, which fnship creates itself, not as "
                "CloudFormation (Serverless would merge this entry into it)",
                "set what you need with fnship's own settings for it, or give this resource another logical id",
            )
            continue
        if logical_id in merged:
            first = template.origin[(section, logical_id)]
            problem(
                (*where, logical_id),
                f"duplicate logical id {logical_id} in {section}: also defined at {locate(first)}",
                "give each resource its own logical id (Serverless would merge the two silently)",
            )
            continue
        merged[logical_id] = entry
        template.origin[(section, logical_id)] = (*where, logical_id)


def _jsonable(value: Value) -> Json:
    if isinstance(value, Secret):
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def lint(template: Template, *, region: str, locate: Locate) -> list[Diagnostic]:
    """cfn-lint's errors for the template, as diagnostics at the manifest's (or included file's) lines. (Its
    warnings and informational findings are not reported while `resources:` is refused anyway.)"""
    from cfnlint.api import ManualArgs  # heavy (its resource specifications): only for manifests with resources
    from cfnlint.api import lint as cfn_lint
    from cfnlint.helpers import REGIONS

    text = json.dumps(_jsonable(template.body))
    try:
        matches = cfn_lint(text, config=ManualArgs(regions=[region if region in REGIONS else "us-east-1"]))
    except Exception as exc:  # noqa: BLE001 - a checker crashing on hostile input is a finding, not a traceback
        where = locate(("resources",))
        return [Diagnostic(f"cfn-lint could not check the template: {exc}", key="resources", location=where)]
    errors: list[Diagnostic] = []
    resources = template.body.get("Resources")
    resources = resources if isinstance(resources, dict) else {}
    for match in matches:
        rule = str(match.rule.id)
        if not rule.startswith("E"):
            continue
        template_path = list(getattr(match, "path", None) or [])
        path = template.manifest_path(template_path)
        subject = ""
        if len(template_path) >= 2:
            logical_id = str(template_path[1])
            entry = resources.get(logical_id) if template_path[0] == "Resources" else None
            kind = entry.get("Type") if isinstance(entry, dict) else None
            subject = f"{logical_id} ({kind}): " if isinstance(kind, str) else f"{logical_id}: "
        errors.append(
            Diagnostic(f"{subject}{match.message} [cfn-lint {rule}]", key=dotted(path), location=locate(path))
        )
    return errors


def check_resources(
    value: Value, *, region: str, locate: Locate, owned: Mapping[str, str] | None = None
) -> list[Diagnostic]:
    """Every problem of `resources:` (its shape, duplicate logical ids, cfn-lint's findings), then its refusal.
    `value` None: it failed to resolve (reported there); only the refusal."""
    problems: list[Diagnostic] = []
    linted = False
    if value is not None:
        template, problems = assemble(value, locate, owned)
        linted = not problems and bool(template.body.get("Resources"))  # (no resources: nothing to check)
        if linted:
            problems = lint(template, region=region, locate=locate)
    valid = value is not None and linted and not problems
    message = NOT_DEPLOYED if valid else NOT_DEPLOYED.split(" (")[0]
    problems.append(Diagnostic(message, key="resources", location=locate(("resources",)), hint=NOT_DEPLOYED_HINT))
    return problems
