"""The `stack` kind: the service's companion CloudFormation stack (`resources:`), one per service and stage.

CloudFormation does the work (fnship re-implements no resource type): a change is a change set, created, then
executed by `fn deploy`, with the stack's events streamed as progress. The plan only reads (GetTemplate,
DescribeStacks, DescribeStackResources): it compares the template, parameters and tags fnship would send with what
the stack has, so an unchanged stack makes no call that writes (not even an empty change set), and a changed one is
shown per logical id as add, modify, replace or remove. The replacement flag is the one CloudFormation's change set
will report, worked out as CloudFormation does: a changed type, or a changed property the type's registry schema
lists as create-only (cfn-lint's copy of the schemas); for a type the schemas do not describe (a custom resource)
it is `Conditional`. The deploy prints the change set's own lines before executing it.

A stack in a state fnship must not touch (`UPDATE_ROLLBACK_FAILED`, an operation in progress) stops the plan,
saying what to do: nothing is applied. Values the stack decides (manifest/intrinsics.py) resolve from its
resources' physical ids (`ref:<LogicalId>`) and the outputs fnship adds (`output:<Key>`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, ClassVar

from fnship.errors import AwsError, FnError
from fnship.jsonvalue import JsonMapping, JsonValue
from fnship.kinds.base import Context, Kind, reading_owner
from fnship.manifest.intrinsics import OUTPUT_PREFIX, SUB_NAME, getatt_parts
from fnship.model.address import Address
from fnship.model.resources import Ref, Resource, Spec, State, plain
from fnship.plan.diff import FieldChange, Step, field_changes
from fnship.plan.reads import owned

if TYPE_CHECKING:
    from fnship.aws.cloudformation_api import StackEvent, StackOutcome
    from fnship.plan.reads import Reads

# States in which someone else's operation (or a failed rollback) holds the stack: fnship changes nothing.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-describing-stacks.html
BLOCKED_HINTS = {
    "UPDATE_ROLLBACK_FAILED": "continue the rollback (aws cloudformation continue-update-rollback --stack-name "
    "{name}, skipping the resources that cannot roll back), then deploy again",
    "DELETE_FAILED": "delete what CloudFormation could not (see the stack's events), then remove or deploy again",
}
IN_PROGRESS_HINT = "wait for the operation to finish (aws cloudformation describe-stacks --stack-name {name}), then " \
    "run the command again"  # fmt: skip
NOT_CREATED = frozenset({"REVIEW_IN_PROGRESS"})  # made by a change set that never ran: created again
FAILED_CREATE = frozenset({"ROLLBACK_COMPLETE", "ROLLBACK_FAILED"})  # a failed first creation: deleted, made again
CHANGE_SET_PREFIX = "fnship-"
# Attributes that stay as they are while CloudFormation updates a resource in place (they follow its physical id);
# any other (`StreamArn`, `Endpoint.Address`) may change with an update, so a plan cannot keep it.
STABLE_ATTRIBUTES = frozenset({"Ref", "Arn"})


@dataclass(frozen=True, kw_only=True)
class Stack(Spec):
    """The template, parameters and tags fnship sends (or the stack has), and, live only, its status, outputs and
    resources' physical ids."""

    kind: ClassVar[str] = "stack"
    template: JsonMapping
    parameters: Mapping[str, str | Ref]  # a value may be a Ref (an API id) until the plan or apply knows it
    tags: Mapping[str, str]
    status: str | None = field(default=None, compare=False)
    outputs: Mapping[str, str] = field(default_factory=dict, compare=False)
    physical_ids: Mapping[str, str] = field(default_factory=dict, compare=False)

    def output_value(self, attribute: str) -> str | None:
        kind, _, key = attribute.partition(":")
        if kind == "ref":
            return self.physical_ids.get(key) or None
        if kind == "output":
            return self.outputs.get(key)
        return None


def stack_name(*, service: str, stage: str) -> str:
    return f"{service}-{stage}-resources"


def change_set_name(spec: Stack) -> str:
    """The change set for exactly this template, parameters and tags: the plan's reading and the deploy agree on it,
    so the deploy executes the change set the plan showed."""
    sent = {"template": spec.template, "parameters": dict(spec.parameters), "tags": dict(spec.tags)}
    return CHANGE_SET_PREFIX + hashlib.sha256(json.dumps(sent, sort_keys=True).encode()).hexdigest()[:24]


# -- the plan's view of a change ---------------------------------------------------------------------------------


def _section(template: JsonMapping | None, name: str) -> JsonMapping:
    found = template.get(name) if template is not None else None
    return found if isinstance(found, Mapping) else {}


