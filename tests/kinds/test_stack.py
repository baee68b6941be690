"""The `stack` kind: its plan lines per logical id (read only, with the replacement flag CloudFormation will
report), which stack values a plan keeps, stacks fnship must not touch, and failures naming the resource and
CloudFormation's reason.

moto runs every stack operation to completion at once, never reports `Replacement`, and cannot leave a stack in
UPDATE_ROLLBACK_FAILED or an operation in progress; those paths are tested with a double of fnship's own
CloudFormation adapter (fnship/aws/cloudformation_api.py) that answers as the API reference says:
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html and
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ResourceChange.html
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from fnship.aws.cloudformation_api import ResourceChange, StackEvent, StackFound, StackOutcome
from fnship.errors import AwsError, FnError
from fnship.kinds.stack import (
    Stack,
    blocked,
    diff_stack,
    keeps_output,
    read_stack,
    removal_warnings,
    stack_apply,
)
from fnship.model.resources import Resource, State
from fnship.plan.diff import Step
from tests.kinds.test_trigger_handlers import context_for

TABLE = {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "t"}}
QUEUE = {"Type": "AWS::SQS::Queue"}
TAGS = {"fnship:service": "svc", "fnship:stage": "dev"}


def stack(resources, *, outputs=None, **live) -> Resource:
    template = {"Resources": resources, **({"Outputs": outputs} if outputs else {})}
    return Resource.of("stack", "svc-dev-resources", Stack(template=template, parameters={}, tags=TAGS, **live))


def test_plan_lines_per_logical_id_with_the_replacement_flag_cloudformation_will_report():
    want = stack(
        {
            "Table": {**TABLE, "Properties": {"TableName": "u"}},  # TableName is create-only: replaced
            "Queue": {**QUEUE, "Properties": {"VisibilityTimeout": 5}},  # in place
            "Custom": {"Type": "Custom::Thing", "Properties": {"Size": 2}},  # only CloudFormation can tell
            "Topic": {"Type": "AWS::SNS::Topic"},
        }
    )
    have = stack(
        {"Table": TABLE, "Queue": QUEUE, "Custom": {"Type": "Custom::Thing", "Properties": {"Size": 1}},
         "Old": {"Type": "AWS::SNS::Topic"}},
        status="UPDATE_COMPLETE",
    )  # fmt: skip
    lines = {line.path: (line.before, line.after) for line in diff_stack(want, have)}
    assert lines["resources.Table"] == (
        "AWS::DynamoDB::Table",
        {"action": "replace", "type": "AWS::DynamoDB::Table", "replacement": "True"},
    )
    assert lines["resources.Queue"] == ("AWS::SQS::Queue", {"action": "modify", "type": "AWS::SQS::Queue"})
    assert lines["resources.Custom"][1] == {"action": "modify", "type": "Custom::Thing", "replacement": "Conditional"}
    assert lines["resources.Topic"] == (None, {"action": "add", "type": "AWS::SNS::Topic"})
    assert lines["resources.Old"][1] == {"action": "remove", "type": "AWS::SNS::Topic"}


def test_a_new_stack_adds_every_resource_and_an_unchanged_one_has_no_lines():
    want = stack({"Table": TABLE, "Queue": QUEUE})
    assert [(line.path, line.after["action"]) for line in diff_stack(want, None) if line.path.startswith("res")] == [
        ("resources.Queue", "add"),
        ("resources.Table", "add"),
    ]
    assert diff_stack(want, stack({"Table": TABLE, "Queue": QUEUE}, status="UPDATE_COMPLETE")) == []


@pytest.mark.parametrize(
    ("properties", "attribute", "kept"),
    [
        ({"TableName": "t", "BillingMode": "PAY_PER_REQUEST"}, "Arn", True),  # in place: its ARN stays
        ({"TableName": "t", "BillingMode": "PAY_PER_REQUEST"}, "StreamArn", False),  # may change in place
        ({"TableName": "other"}, "Arn", False),  # replaced: a new ARN
    ],
)
def test_a_value_survives_a_modified_resource_only_when_updated_in_place(properties, attribute, kept):
    value = {"Value": {"Fn::GetAtt": ["Table", attribute]}}
    want = stack({"Table": {**TABLE, "Properties": properties}}, outputs={"FnshipA": value})
    have = stack({"Table": TABLE}, outputs={"FnshipA": value}, status="UPDATE_COMPLETE")
    assert keeps_output(want, have, "output:FnshipA") is kept
    assert keeps_output(want, have, "ref:Table") is (properties["TableName"] == "t")
    unchanged = stack({"Table": TABLE}, outputs={"FnshipA": value})
    assert keeps_output(unchanged, have, "output:FnshipA") is True


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("UPDATE_ROLLBACK_FAILED", "continue-update-rollback"),
        ("UPDATE_IN_PROGRESS", "wait for the operation to finish"),
        ("UPDATE_ROLLBACK_IN_PROGRESS", "wait for the operation to finish"),
        ("DELETE_FAILED", "delete what CloudFormation could not"),
    ],
)
def test_a_stack_someone_else_holds_stops_the_plan_with_what_to_do(status, says):
    error = blocked("svc-dev-resources", status, "User Initiated")
    assert error is not None and error.exit_code == 1
    assert error.message.startswith(f"CloudFormation stack svc-dev-resources is {status} (User Initiated)")
    assert says in error.hint
    assert blocked("svc-dev-resources", "UPDATE_COMPLETE", "") is None
    assert blocked("svc-dev-resources", "REVIEW_IN_PROGRESS", "") is None  # (a change set never run: made again)


class CloudFormationDouble:
    """fnship's CloudFormation adapter as the API reference describes it, with a stack in a given state."""

    def __init__(self, found: StackFound | None, *, outcome: StackOutcome | None = None) -> None:
        self.found = found
        self.outcome = outcome or StackOutcome("UPDATE_COMPLETE")
        self.calls: list[str] = []

    def stack_or_none(self, name, *, details=True):
        self.calls.append("stack_or_none")
        return self.found

    def create_change_set(self, name, **kwargs):
        self.calls.append("create_change_set")
        return "arn:cs/fnship-x", (ResourceChange("Modify", "Table", "AWS::DynamoDB::Table", "True"),)

    def execute_change_set(self, name, change_set, *, on_event):
        self.calls.append("execute_change_set")
        for event in self.outcome.failures:
            on_event(event)
        return self.outcome

    def delete_stack(self, name, *, on_event):
        self.calls.append("delete_stack")
        return StackOutcome("DELETE_COMPLETE")


