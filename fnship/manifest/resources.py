"""`resources:` (raw CloudFormation): assembled into one template and validated. Pure: no AWS; cfn-lint
(imported only when a manifest has `resources:`, so `fn --help` and every other manifest stay fast).

`resources:` is a mapping (`Resources`, `Outputs`, `Conditions`, `Parameters`, `Mappings`, `Metadata`,
`Description`, `Transform`, `extensions`), in the manifest or `${file()}`d, or a list of such fragments that
Serverless merges (`resources: [${file(a.yml)}, ${file(b.yml)}]`). Where Serverless deep-merges two fragments that
define the same logical id (the later silently wins), fnship refuses it, naming both places. `extensions` changes
resources the Serverless Framework would create; fnship's own resources are not CloudFormation, so each one is
refused by name.

The assembled template is checked with cfn-lint (its resource specifications: unknown types and properties, wrong
property types, a `Ref` or `Fn::GetAtt` to nothing, circular `DependsOn`...), and each finding is reported at the
manifest's (or included file's) line with its logical id, exit 2, before any AWS call. A valid template is what
fnship deploys as the service's companion stack (fnship/kinds/stack.py); references in it to what fnship creates
(`HelloLambdaFunction`, `IamRoleLambdaExecution`, `HttpApi`, ...) become stack parameters (`pass_references`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from fnship.errors import Diagnostic, Location
from fnship.jsonvalue import Json
from fnship.manifest import artifacts
from fnship.manifest.intrinsics import getatt_parts
from fnship.manifest.loader import dotted
from fnship.manifest.types import KeyPath, Value, ValueMap, origin_path
from fnship.secret import Secret

# Sections merged logical id by logical id, and sections holding one value.
BY_LOGICAL_ID = ("Resources", "Outputs", "Conditions", "Parameters", "Mappings", "Metadata")
SINGLE = ("Description", "Transform", "AWSTemplateFormatVersion")
SECTIONS = frozenset({*BY_LOGICAL_ID, *SINGLE, "extensions"})
TEMPLATE_VERSION = "2010-09-09"
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
        return origin_path(self.origin, template_path)


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


def create_only_properties(resource_type: str, *, region: str = "us-east-1") -> tuple[tuple[str, ...], ...] | None:
    """The properties of a resource type that CloudFormation cannot update in place (`createOnlyProperties` of the
    type's registry schema, which decides the replacement flag of a change set), as paths inside `Properties`
    (`("KeySchema",)`), from cfn-lint's copy of the schemas; None for a type they do not describe (a custom
    resource), whose replacement only CloudFormation can tell."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # heavy: only for a plan of a changed stack
    from cfnlint.schema._exceptions import ResourceNotFoundError

    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        return None
    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema
    except ResourceNotFoundError:
        return None
    paths = schema.get("createOnlyProperties") or []
    return tuple(tuple(str(path).split("/")[2:]) for path in paths if str(path).startswith("/properties/"))


def lint(template: Template, *, region: str, locate: Locate) -> list[Diagnostic]:
    """cfn-lint's errors for the template, as diagnostics at the manifest's (or included file's) lines. (Its
    warnings and informational findings are not reported: CloudFormation deploys what has only those.)"""
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


# What a template may ask of fnship's own resources (Ref, or Fn::GetAtt of these attributes), by the kind of owned
# logical id; the value is passed in as a stack parameter (model/stack.py fills it in).
REFERABLE = {
    "function": ("Ref", "Arn"),
    "log_group": ("Ref", "Arn"),
    "role": ("Ref", "Arn"),
    "http_api": ("Ref",),
    "rest_api": ("Ref",),
    "deployment_bucket": ("Ref", "Arn"),
}
PARAMETER_PREFIX = "Fnship"


@dataclass(frozen=True)
class FnshipReference:
    """A reference from `resources:` to what fnship creates: the owned logical id, the attribute (`Ref`, `Arn`),
    and where it is written (a manifest path)."""

    logical_id: str
    attribute: str
    path: KeyPath


