"""CloudFormation intrinsic functions where fnship reads a value (environment, IAM statements, event sources' ARNs,
vpc, layers, destinations, tags): each becomes a `StackValue`, a value the companion stack decides. Pure.

A `StackValue` is a `str` (so every check and renderer that handles an ARN or a name handles it), spelled
`${stack:<key>}`, which no AWS API accepts; the model replaces it, and any string built from it, with a reference
to the stack (model/stack.py), resolved from the deployed stack: a `Ref` to one of its resources by the resource's
physical id, anything else by an output fnship adds to the template with the expression as its value
(CloudFormation evaluates it). Before the stack exists the plan shows `(known after apply)`.

Checked against the assembled `resources:` template (`check_against`): a reference to nothing, a condition that is
not declared, a function fnship does not read, or a list where one string is needed is an input error at the
manifest's line.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TypeGuard

from fnship.manifest.types import KeyPath, Value, ValueMap

# The functions that give a value (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html).
VALUE_FUNCTIONS = frozenset(
    {
        "Ref",
        "Fn::GetAtt",
        "Fn::Join",
        "Fn::Sub",
        "Fn::Select",
        "Fn::Split",
        "Fn::ImportValue",
        "Fn::If",
        "Fn::GetAZs",
        "Fn::FindInMap",
        "Fn::Base64",
    }
)
LIST_FUNCTIONS = frozenset({"Fn::Split", "Fn::GetAZs"})  # give a list: an output (a string) cannot hold one
PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
# The service in a resource type (`AWS::SQS::Queue`) -> the one in its ARN, where they differ.
SERVICES = {"sqs": "sqs", "sns": "sns", "lambda": "lambda", "events": "events", "dynamodb": "dynamodb",
            "kinesis": "kinesis", "s3": "s3", "kms": "kms"}  # fmt: skip
MARK = "${stack:"
MARKED = re.compile(r"\$\{stack:([A-Za-z0-9:]+)\}")
OUTPUT_PREFIX = "Fnship"
SUB_NAME = re.compile(r"\$\{([^!}][^}]*)\}")  # `${Name}` / `${Name.Attr}`; `${!Literal}` is not a reference


def is_intrinsic(value: object) -> TypeGuard[ValueMap]:
    """A one-key mapping naming an intrinsic function (or `Condition`), as the YAML loader writes a short form."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = str(next(iter(value)))
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def contains_intrinsic(value: object) -> bool:
    if is_intrinsic(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_intrinsic(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_intrinsic(item) for item in value)
    return False


def stack_key(expression: Mapping[str, Value]) -> str:
    """What a StackValue is found by on the deployed stack: `ref:<LogicalId>` for a bare `Ref` (the resource's
    physical id, or the parameter's value), else `output:Fnship<digest>` (the output fnship adds)."""
    if set(expression) == {"Ref"} and isinstance(expression["Ref"], str) and expression["Ref"] not in PSEUDO_PARAMETERS:
        return f"ref:{expression['Ref']}"
    digest = hashlib.sha256(json.dumps(expression, sort_keys=True).encode()).hexdigest()[:16]
    return f"output:{OUTPUT_PREFIX}{digest}"


class StackValue(str):
    """A value the companion stack decides: the `${stack:<key>}` text, with the expression and where it was
    written."""

    expression: Mapping[str, Value]
    path: KeyPath
    service: str | None  # the AWS service of the resource it names (`sqs` for an AWS::SQS::Queue), once checked

    # A role written as a logical id (`role: WorkerRole`, which Serverless v3 reads as `Fn::GetAtt: [WorkerRole,
    # Arn]`): the name, so a problem says what the user wrote rather than the function fnship made of it.
    logical_name: str | None

    def __new__(cls, expression: Mapping[str, Value], path: KeyPath, logical_name: str | None = None) -> StackValue:
        key = stack_key(expression)
        made = super().__new__(cls, f"{MARK}{key}}}")
        made.expression = expression
        made.path = path
        made.service = None
        made.logical_name = logical_name
        return made

    @property
    def key(self) -> str:
        return self[len(MARK) : -1]

    @property
    def label(self) -> str:
        """A name for what it stands for: the logical id it refers to (`Queue` for `!GetAtt Queue.Arn`)."""
        function, argument = next(iter(self.expression.items()))
        if function == "Ref" and isinstance(argument, str):
            return argument
        if function == "Fn::GetAtt":
            return getatt_parts(argument)[0]
        return self.key.rpartition(":")[2]

    def __reduce__(self) -> tuple[type[StackValue], tuple[dict[str, Value], KeyPath, str | None]]:
        return (StackValue, (dict(self.expression), self.path, self.logical_name))


def getatt_parts(argument: object) -> tuple[str, str]:
    """(logical id, attribute) of `Fn::GetAtt`'s argument, written `X.Arn` or `[X, Arn]` (empty if neither)."""
    if isinstance(argument, str):
        head, _, attribute = argument.partition(".")
        return head, attribute
    if isinstance(argument, list) and argument:
        return str(argument[0]), ".".join(str(part) for part in argument[1:])
    return "", ""


def shown(text: str) -> str:
    """A name as a plan shows it: a part the companion stack decides is (known after apply)."""
    return MARKED.sub("(known after apply)", text)


def marked_keys(text: str) -> list[str]:
    """The stack keys a string (a StackValue, or a string built from one) holds."""
    return MARKED.findall(text)


def stack_values_in(value: object) -> Iterator[StackValue]:
    if isinstance(value, StackValue):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from stack_values_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from stack_values_in(item)


def with_stack_values(value: Value, path: KeyPath, found: Callable[[StackValue], None]) -> Value:
    """`value` with each intrinsic in it (recursively) replaced by a StackValue, each told to `found`."""
    if is_intrinsic(value):
        made = StackValue(value, path)
        found(made)
        return made
    if isinstance(value, Mapping):
        return {key: with_stack_values(item, (*path, key), found) for key, item in value.items()}
    if isinstance(value, list):
        return [with_stack_values(item, (*path, index), found) for index, item in enumerate(value)]
    return value


Problem = Callable[[KeyPath, str, str], None]  # (where, message, hint)


def check_against(value: StackValue, template: Mapping[str, Value] | None, problem: Problem) -> None:
    """Report what CloudFormation could not evaluate in `value`'s expression against the `resources:` template."""
    path = value.path
    named = value.logical_name
    declared = template.get("Resources") if template else None
    if named is not None and not (isinstance(declared, dict) and named in declared):
        problem(path, f"{named} is not an IAM role ARN, nor a resource of resources.Resources (Serverless reads a "
                "role that is not an ARN as the logical id of a role of resources:)",
                f"write the role's ARN (arn:aws:iam::<account>:role/<name>), or define {named} under "
                "resources.Resources as an AWS::IAM::Role")  # fmt: skip
        return
    if not template or not template.get("Resources"):
        problem(
            path,
            f"CloudFormation {next(iter(value.expression))} needs the service's companion stack, and this service "
            "has no `resources:`",
            "add the resource it refers to under resources.Resources, or write the value (${aws:region}, "
            "${aws:accountId} and ${cf:stack.output} can help)",
        )
        return

    def section(name: str) -> ValueMap:
        entries = template.get(name)
        return entries if isinstance(entries, dict) else {}

    names = {"resources": set(section("Resources")), "parameters": set(section("Parameters")),
             "conditions": set(section("Conditions"))}  # fmt: skip
    function = str(next(iter(value.expression)))
    resource = section("Resources").get(value.label)
    if isinstance(resource, dict):
        parts = str(resource.get("Type", "")).split("::")
        value.service = SERVICES.get(parts[1].lower()) if len(parts) == 3 else None
    if function in LIST_FUNCTIONS:
        problem((*path, function), f"CloudFormation {function} gives a list, and fnship needs one string here",
                "pick one item with !Select, or join them with !Join")  # fmt: skip
        return
    _check(dict(value.expression), path, names, problem, local=frozenset())


def _check(
    expression: Value, path: KeyPath, names: Mapping[str, set[str]], problem: Problem, *, local: frozenset[str]
) -> None:
    if isinstance(expression, list):
        for index, item in enumerate(expression):
            _check(item, (*path, index), names, problem, local=local)
        return
    if not isinstance(expression, dict):
        return
    if not is_intrinsic(expression):
        for key, item in expression.items():
            _check(item, (*path, key), names, problem, local=local)
        return
    function, argument = next(iter(expression.items()))
    where = (*path, function)
    if function not in VALUE_FUNCTIONS:
        problem(where, f"CloudFormation {function} does not give a value fnship can use here",
                "use " + ", ".join(sorted(VALUE_FUNCTIONS)))  # fmt: skip
        return
    if function == "Ref":
        _need(str(argument), where, names, problem, local=local, parameters=True)
    elif function == "Fn::GetAtt":
        _need(getatt_parts(argument)[0], where, names, problem, local=local, parameters=False)
    elif function == "Fn::Sub":
        text, variables = (argument[0], argument[1]) if isinstance(argument, list) and len(argument) == 2 else \
            (argument, {})  # fmt: skip
        if isinstance(variables, Mapping):
            _check(dict(variables), where, names, problem, local=local)
            bound = local | {str(k) for k in variables}
        else:
            bound = local
        for name in SUB_NAME.findall(str(text)):
            head = name.split(".", 1)[0] if not name.startswith("AWS::") else name
            _need(head, where, names, problem, local=bound, parameters="." not in name)
    elif function == "Fn::If":
        if isinstance(argument, list) and argument and str(argument[0]) not in names["conditions"]:
            problem((*where, 0), f"Fn::If names condition {argument[0]}, which resources.Conditions does not declare",
                    "declare it under resources.Conditions")  # fmt: skip
        if isinstance(argument, list):
            _check(argument[1:], where, names, problem, local=local)
    else:
        _check(argument, where, names, problem, local=local)


def _need(
    name: str, where: KeyPath, names: Mapping[str, set[str]], problem: Problem, *, local: frozenset[str],
    parameters: bool,
) -> None:  # fmt: skip
    if name in local or name in PSEUDO_PARAMETERS or name in names["resources"]:
        return
    if parameters and name in names["parameters"]:
        return
    problem(where, f"refers to {name}, which is not a resource of resources.Resources"
            + (" nor one of its Parameters" if parameters else ""),
            "define it under resources.Resources, or fix the name")  # fmt: skip
