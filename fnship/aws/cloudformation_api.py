"""CloudFormation: the outputs of any stack (`${cf:stack.output}`), and the service's companion stack (`resources:`)
read, changed through change sets, watched through its events, and deleted.

DescribeStacks answers a missing stack with a `ValidationError` ("Stack with id X does not exist"), not a
not-found code: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
A change set that would change nothing fails with a status reason ("The submitted information didn't contain
changes"; the emulator refuses it at CreateChangeSet: "No updates are to be performed"):
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-create.html
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fnship.aws.calls import aws_call, describe, error_code, error_message, paged, tag_list
from fnship.errors import AwsError
from fnship.jsonvalue import JsonMapping, JsonObject

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.client import CloudFormationClient
    from mypy_boto3_cloudformation.type_defs import (
        DescribeChangeSetInputTypeDef,
        DescribeChangeSetOutputTypeDef,
        StackEventTypeDef,
        StackTypeDef,
    )

NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
POLL_S = 2.0  # between DescribeStacks while a stack changes (CloudFormation takes seconds to minutes)
WAIT_S = 3600.0  # the longest fnship waits for one stack operation


@dataclass(frozen=True)
class StackFound:
    """A stack as DescribeStacks answers it, with its template (GetTemplate) and resources' physical ids
    (DescribeStackResources) when it has them."""

    name: str
    stack_id: str
    status: str
    status_reason: str
    parameters: Mapping[str, str]
    tags: Mapping[str, str]
    outputs: Mapping[str, str]
    template: JsonMapping = field(default_factory=dict)
    physical_ids: Mapping[str, str] = field(default_factory=dict)  # logical id -> physical id


@dataclass(frozen=True)
class ResourceChange:
    """One line of a change set: Add / Modify / Remove (/ Import / Dynamic) of a logical id, and CloudFormation's
    replacement flag for a Modify ("True", "False", "Conditional"; None when not reported)."""

    action: str
    logical_id: str
    resource_type: str
    replacement: str | None = None


@dataclass(frozen=True)
class StackEvent:
    event_id: str
    logical_id: str
    resource_type: str
    status: str
    reason: str


@dataclass(frozen=True)
class StackOutcome:
    """How a stack operation ended: its final status, and the events that failed (logical id, type, reason)."""

    status: str
    failures: tuple[StackEvent, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status.endswith("_COMPLETE") and "ROLLBACK" not in self.status


def _missing_stack(exc: BaseException) -> bool:
    return error_code(exc) == "ValidationError" and "does not exist" in error_message(exc)


def parse_template_body(body: object) -> JsonObject:
    """GetTemplate's TemplateBody: botocore parses a JSON template into a mapping; a string is JSON (what fnship
    sends) or, for a stack written by others, YAML (then it is compared as text only: never equal to ours)."""
    if isinstance(body, Mapping):
        return json.loads(json.dumps(body))
    try:
        parsed = json.loads(str(body))
    except ValueError:
        return {"(yaml)": str(body)}
    return parsed if isinstance(parsed, dict) else {}


class CloudFormationApi:
    def __init__(self, client: CloudFormationClient, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._sleep = sleep

    def _fail(self, exc: BaseException, *, name: str, action: str) -> Exception:
        return describe(exc, resource=f"CloudFormation stack {name}", action=action, client=self._client)

    def stack_outputs(self, name: str) -> dict[str, str] | None:
        """OutputKey -> OutputValue of the stack `name` (a name or stack id); None when there is no such stack."""
        found = self._describe(name)
        return None if found is None else {str(o["OutputKey"]): str(o.get("OutputValue", "")) for o in
                                           found.get("Outputs") or []}  # fmt: skip

    def _describe(self, name: str) -> StackTypeDef | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            found = self._client.describe_stacks(StackName=name)
        except ClientError as exc:
            if _missing_stack(exc):
                return None
            raise self._fail(exc, name=name, action="DescribeStacks") from exc
        except BotoCoreError as exc:
            raise self._fail(exc, name=name, action="DescribeStacks") from exc
        stacks = found.get("Stacks") or []
        if not stacks or stacks[0].get("StackStatus") == "DELETE_COMPLETE":
            return None
        return stacks[0]

    def stack_or_none(self, name: str, *, details: bool = True) -> StackFound | None:
        """The stack `name`, with (`details`) its template and resources' physical ids; None when it does not
        exist (or is deleted)."""
        found = self._describe(name)
        if found is None:
            return None
        template: JsonObject = {}
        physical: dict[str, str] = {}
        status = str(found["StackStatus"])
        if details and status != "REVIEW_IN_PROGRESS":  # (a stack made by a change set never executed has neither)
            body = aws_call(f"CloudFormation stack {name}", "GetTemplate", self._client.get_template, StackName=name)
            template = parse_template_body(body.get("TemplateBody"))
            answer = aws_call(f"CloudFormation stack {name}", "DescribeStackResources",
                              self._client.describe_stack_resources, StackName=name)  # fmt: skip
            physical = {  # (the emulator leaves LogicalResourceId out for some types: those are skipped)
                str(r["LogicalResourceId"]): str(r.get("PhysicalResourceId") or "")
                for r in answer.get("StackResources") or []
                if r.get("LogicalResourceId")
            }
        return StackFound(
            name=str(found["StackName"]),
            stack_id=str(found["StackId"]),
            status=status,
            status_reason=str(found.get("StackStatusReason") or ""),
            parameters={
                str(p["ParameterKey"]): str(p.get("ParameterValue", "")) for p in found.get("Parameters") or []
            },
            tags={str(t["Key"]): str(t["Value"]) for t in found.get("Tags") or []},
            outputs={str(o["OutputKey"]): str(o.get("OutputValue", "")) for o in found.get("Outputs") or []},
            template=template,
            physical_ids=physical,
        )

    def create_change_set(
        self,
        name: str,
        *,
        change_set: str,
        template: JsonMapping,
        parameters: Mapping[str, str],
        tags: Mapping[str, str],
        create: bool,
    ) -> tuple[str | None, tuple[ResourceChange, ...]]:
        """Create a change set and wait until CloudFormation has worked it out: (its id, its changes), or (None, ())
        when it would change nothing (then it is deleted again). An IAM-creating template needs the capabilities,
        a macro (`Transform`) the auto-expand one. A change set of that name that is ready to run is taken as it is
        (the caller names a change set by what it carries: a plan's reading and the deploy after it agree)."""
        from botocore.exceptions import BotoCoreError, ClientError

        resource = f"CloudFormation stack {name}"
        existing = self._change_set_or_none(name, change_set)
        if existing is not None:
            if existing.get("Status") == "CREATE_COMPLETE" and existing.get("ExecutionStatus") == "AVAILABLE":
                change_set_id = str(existing["ChangeSetId"])
                return change_set_id, self.change_set_changes(name, change_set_id)
            self.delete_change_set(name, str(existing["ChangeSetId"]))
        try:
            made = self._client.create_change_set(
                StackName=name,
                ChangeSetName=change_set,
                ChangeSetType="CREATE" if create else "UPDATE",
                TemplateBody=json.dumps(template, sort_keys=True),
                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())],
                Tags=tag_list(tags),
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            )
        except (ClientError, BotoCoreError) as exc:
            if any(reason in error_message(exc) for reason in NO_CHANGES):
                return None, ()
            raise self._fail(exc, name=name, action="CreateChangeSet") from exc
        change_set_id = str(made["Id"])
        described = self._wait_change_set(name, change_set_id)
        if described["Status"] == "FAILED":
            reason = str(described.get("StatusReason") or "")
            if any(text in reason for text in NO_CHANGES):
                self.delete_change_set(name, change_set_id)
                return None, ()
            raise AwsError(resource=resource, action="CreateChangeSet", code="FAILED", detail=reason)
        return change_set_id, self.change_set_changes(name, change_set_id)

    def _change_set_or_none(self, name: str, change_set: str) -> DescribeChangeSetOutputTypeDef | None:
        """The change set `change_set` of stack `name`, None when there is none (or no stack)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self._client.describe_change_set(StackName=name, ChangeSetName=change_set)
        except ClientError as exc:
            if error_code(exc) in ("ChangeSetNotFound", "ChangeSetNotFoundException", "ValidationError"):
                return None
            raise self._fail(exc, name=name, action="DescribeChangeSet") from exc
        except BotoCoreError as exc:
            raise self._fail(exc, name=name, action="DescribeChangeSet") from exc

    def _wait_change_set(self, name: str, change_set_id: str) -> DescribeChangeSetOutputTypeDef:
        deadline = time.monotonic() + WAIT_S
        while True:
            described = aws_call(f"CloudFormation stack {name}", "DescribeChangeSet",
                                 self._client.describe_change_set, ChangeSetName=change_set_id)  # fmt: skip
            if described.get("Status") not in ("CREATE_PENDING", "CREATE_IN_PROGRESS") or time.monotonic() > deadline:
                return described
            self._sleep(POLL_S)

    def change_set_changes(self, name: str, change_set_id: str) -> tuple[ResourceChange, ...]:
        """Every resource change of a change set (DescribeChangeSet pages through NextToken)."""
        changes: list[ResourceChange] = []
        token: str | None = None
        while True:
            kwargs: DescribeChangeSetInputTypeDef = {"ChangeSetName": change_set_id}
            if token:
                kwargs["NextToken"] = token
            page = aws_call(f"CloudFormation stack {name}", "DescribeChangeSet", self._client.describe_change_set,
                            **kwargs)  # fmt: skip
            for item in page.get("Changes") or []:
                change = item.get("ResourceChange") or {}
                changes.append(
                    ResourceChange(
                        action=str(change.get("Action", "")),
                        logical_id=str(change.get("LogicalResourceId", "")),
                        resource_type=str(change.get("ResourceType", "")),
                        replacement=str(change["Replacement"]) if change.get("Replacement") else None,
                    )
                )
            token = page.get("NextToken")
            if not token:
                return tuple(changes)

    def delete_change_set(self, name: str, change_set_id: str) -> None:
        aws_call(f"CloudFormation stack {name}", "DeleteChangeSet", self._client.delete_change_set,
                 ChangeSetName=change_set_id)  # fmt: skip

    def execute_change_set(
        self, name: str, change_set_id: str, *, on_event: Callable[[StackEvent], None] = lambda _event: None
    ) -> StackOutcome:
        """Execute the change set and wait for the stack to settle, telling `on_event` each new stack event."""
        seen = {event.event_id for event in self.events(name)}
        aws_call(f"CloudFormation stack {name}", "ExecuteChangeSet", self._client.execute_change_set,
                 ChangeSetName=change_set_id)  # fmt: skip
        return self.wait(name, seen=seen, on_event=on_event)

    def delete_stack(self, name: str, *, on_event: Callable[[StackEvent], None] = lambda _event: None) -> StackOutcome:
        """Delete the stack and wait until it is gone (what has `DeletionPolicy: Retain` is kept by CloudFormation)."""
        found = self._describe(name)
        if found is None:
            return StackOutcome("DELETE_COMPLETE")
        stack_id = str(found["StackId"])  # events of a deleted stack are asked by its id
        seen = {event.event_id for event in self.events(stack_id)}
        aws_call(f"CloudFormation stack {name}", "DeleteStack", self._client.delete_stack, StackName=stack_id)
        return self.wait(stack_id, seen=seen, on_event=on_event)

    def events(self, name: str) -> list[StackEvent]:
        """The stack's events, oldest first."""
        items: list[StackEventTypeDef] = paged(
            self._client, "describe_stack_events", f"CloudFormation stack {name}", "StackEvents", StackName=name
        )
        return [
            StackEvent(
                event_id=str(item.get("EventId", "")),
                logical_id=str(item.get("LogicalResourceId", "")),
                resource_type=str(item.get("ResourceType", "")),
                status=str(item.get("ResourceStatus", "")),
                reason=str(item.get("ResourceStatusReason") or ""),
            )
            for item in reversed(items)
        ]

    def wait(
        self, name: str, *, seen: set[str], on_event: Callable[[StackEvent], None] = lambda _event: None
    ) -> StackOutcome:
        """Poll the stack until no operation is in progress, telling `on_event` each event not in `seen`."""
        deadline = time.monotonic() + WAIT_S
        failures: list[StackEvent] = []
        while True:
            found = self._describe(name)
            for event in self.events(name):
                if event.event_id in seen:
                    continue
                seen.add(event.event_id)
                if event.status.endswith("_FAILED"):
                    failures.append(event)
                on_event(event)
            status = "DELETE_COMPLETE" if found is None else str(found["StackStatus"])
            if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
                return StackOutcome(status, tuple(failures))
            self._sleep(POLL_S)
