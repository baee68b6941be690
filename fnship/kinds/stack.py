"""The `stack` kind: the service's companion CloudFormation stack (`resources:`), one per service and stage.

CloudFormation does the work (fnship re-implements no resource type): a change is a change set, created, then
executed, with the stack's events streamed as progress. The plan compares the template, parameters and tags
fnship would send with what the stack has, so an unchanged stack makes no call that writes (not even an empty
change set). When they differ and the stack exists, reading it creates the change set (CloudFormation's preview:
it changes nothing) so the plan shows, per logical id, what CloudFormation will add, modify, replace or remove and
its replacement flag; the deploy executes that same change set (found by a name digested from what it carries).

A stack in a state fnship must not touch (`UPDATE_ROLLBACK_FAILED`, an operation in progress) stops the plan,
saying what to do: nothing is applied. Values the stack decides (manifest/intrinsics.py) resolve from its
resources' physical ids (`ref:<LogicalId>`) and the outputs fnship adds (`output:<Key>`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

from fnship.errors import AwsError, FnError
from fnship.kinds.base import Context, Kind, reading_owner
from fnship.manifest.intrinsics import OUTPUT_PREFIX
from fnship.model.address import Address
from fnship.model.resources import Ref, Resource, Spec, State
from fnship.plan.diff import FieldChange, Step, field_changes
from fnship.plan.reads import owned

if TYPE_CHECKING:
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


@dataclass(frozen=True)
class Preview:
    """One line of a change set: what CloudFormation will do to a logical id, with its replacement flag."""

    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    replacement: str | None = None  # "True" | "False" | "Conditional"; None when not reported


@dataclass(frozen=True, kw_only=True)
class Stack(Spec):
    """The template, parameters and tags fnship sends (or the stack has), and, live only, its status, outputs,
    resources' physical ids, and the change set its reading created."""

    kind: ClassVar[str] = "stack"
    template: Mapping[str, Any]
    parameters: Mapping[str, Any]  # a value may be a Ref (an API id) until the plan or apply knows it
    tags: Mapping[str, str]
    status: str | None = field(default=None, compare=False)
    outputs: Mapping[str, str] = field(default_factory=dict, compare=False)
    physical_ids: Mapping[str, str] = field(default_factory=dict, compare=False)
    change_set: str | None = field(default=None, compare=False)  # the id of the change set made for the plan
    preview: tuple[Preview, ...] | None = field(default=None, compare=False)

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


def _resources(spec: Stack | None) -> Mapping[str, Any]:
    found = (spec.template.get("Resources") if spec else None) or {}
    return found if isinstance(found, Mapping) else {}


def _line(action: str, resource_type: str, replacement: str | None = None) -> dict[str, str]:
    line = {"action": action, "type": resource_type}
    if replacement is not None:
        line["replacement"] = replacement
    return line


def _type(entry: Any) -> str:
    return str(entry.get("Type", "")) if isinstance(entry, Mapping) else ""


def resource_lines(want: Stack | None, have: Stack | None) -> list[FieldChange]:
    """Per logical id: `add`, `modify`, `replace` (CloudFormation's replacement flag True), `remove`. From the
    change set when the reading made one; otherwise from the templates (a new stack: every resource is added)."""
    if have is not None and have.preview is not None and have.status not in NOT_CREATED | FAILED_CREATE:
        lines = []
        for change in have.preview:
            action = change.action.lower()
            if action == "modify" and change.replacement == "True":
                action = "replace"
            before = None if action == "add" else change.resource_type
            lines.append(FieldChange(f"resources.{change.logical_id}", before,
                                     _line(action, change.resource_type, change.replacement)))  # fmt: skip
        return sorted(lines, key=lambda line: line.path)
    wanted = _resources(want)
    had = {} if have is None or have.status in NOT_CREATED | FAILED_CREATE else _resources(have)
    lines = []
    for logical_id in sorted(set(wanted) | set(had)):
        new, old = wanted.get(logical_id), had.get(logical_id)
        if old is None:
            lines.append(FieldChange(f"resources.{logical_id}", None, _line("add", _type(new))))
        elif new is None:
            lines.append(FieldChange(f"resources.{logical_id}", _type(old), _line("remove", _type(old))))
        elif new != old:
            lines.append(FieldChange(f"resources.{logical_id}", _type(old), _line("modify", _type(new))))
    return lines


def diff_stack(desired: Resource | None, live: Resource | None) -> list[FieldChange]:
    """What changes: the resources per logical id, then the parameters, outputs, the template's other sections
    and the tags, key by key."""
    want = desired.spec_as(Stack) if desired is not None and desired.spec is not None else None
    have = live.spec_as(Stack) if live is not None and live.spec is not None else None
    if want is not None and have is not None and want.compared() == have.compared():
        return []
    lines = resource_lines(want, have)

    def section(spec: Stack | None, name: str) -> Mapping[str, Any]:
        found = (spec.template.get(name) if spec else None) or {}
        return found if isinstance(found, Mapping) else {"": found}

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