def owned_kind(logical_id: str, function_keys: Iterable[str]) -> tuple[str, str | None] | None:
    """(kind, function key) of an owned logical id fnship can pass into the stack, or None."""
    fixed = {"IamRoleLambdaExecution": "role", "HttpApi": "http_api", "ApiGatewayRestApi": "rest_api",
             "ServerlessDeploymentBucket": "deployment_bucket"}  # fmt: skip
    if logical_id in fixed:
        return fixed[logical_id], None
    for key in function_keys:
        name = artifacts.normalized_name(key)
        if logical_id == f"{name}LambdaFunction":
            return "function", key
        if logical_id == f"{name}LogGroup":
            return "log_group", key
    return None


def _version_of(logical_id: str, function_keys: Iterable[str]) -> str | None:
    """The function key whose Serverless version logical id (`HelloLambdaVersion<digest>`) `logical_id` is."""
    head, version, _ = logical_id.partition("LambdaVersion")
    if not version:
        return None
    return next((key for key in function_keys if artifacts.normalized_name(key) == head), None)


def parameter_name(logical_id: str, attribute: str) -> str:
    suffix = "" if attribute == "Ref" else "".join(part for part in attribute.split(".") if part.isalnum())
    return f"{PARAMETER_PREFIX}{logical_id}{suffix}"


def pass_references(
    template: Template, owned: Mapping[str, str], function_keys: Iterable[str], locate: Locate
) -> tuple[dict[str, FnshipReference], list[Diagnostic]]:
    """References in the template to fnship's own resources (`Ref: HelloLambdaFunction`, `!GetAtt
    HelloLambdaFunction.Arn`, `${HelloLambdaFunction.Arn}` in `Fn::Sub`) rewritten, in place, into `Ref`s to stack
    parameters fnship passes in (declared here); `DependsOn` on them dropped (fnship orders its work so they exist
    first). Returns parameter name -> what it stands for, and what cannot be passed."""
    keys = list(function_keys)
    passed: dict[str, FnshipReference] = {}
    problems: list[Diagnostic] = []

    def problem(template_path: Sequence[str | int], message: str, hint: str) -> None:
        path = template.manifest_path(template_path)
        problems.append(Diagnostic(message, key=dotted(path), location=locate(path), hint=hint))

    def parameter(logical_id: str, attribute: str, template_path: Sequence[str | int]) -> str | None:
        found = owned_kind(logical_id, keys)
        allowed = REFERABLE.get(found[0], ()) if found else ()
        version = _version_of(logical_id, keys)
        if version is not None:
            name = artifacts.normalized_name(version)
            problem(template_path, f"{logical_id} is a Serverless version logical id of function {version}: "
                    f"Serverless names each version {name}LambdaVersion<digest of its code and configuration>, new "
                    "whenever either changes, so a template cannot name one that stays; fnship publishes versions "
                    "itself, without CloudFormation", f"refer to the function ({name}LambdaFunction: Ref gives its "
                    f"name, Fn::GetAtt {name}LambdaFunction.Arn its ARN), or to its alias with "
                    f"!Sub '${{{name}LambdaFunction.Arn}}:<alias>'")  # fmt: skip
            return None
        if attribute not in allowed:
            what = _owner(logical_id, owned) or logical_id
            asked = "Ref" if attribute == "Ref" else f"Fn::GetAtt {logical_id}.{attribute}"
            problem(template_path, f"{asked}: {logical_id} is {what}, which fnship creates itself, and fnship can "
                    "pass only " + (", ".join(f"{'Ref' if a == 'Ref' else a}" for a in allowed) or "nothing")
                    + " of it into the stack", "refer to what fnship can pass, or write the value")  # fmt: skip
            return None
        name = parameter_name(logical_id, attribute)
        passed.setdefault(name, FnshipReference(logical_id, attribute, template.manifest_path(template_path)))
        return name

    def owned_id(name: str) -> bool:
        return _owner(name, owned) is not None

    def visit(value: Value, template_path: list[str | int]) -> Value:
        if isinstance(value, list):
            return [visit(item, [*template_path, index]) for index, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            function, argument = next(iter(value.items()))
            where = [*template_path, function]
            if function == "Ref" and isinstance(argument, str) and owned_id(argument):
                name = parameter(argument, "Ref", where)
                return {"Ref": name} if name else value
            if function == "Fn::GetAtt":
                target, attribute = getatt_parts(argument)
                if owned_id(target):
                    name = parameter(target, attribute, where)
                    return {"Ref": name} if name else value
            if function == "Fn::Sub":
                return {"Fn::Sub": _sub(argument, where)}
        return {key: visit(item, [*template_path, key]) for key, item in value.items()}

    def _sub(argument: Value, where: list[str | int]) -> Value:
        text, variables = (argument[0], argument[1]) if isinstance(argument, list) and len(argument) == 2 else \
            (argument, None)  # fmt: skip
        if not isinstance(text, str):
            return argument

        def swap(match: re.Match[str]) -> str:
            inner = match.group(1)
            head, _, attribute = inner.partition(".")
            if (isinstance(variables, dict) and head in variables) or not owned_id(head):
                return str(match.group(0))
            name = parameter(head, attribute or "Ref", where)
            return f"${{{name}}}" if name else str(match.group(0))

        swapped = re.sub(r"\$\{([^!}][^}]*)\}", swap, text)
        if variables is None:
            return swapped
        return [swapped, visit(variables, [*where, 1])]

    for section in ("Resources", "Outputs", "Conditions"):
        entries = template.body.get(section)
        if not isinstance(entries, dict):
            continue
        for logical_id, entry in list(entries.items()):
            if not isinstance(entry, dict):
                continue
            changed = visit(entry, [section, logical_id])
            if not isinstance(changed, dict):  # (visit keeps a mapping a mapping)
                continue
            depends = changed.get("DependsOn")
            if section == "Resources" and depends is not None:
                listed = depends if isinstance(depends, list) else [depends]
                kept: list[Value] = [d for d in listed if not owned_id(str(d))]
                if kept:
                    changed["DependsOn"] = kept
                else:
                    changed.pop("DependsOn")
            entries[logical_id] = changed
    if passed:
        parameters = template.body.get("Parameters")
        if not isinstance(parameters, dict):
            parameters = template.body["Parameters"] = {}
        for name, reference in sorted(passed.items()):
            parameters[name] = {
                "Type": "String",
                "Description": f"fnship passes {reference.attribute} of {reference.logical_id}",
            }
    return passed, problems


def _secrets(template: Template, locate: Locate) -> list[Diagnostic]:
    """A secret (an `${ssm:}` SecureString) in the template: CloudFormation shows templates to anyone who can read
    the stack, so it is refused; CloudFormation's dynamic reference resolves it without writing it down."""
    found: list[Diagnostic] = []

    def visit(value: Value, template_path: list[str | int]) -> None:
        if isinstance(value, Secret):
            path = template.manifest_path(template_path)
            found.append(Diagnostic(
                "a secret (SecureString) cannot be written into a CloudFormation template: anyone who can read the "
                "stack would see it", key=dotted(path), location=locate(path),
                hint="use CloudFormation's dynamic reference '{{resolve:ssm-secure:/name}}' instead"))  # fmt: skip
        elif isinstance(value, dict):
            for key, item in value.items():
                visit(item, [*template_path, key])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, [*template_path, index])

    for section in BY_LOGICAL_ID:
        visit(template.body.get(section) or {}, [section])
    return found