def found(status: str, tags=TAGS) -> StackFound:
    return StackFound(name="svc-dev-resources", stack_id="id", status=status, status_reason="", parameters={},
                      tags=tags, outputs={}, template={"Resources": {"Queue": QUEUE}})  # fmt: skip


class Reads(SimpleNamespace):
    def once(self, _key, fn):
        return fn()


def test_reading_a_stack_in_update_rollback_failed_fails_before_anything_is_applied():
    cloudformation = CloudFormationDouble(found("UPDATE_ROLLBACK_FAILED"))
    with pytest.raises(FnError) as failed:
        read_stack(Reads(cloudformation=cloudformation, owner=("svc", "dev")), stack({"Queue": QUEUE}))
    assert "is UPDATE_ROLLBACK_FAILED" in failed.value.message and failed.value.exit_code == 1
    assert cloudformation.calls == ["stack_or_none"]  # no change set


def test_reading_a_stack_whose_template_differs_only_reads():
    cloudformation = CloudFormationDouble(found("UPDATE_COMPLETE"))
    (live,) = read_stack(Reads(cloudformation=cloudformation, owner=("svc", "dev")), stack({"Table": TABLE}))
    assert cloudformation.calls == ["stack_or_none"]  # no change set: a plan never writes
    lines = diff_stack(stack({"Table": TABLE}), live)
    assert {line.path: line.after["action"] for line in lines} == {
        "resources.Queue": "remove",
        "resources.Table": "add",
    }


def test_a_stack_of_that_name_that_is_not_ours_is_not_taken_over():
    cloudformation = CloudFormationDouble(found("CREATE_COMPLETE", tags={}))
    with pytest.raises(FnError) as failed:
        read_stack(Reads(cloudformation=cloudformation, owner=("svc", "dev")), stack({"Queue": QUEUE}))
    assert "is not this service's" in failed.value.message


def test_a_failed_update_names_the_resource_and_cloudformations_reason():
    failure = StackEvent("e1", "Table", "AWS::DynamoDB::Table", "UPDATE_FAILED", "Table already exists")
    cancelled = StackEvent("e2", "Queue", "AWS::SQS::Queue", "UPDATE_FAILED", "Resource update cancelled")
    cloudformation = CloudFormationDouble(None, outcome=StackOutcome("UPDATE_ROLLBACK_COMPLETE", (failure, cancelled)))
    desired = stack({"Table": TABLE})
    live = replace(stack({}), spec=replace(stack({}).spec, status="UPDATE_COMPLETE"))
    context = context_for(desired, live, cloudformation=cloudformation)
    told = []
    context.report = lambda event, step: told.append(step.detail["message"])
    with pytest.raises(AwsError) as failed:
        stack_apply(context, Step("stack.update", "stack"))
    assert failed.value.message == (
        "ExecuteChangeSet failed for CloudFormation stack svc-dev-resources: UPDATE_ROLLBACK_COMPLETE: Table "
        "(AWS::DynamoDB::Table) UPDATE_FAILED: Table already exists"
    )
    assert "rolled the stack back" in failed.value.hint
    # The change set's own lines (CloudFormation's replacement flag) are said before it runs.
    assert told[:2] == [
        "change set: Modify Table (AWS::DynamoDB::Table), replacement True",
        "Table (AWS::DynamoDB::Table) UPDATE_FAILED: Table already exists",
    ]
    assert cloudformation.calls == ["create_change_set", "execute_change_set"]


def test_removal_says_what_deletion_policy_retain_keeps():
    kept = stack({"Table": {**TABLE, "DeletionPolicy": "Retain"}, "Queue": QUEUE})
    (warning,) = removal_warnings(State("svc", "dev", "us-east-1", (kept,)))
    assert "keeps what has DeletionPolicy: Retain" in warning and "Table (AWS::DynamoDB::Table)" in warning
    assert "Queue" not in warning