def _keyed(prefix: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    return [
        FieldChange(f"{prefix}.{key}" if key else prefix, before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def retained(template: Mapping[str, Any]) -> list[str]:
    """The logical ids CloudFormation keeps when it deletes the stack (`DeletionPolicy: Retain`)."""
    return sorted(
        f"{logical_id} ({_type(entry)})"
        for logical_id, entry in (template.get("Resources") or {}).items()
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


def _names_in(expression: Any) -> set[str]:
    """The logical ids and parameters an expression refers to (Ref, Fn::GetAtt, `${X}` in Fn::Sub)."""
    from fnship.manifest.intrinsics import SUB_NAME

    found: set[str] = set()
    if isinstance(expression, list):
        for item in expression:
            found |= _names_in(item)
    elif isinstance(expression, Mapping):
        for key, item in expression.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item.split(".", 1)[0] if isinstance(item, str) else (item or [""])[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) and item else item
                found |= {name.split(".", 1)[0] for name in SUB_NAME.findall(str(text))}
                found |= _names_in(item[1:] if isinstance(item, list) else [])
            else:
                found |= _names_in(item)
    return found


def keeps_output(wanted: Resource, current: Resource, attribute: str) -> bool:
    """Whether the deployed stack's value for `attribute` is the one this plan leaves: the resource (or the
    output's expression and everything it refers to) is the same in the template and parameters fnship sends."""
    want, have = wanted.spec_as(Stack), current.spec_as(Stack)
    if have.status in NOT_CREATED | FAILED_CREATE:
        return False
    kind, _, key = attribute.partition(":")
    if kind == "ref":
        names = {key}
    else:
        outputs_want = want.template.get("Outputs") or {}
        outputs_have = have.template.get("Outputs") or {}
        if key not in outputs_have or outputs_want.get(key) != outputs_have.get(key):
            return False
        names = _names_in(outputs_want[key])
    wanted_resources, live_resources = _resources(want), _resources(have)
    wanted_parameters = want.template.get("Parameters") or {}
    previewed = {change.logical_id: change for change in have.preview or ()}
    for name in names:
        if name in wanted_resources and wanted_resources.get(name) != live_resources.get(name):
            change = previewed.get(name)
            # What the change set says: a resource updated in place keeps its physical id and attributes' identity
            # (the emulator reports no replacement flag: taken as in place); without a change set, assume not.
            if (
                have.preview is None
                or name not in live_resources
                or (change is not None and (change.action != "Modify" or change.replacement in ("True", "Conditional")))
            ):
                return False
        if name in wanted_parameters and want.parameters.get(name) != have.parameters.get(name):
            return False
    return True


# -- applying (the only mutating code of the kind) ---------------------------------------------------------------


def _progress(context: Context, step: Step) -> Any:
    def tell(event: Any) -> None:
        reason = f": {event.reason}" if event.reason else ""
        message = f"{event.logical_id} ({event.resource_type}) {event.status}{reason}"
        context.report("progress", replace(step, detail={"message": message}))

    return tell


def _failed(name: str, action: str, outcome: Any) -> AwsError:
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


def stack_apply(context: Context, step: Step) -> None:
    """Create or update the stack through a change set (the one the plan's reading made, when it carries the same
    template, parameters and tags), then report its physical ids and outputs for what refers to them."""
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
    name = change_set_name(spec)
    change_set = have.change_set if have is not None and have.change_set and have.change_set.endswith(name) else None
    if change_set is None:
        change_set, _changes = cf.create_change_set(
            resource.name, change_set=name, template=spec.template, parameters=spec.parameters, tags=spec.tags,
            create=create,
        )  # fmt: skip
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


# -- reading live state (read-only, but for the change set a differing stack gets: CloudFormation's preview) -----


def blocked(name: str, status: str, reason: str) -> FnError | None:
    """The error for a stack fnship must not touch now, naming its status and what to do; None when it may."""
    if status in BLOCKED_HINTS or (status.endswith("_IN_PROGRESS") and status not in NOT_CREATED):
        hint = BLOCKED_HINTS.get(status, IN_PROGRESS_HINT).format(name=name)
        why = f" ({reason})" if reason else ""
        return FnError(f"CloudFormation stack {name} is {status}{why}: fnship changes nothing while it is", hint=hint)
    return None


def read_stack(aws: Reads, stub: Resource) -> list[Resource]:
    """The stack, read once per reading (the values it decides are resolved before the other reads, which then
    ask again), with the change set its differing template gets."""
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
    wanted = stub.spec if isinstance(stub.spec, Stack) else None
    if wanted is not None and found.status not in NOT_CREATED | FAILED_CREATE and wanted.compared() != \
            live.compared() and not _unknown(wanted.parameters.values()):  # fmt: skip
        change_set, changes = aws.cloudformation.create_change_set(
            found.name, change_set=change_set_name(wanted), template=wanted.template, parameters=wanted.parameters,
            tags=wanted.tags, create=False,
        )  # fmt: skip
        preview = tuple(Preview(c.action, c.logical_id, c.resource_type, c.replacement) for c in changes)
        live = replace(live, change_set=change_set, preview=preview)
    return [Resource.of(stub.address or Address.stack(), found.name, live)]


def _unknown(values: Iterable[Any]) -> bool:
    return any(isinstance(value, Ref) for value in values)


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