def _resources(spec: Stack | None) -> JsonMapping:
    return _section(spec.template if spec else None, "Resources")


def _line(action: str, resource_type: str, replacement: str | None = None) -> dict[str, str]:
    line = {"action": action, "type": resource_type}
    if replacement is not None:
        line["replacement"] = replacement
    return line


def _type(entry: JsonValue) -> str:
    return str(entry.get("Type", "")) if isinstance(entry, Mapping) else ""


def _at(properties: JsonValue, path: tuple[str, ...]) -> JsonValue:
    for part in path:
        if part == "*":  # (inside a list: the whole list is compared)
            return properties
        properties = properties.get(part) if isinstance(properties, Mapping) else None
    return properties


def replacement(old: JsonValue, new: JsonValue) -> str | None:
    """The replacement flag CloudFormation's change set gives the update of a resource from `old` to `new` (entries
    of `Resources`): "True" when its type or a create-only property changes, None when it is updated in place,
    "Conditional" when only CloudFormation can tell (a type the registry schemas do not describe)."""
    from fnship.manifest.resources import create_only_properties

    if _type(old) != _type(new):
        return "True"
    create_only = create_only_properties(_type(new))
    if create_only is None:
        return "Conditional"
    before, after = _section(old if isinstance(old, Mapping) else None, "Properties"), \
        _section(new if isinstance(new, Mapping) else None, "Properties")  # fmt: skip
    return "True" if any(_at(before, path) != _at(after, path) for path in create_only) else None


def resource_lines(want: Stack | None, have: Stack | None) -> list[FieldChange]:
    """Per logical id: `add`, `modify`, `replace` (replacement flag True), `remove`, from the template fnship would
    send and the deployed one (a new stack: every resource is added)."""
    wanted = _resources(want)
    had = {} if have is None or have.status in NOT_CREATED | FAILED_CREATE else _resources(have)
    lines = []
    for logical_id in sorted(set(wanted) | set(had)):
        new, old = wanted.get(logical_id), had.get(logical_id)
        path = f"resources.{logical_id}"
        if old is None:
            lines.append(FieldChange(path, None, _line("add", _type(new))))
        elif new is None:
            lines.append(FieldChange(path, _type(old), _line("remove", _type(old))))
        elif new != old:
            flag = replacement(old, new)
            lines.append(
                FieldChange(path, _type(old), _line("replace" if flag == "True" else "modify", _type(new), flag))
            )
    return lines


def diff_stack(desired: Resource | None, live: Resource | None) -> list[FieldChange]:
    """What changes: the resources per logical id, then the parameters, outputs, the template's other sections
    and the tags, key by key."""
    want = desired.spec_as(Stack) if desired is not None and desired.spec is not None else None
    have = live.spec_as(Stack) if live is not None and live.spec is not None else None
    if want is not None and have is not None and want.compared() == have.compared():
        return []
    lines = resource_lines(want, have)

    def section(spec: Stack | None, name: str) -> JsonMapping:
        found = spec.template.get(name) if spec else None
        return found if isinstance(found, Mapping) else {"": found} if found else {}

    for name in ("Parameters", "Outputs", "Conditions", "Mappings"):
        lines += _keyed(name.lower(), section(have, name), section(want, name))
    # The outputs fnship adds for what it reads are shown only when nothing else changes (they follow the manifest).
    own = [line for line in lines if line.path.startswith(f"outputs.{OUTPUT_PREFIX}")]
    if len(own) < len(lines):
        lines = [line for line in lines if line not in own]
    other = {"Description", "Transform", "Metadata"}
    lines += _keyed("template", {k: v for k, v in (have.template if have else {}).items() if k in other},
                    {k: v for k, v in (want.template if want else {}).items() if k in other})  # fmt: skip
    lines += _keyed("parameter_values", have.parameters if have else {}, want.parameters if want else {})
    lines += field_changes({"tags": dict(have.tags) if have else {}}, {"tags": dict(want.tags) if want else {}})
    return lines


