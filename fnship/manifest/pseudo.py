"""`#{AWS::Region}`-style values: what the serverless-pseudo-parameters plugin did, when it is listed. Pure but
for `#{AWS::AccountId}`, asked through the resolver's lookups (as `${aws:accountId}` is).

The plugin turned every string of the compiled template holding `#{X}` into `{"Fn::Sub": "...${X}..."}`, so
CloudFormation filled it in. fnship deploys functions without a stack, so outside `resources:` it fills in what it
knows itself: `AWS::Region`, `AWS::AccountId`, `AWS::Partition` and `AWS::URLSuffix`. The stack's own values
(`AWS::StackName`, `AWS::StackId`, `AWS::NotificationARNs`, `AWS::NoValue`) and references to resources
(`#{MyTable}`, `#{MyTable.Arn}`) need the companion stack: with `resources:`, such a string becomes `Fn::Sub`,
which the stack evaluates (manifest/intrinsics.py); without, an input error. Inside `resources:` the strings become
`Fn::Sub`, exactly as the plugin made them.
"""

from __future__ import annotations

import re

from fnship.arns import partition
from fnship.manifest.types import KeyPath, Value
from fnship.manifest.variables.core import Resolver, VariableError

PLUGIN = "serverless-pseudo-parameters"
_PSEUDO = re.compile(r"#\{([^}]*)\}")
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
_URL_SUFFIX = {"aws-cn": "amazonaws.com.cn", "aws-iso": "c2s.ic.gov", "aws-iso-b": "sc2s.sgov.gov"}
STACK_HINT = (
    "it is evaluated by the service's companion CloudFormation stack, and this service has no `resources:`: write "
    "the value (${aws:region}, ${aws:accountId}, an ARN), or define the resource under resources.Resources"
)
LOCAL = frozenset({"AWS::Region", "AWS::Partition", "AWS::URLSuffix", "AWS::AccountId"})


def apply(resolver: Resolver, *, region: str) -> None:
    """Fill in `#{...}` in every string of the manifest (in place); problems go to the resolver's diagnostics."""
    stack = resolver.doc.get("resources") not in (None, {}, [])
    for key in list(resolver.doc):
        if key == "resources":
            resolver.doc[key] = _to_sub(resolver.doc[key])
        else:
            resolver.doc[key] = _walk(resolver, resolver.doc[key], (key,), region, stack=stack)


def _walk(resolver: Resolver, value: Value, path: KeyPath, region: str, *, stack: bool) -> Value:
    if isinstance(value, dict):
        return {key: _walk(resolver, item, (*path, key), region, stack=stack) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(resolver, item, (*path, index), region, stack=stack) for index, item in enumerate(value)]
    if not isinstance(value, str) or "#{" not in value:
        return value
    if stack and any(name not in LOCAL for name in _PSEUDO.findall(value)):
        return _to_sub(value)  # the stack evaluates it, as the plugin's Fn::Sub did
    try:
        return _PSEUDO.sub(lambda match: _value(resolver, match[1], path, region), value)
    except VariableError as exc:
        resolver.report(path, exc.message, exc.hint)
        resolver.failed.add(path)
        return None


def _value(resolver: Resolver, name: str, path: KeyPath, region: str) -> str:
    if name == "AWS::Region":
        return region
    if name == "AWS::Partition":
        return partition(region)
    if name == "AWS::URLSuffix":
        return _URL_SUFFIX.get(partition(region), "amazonaws.com")
    if name == "AWS::AccountId":
        return str(resolver.resolve_variable("aws:accountId", path))
    what = "a value of the CloudFormation stack" if name.startswith("AWS::") else "a CloudFormation resource"
    raise VariableError(f"#{{{name}}} ({PLUGIN}) refers to {what}", STACK_HINT)


def _to_sub(value: Value) -> Value:
    if isinstance(value, dict):
        return {key: _to_sub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_sub(item) for item in value]
    if isinstance(value, str) and _PSEUDO.search(value):
        return {"Fn::Sub": _PSEUDO.sub(r"${\1}", value)}
    return value