@dataclass(frozen=True)
class Checked:
    """`resources:` once checked: the template to deploy (None when it has problems, or nothing to deploy), the
    references to fnship's resources it takes as parameters, and every problem."""

    template: Template | None
    references: Mapping[str, FnshipReference]
    problems: list[Diagnostic]


def check_resources(
    value: Value,
    *,
    region: str,
    locate: Locate,
    owned: Mapping[str, str] | None = None,
    function_keys: Iterable[str] = (),
) -> Checked:
    """Every problem of `resources:` (its shape, duplicate logical ids, references to fnship's resources it cannot
    pass, cfn-lint's findings), and the template to deploy. `value` None: it failed to resolve (reported there)."""
    if value is None:
        return Checked(None, {}, [])
    template, problems = assemble(value, locate, owned)
    references: dict[str, FnshipReference] = {}
    if not problems:
        references, problems = pass_references(template, owned or {}, function_keys, locate)
    if not problems and template.body.get("Resources"):
        problems = lint(template, region=region, locate=locate)
    problems += _secrets(template, locate)
    if not problems and not template.body.get("Resources") and len(template.body) > 1:
        problems.append(Diagnostic("resources has no Resources: a CloudFormation stack needs at least one",
                                   key="resources", location=locate(("resources",)),
                                   hint="add resources.Resources, or remove resources"))  # fmt: skip
    deployable = not problems and bool(template.body.get("Resources"))
    return Checked(template if deployable else None, references, problems)