def _keyed(prefix: str, before: Mapping[str, object], after: Mapping[str, object]) -> list[FieldChange]:
    return [
        FieldChange(f"{prefix}.{key}" if key else prefix, plain(before.get(key)), plain(after.get(key)))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def retained(template: JsonMapping) -> list[str]:
    """The logical ids CloudFormation keeps when it deletes the stack (`DeletionPolicy: Retain`)."""
    return sorted(
        f"{logical_id} ({_type(entry)})"
        for logical_id, entry in _section(template, "Resources").items()
        if isinstance(entry, Mapping) and entry.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
    )


def removal_warnings(live: State) -> list[str]:
    """What deleting the stack leaves behind (`DeletionPolicy: Retain`), said before it is deleted."""
    stack = live.get(Address.stack())
    if stack is None or stack.spec is None:
        return []
    kept = retained(stack.spec_as(Stack).template)
    if not kept:
        return []
    return [f"stack: deleting {stack.name} keeps what has DeletionPolicy: Retain (CloudFormation leaves it in the "
            f"account, and fnship no longer manages it): {', '.join(kept)}"]  # fmt: skip


def user_outputs(outputs: Mapping[str, str]) -> dict[str, str]:
    """The stack's outputs the template declares, without those fnship adds for the values it reads."""
    return {key: value for key, value in outputs.items() if not key.startswith(OUTPUT_PREFIX)}


# -- references to what the stack decides -------------------------------------------------------------------------


def attributes_used(expression: JsonValue) -> dict[str, set[str]]:
    """The logical ids and parameters an expression refers to, each with what it asks of them: `Ref` (a `Ref`, or
    `${X}` in Fn::Sub) or the attribute (`Fn::GetAtt X.Arn`, `${X.Arn}`)."""
    found: dict[str, set[str]] = {}

    def use(name: str, attribute: str) -> None:
        found.setdefault(name, set()).add(attribute or "Ref")

    def visit(value: JsonValue) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key == "Ref" and isinstance(item, str):
                    use(item, "Ref")
                elif key == "Fn::GetAtt":
                    use(*getatt_parts(item))
                elif key == "Fn::Sub":
                    text = item[0] if isinstance(item, (list, tuple)) and item else item
                    for name in SUB_NAME.findall(str(text)):
                        use(*name.partition(".")[::2])
                    if isinstance(item, (list, tuple)):
                        visit(list(item[1:]))
                else:
                    visit(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)

    visit(expression)
    return found


def keeps_output(wanted: Resource, current: Resource, attribute: str) -> bool:
    """Whether the deployed stack's value for `attribute` is the one this plan leaves: every resource the value
    comes from is unchanged, or updated in place (no replacement flag) and asked only for what an in-place update
    keeps (its physical id or ARN); every parameter it names is unchanged."""
    want, have = wanted.spec_as(Stack), current.spec_as(Stack)
    if have.status in NOT_CREATED | FAILED_CREATE:
        return False
    kind, _, key = attribute.partition(":")
    if kind == "ref":
        uses = {key: {"Ref"}}
    else:
        outputs_want, outputs_have = _section(want.template, "Outputs"), _section(have.template, "Outputs")
        if key not in outputs_have or outputs_want.get(key) != outputs_have.get(key):
            return False
        uses = attributes_used(outputs_want[key])
    wanted_resources, live_resources = _resources(want), _resources(have)
    wanted_parameters = _section(want.template, "Parameters")
    for name, asked in uses.items():
        if name in wanted_resources and wanted_resources.get(name) != live_resources.get(name):
            if name not in live_resources or replacement(live_resources[name], wanted_resources[name]) is not None:
                return False
            if asked - STABLE_ATTRIBUTES:
                return False
        if name in wanted_parameters and want.parameters.get(name) != have.parameters.get(name):
            return False
    return True


# -- applying (the only mutating code of the kind) ---------------------------------------------------------------


def _progress(context: Context, step: Step) -> Callable[[StackEvent], None]:
    def tell(event: StackEvent) -> None:
        reason = f": {event.reason}" if event.reason else ""
        _say(context, step, f"{event.logical_id} ({event.resource_type}) {event.status}{reason}")

    return tell


def _say(context: Context, step: Step, message: str) -> None:
    context.report("progress", replace(step, detail={"message": message}))


def _failed(name: str, action: str, outcome: StackOutcome) -> AwsError:
    failures = [f for f in outcome.failures if f.reason and "Resource update cancelled" not in f.reason] or \
        list(outcome.failures)  # fmt: skip
    detail = "; ".join(f"{f.logical_id} ({f.resource_type}) {f.status}: {f.reason}" for f in failures[:5])
    return AwsError(
        resource=f"CloudFormation stack {name}",
        action=action,
        code=outcome.status,
        detail=detail or "see the stack's events",
        hint="CloudFormation rolled the stack back to what it was; fix the resource named above and deploy again"
        if "ROLLBACK" in outcome.status
        else "see the stack's events in the CloudFormation console, fix the cause and run the command again",
    )


def _sent_parameters(spec: Stack) -> dict[str, str]:
    """The parameters as sent: every Ref resolved (`Context.resolved` refuses one it cannot)."""
    sent = {key: value for key, value in spec.parameters.items() if isinstance(value, str)}
    assert len(sent) == len(spec.parameters), "parameters resolved before they are sent"
    return sent


def stack_apply(context: Context, step: Step) -> None:
    """Create or update the stack through a change set (said line by line, with CloudFormation's replacement
    flag, before it runs), then report its physical ids and outputs for what refers to them."""
    resource = context.desired(step)
    spec = context.resolved(resource.spec_as(Stack))
    live = context.live(step)
    have = live.spec_as(Stack) if live is not None else None
    cf = context.aws.cloudformation
    if have is not None and have.status in FAILED_CREATE:  # a first creation that failed cannot be updated
        outcome = cf.delete_stack(resource.name, on_event=_progress(context, step))
        if not outcome.ok:
            raise _failed(resource.name, "DeleteStack", outcome)
        have = None
    create = have is None or have.status in NOT_CREATED
    change_set, changes = cf.create_change_set(
        resource.name, change_set=change_set_name(spec), template=spec.template, parameters=_sent_parameters(spec),
        tags=spec.tags, create=create,
    )  # fmt: skip
    for change in changes:
        flag = f", replacement {change.replacement}" if change.replacement else ""
        _say(context, step, f"change set: {change.action} {change.logical_id} ({change.resource_type}){flag}")
    if change_set is not None:
        outcome = cf.execute_change_set(resource.name, change_set, on_event=_progress(context, step))
        if not outcome.ok:
            raise _failed(resource.name, "ExecuteChangeSet", outcome)
    found = cf.stack_or_none(resource.name)
    if found is None:
        raise AwsError(resource=f"CloudFormation stack {resource.name}", action="DescribeStacks", code="NotFound",
                       detail="the stack is gone after its change set ran")  # fmt: skip
    context.outputs[step.address] = {
        **{f"ref:{logical_id}": physical for logical_id, physical in found.physical_ids.items()},
        **{f"output:{key}": value for key, value in found.outputs.items()},
    }


def stack_delete(context: Context, step: Step) -> None:
    name = context.live_at(step.address).name
    outcome = context.aws.cloudformation.delete_stack(name, on_event=_progress(context, step))
    if outcome.status != "DELETE_COMPLETE":
        raise _failed(name, "DeleteStack", outcome)


# -- reading live state (read-only: DescribeStacks, GetTemplate, DescribeStackResources) --------------------------


def blocked(name: str, status: str, reason: str) -> FnError | None:
    """The error for a stack fnship must not touch now, naming its status and what to do; None when it may."""
    if status in BLOCKED_HINTS or (status.endswith("_IN_PROGRESS") and status not in NOT_CREATED):
        hint = BLOCKED_HINTS.get(status, IN_PROGRESS_HINT).format(name=name)
        why = f" ({reason})" if reason else ""
        return FnError(f"CloudFormation stack {name} is {status}{why}: fnship changes nothing while it is", hint=hint)
    return None


def read_stack(aws: Reads, stub: Resource) -> list[Resource]:
    """The stack, read once per reading (the values it decides are resolved before the other reads, which then
    ask again)."""
    return aws.once(("stack", stub.name), lambda: _read_stack(aws, stub))


def _read_stack(aws: Reads, stub: Resource) -> list[Resource]:
    found = aws.cloudformation.stack_or_none(stub.name)
    if found is None:
        return []
    problem = blocked(found.name, found.status, found.status_reason)
    if problem is not None:
        raise problem
    if aws.owner is not None and not owned(found.tags, aws.owner):
        raise FnError(
            f"CloudFormation stack {found.name} exists and is not this service's (it lacks the fnship:service and "
            "fnship:stage tags): fnship does not take over a stack it did not make",
            hint="delete or rename that stack, or deploy this service under another name or stage",
        )
    live = Stack(
        template=found.template,
        parameters=dict(found.parameters),
        tags=dict(found.tags),
        status=found.status,
        outputs=dict(found.outputs),
        physical_ids=dict(found.physical_ids),
    )
    return [Resource.of(stub.address or Address.stack(), found.name, live)]


def discover_stack(aws: Reads) -> list[Resource]:
    """The service's stack, by its name (the reader checks it carries both ownership tags)."""
    service, stage = reading_owner(aws)
    name = stack_name(service=service, stage=stage)
    found = aws.cloudformation.stack_or_none(name, details=False)
    if found is None or not owned(found.tags, (service, stage)):
        return []
    return [Resource(Address.stack(), "stack", name)]


KIND = Kind(
    name="stack",
    handlers={"stack.create": stack_apply, "stack.update": stack_apply, "stack.delete": stack_delete},
    diff=diff_stack,
    keeps_output=keeps_output,
    read=read_stack,
    discover=discover_stack,
)
