"""The CloudFormation adapter against the moto server: a stack made and changed through change sets, its events
streamed, an empty change set not kept, the stack read back and deleted."""

from __future__ import annotations

import pytest

from fnship.aws import Aws, Target

QUEUE = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "cfn-api-q"}}
TOPIC = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "cfn-api-t"}}


def template(**resources):
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Suffix": {"Type": "String"}},
        "Resources": resources,
    }


@pytest.fixture
def cfn(moto):
    return Aws(Target(region="us-east-1", endpoint_url=moto.endpoint), sleep=lambda _s: None).cloudformation


def test_a_missing_stack_is_none(cfn):
    assert cfn.stack_or_none("nothing-here") is None
    assert cfn.stack_outputs("nothing-here") is None


def test_create_read_update_and_delete_through_change_sets(cfn, moto):
    tags = {"fnship:service": "svc", "fnship:stage": "dev"}
    change_set, changes = cfn.create_change_set(
        "svc-dev", change_set="fnship-1", template=template(Queue=QUEUE), parameters={"Suffix": "a"}, tags=tags,
        create=True,
    )  # fmt: skip
    assert change_set is not None
    assert [(c.action, c.logical_id, c.resource_type) for c in changes] == [("Add", "Queue", "AWS::SQS::Queue")]
    pending = cfn.stack_or_none("svc-dev")
    assert pending is not None and pending.status == "REVIEW_IN_PROGRESS"

    events = []
    outcome = cfn.execute_change_set("svc-dev", change_set, on_event=events.append)
    assert outcome.ok and outcome.status == "CREATE_COMPLETE"
    assert events and events[-1].status == "CREATE_COMPLETE"
    found = cfn.stack_or_none("svc-dev")
    assert found is not None
    assert found.tags == tags and found.parameters == {"Suffix": "a"}
    assert found.template["Resources"] == {"Queue": QUEUE}
    assert found.physical_ids["Queue"].endswith("/cfn-api-q")  # Ref of a queue: its URL

    # The same template and parameters: no change set is kept.
    assert cfn.create_change_set(
        "svc-dev", change_set="fnship-2", template=template(Queue=QUEUE), parameters={"Suffix": "a"}, tags=tags,
        create=False,
    ) == (None, ())  # fmt: skip
    change_set, changes = cfn.create_change_set(
        "svc-dev", change_set="fnship-3", template=template(Queue=QUEUE, Topic=TOPIC), parameters={"Suffix": "a"},
        tags=tags, create=False,
    )  # fmt: skip
    assert {(c.action, c.logical_id) for c in changes} >= {("Add", "Topic")}
    assert cfn.execute_change_set("svc-dev", change_set).status == "UPDATE_COMPLETE"
    assert moto.client("sns").list_topics()["Topics"]

    deleted = cfn.delete_stack("svc-dev")
    assert deleted.status == "DELETE_COMPLETE"
    assert cfn.stack_or_none("svc-dev") is None
    assert moto.client("sqs").list_queues().get("QueueUrls") is None


def test_a_failed_call_names_the_stack_and_the_action(cfn):
    from fnship.errors import FnError

    with pytest.raises(FnError) as failed:
        cfn.create_change_set(
            "svc-dev", change_set="fnship-1", template=template(), parameters={}, tags={}, create=False
        )
    assert "CloudFormation stack svc-dev" in failed.value.message and "CreateChangeSet" in failed.value.message


def test_a_change_set_of_the_same_name_ready_to_run_is_taken_as_it_is(cfn):
    args = {"template": template(Queue=QUEUE), "parameters": {"Suffix": "a"}, "tags": {}, "create": True}
    first, changes = cfn.create_change_set("svc-dev", change_set="fnship-same", **args)
    again, changes_again = cfn.create_change_set("svc-dev", change_set="fnship-same", **args)
    assert first is not None and again == first and changes_again == changes
    assert cfn.execute_change_set("svc-dev", again).ok


def test_a_change_set_stack_has_its_outputs_and_exports_and_deletes_cleanly(cfn):
    """moto 5.2 gives a change set's stack no outputs nor exports (the emulator's fix, applied in tests/conftest.py,
    gives both, as AWS does); without the exports, DeleteStack failed with a 500."""
    exported = {
        **template(Queue=QUEUE),
        "Outputs": {"QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}, "Export": {"Name": "svc-QueueArn"}}},
    }
    change_set, _ = cfn.create_change_set("svc-dev", change_set="fnship-e", template=exported,
                                          parameters={"Suffix": "a"}, tags={}, create=True)  # fmt: skip
    assert change_set is not None and cfn.execute_change_set("svc-dev", change_set).ok
    assert cfn.stack_outputs("svc-dev") == {"QueueArn": "arn:aws:sqs:us-east-1:123456789012:cfn-api-q"}
    assert cfn.delete_stack("svc-dev").status == "DELETE_COMPLETE"
