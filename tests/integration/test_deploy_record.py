"""The deploy record (fnship/deploy_record.py) against the moto server: an unchanged plan takes what hangs on the
functions' aliases from it instead of reading it through Lambda's 15-per-second control-plane budget, says so, and
`--refresh` reads everything; every taker of the deploy lock marks it untrusted first; a plan checked under the
lock is not read again when nothing was applied meanwhile."""

from __future__ import annotations

import json
from functools import partial

import pytest

from fnship import deploy_record, pipeline
from fnship.errors import FnError
from tests.conftest import HELLO_HANDLER
from tests.moto_calls import action_of, body_text, iam_actions

# What hangs on an alias and is read through Lambda's shared control-plane budget (and GetPolicy's).
ALIAS_READS = {
    "lambda:ListAliases",
    "lambda:GetPolicy",
    "lambda:GetFunctionUrlConfig",
    "lambda:GetFunctionEventInvokeConfig",
    "lambda:ListEventSourceMappings",
}
HEADER = "/fnship/demo/dev/applied"

MANIFEST = """\
service: demo
provider:
  name: aws
  environment:
    BUILD: "{build}"
functions:
  api:
    handler: handler.hello
    maximumRetryAttempts: 1
    events:
      - sqs:
          arn: {queue}
          batchSize: {batch}
  other:
    handler: handler.world
"""


def queue_arn(moto) -> str:
    sqs = moto.client("sqs")
    url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def write(project, queue: str, *, build: int = 1, batch: int = 5) -> None:
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", MANIFEST.format(queue=queue, build=build, batch=batch))


def calls_of(moto, action) -> set[str]:
    """The IAM actions of every AWS call `action()` made."""
    moto.start_recording()
    action()
    return iam_actions(moto.stop_recording())


def header(moto) -> dict:
    return json.loads(moto.client("ssm").get_parameter(Name=HEADER)["Parameter"]["Value"])


@pytest.fixture
def deployed(moto, project) -> str:
    queue = queue_arn(moto)
    write(project, queue)
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr
    assert header(moto)["complete"] is True
    return queue


def test_an_unchanged_plan_takes_the_aliases_from_the_record_and_says_so(moto, project, deployed):
    plans = []
    made = calls_of(moto, lambda: plans.append(project.fn("plan")))
    assert plans[0].exit_code == 0, plans[0].stderr
    assert "No changes." in plans[0].stdout
    # Two functions: each alias, and on `api` its async config and the mapping.
    assert "were taken from the last deploy's record, not read; `--refresh` reads them all." in plans[0].stdout
    assert "of 2 function(s)" in plans[0].stdout
    assert not made & ALIAS_READS, sorted(made & ALIAS_READS)
    assert "lambda:GetFunction" in made  # the functions, and each alias's version, are read every time
    assert {"iam:GetRole", "iam:ListRolePolicies"} <= made  # and the roles (inline policies added by hand: drift)
    refreshed = []
    read = calls_of(moto, lambda: refreshed.append(project.fn("plan", "--refresh", "--json")))
    assert refreshed[0].json["plan"]["changes"] == [] and "recorded" not in refreshed[0].json["plan"]
    assert ALIAS_READS - {"lambda:GetPolicy"} <= read


# Discovery's own lookups (the tagging call stays: it is also where the log groups' tags come from).
DISCOVERY = {"iam:ListRoles", "scheduler:GetScheduleGroup"}


def test_a_plan_of_the_recorded_inventory_discovers_nothing_and_a_changed_one_finds_leftovers(moto, project, deployed):
    """The record keeps the inventory of what its apply left: a plan with the same desired resources (same
    addresses, names, places) can own nothing more, so it skips discovery; one without a function discovers and
    deletes that function's leftovers; `--refresh` discovers too."""
    plans = []
    assert not calls_of(moto, lambda: plans.append(project.fn("plan"))) & DISCOVERY
    assert "No changes." in plans[0].stdout
    assert calls_of(moto, lambda: project.fn("plan", "--refresh")) >= DISCOVERY
    project.write("serverless.yml", MANIFEST.format(queue=deployed, build=1, batch=5).split("  other:")[0])
    made = calls_of(moto, lambda: plans.append(project.fn("deploy", "--yes")))
    assert plans[-1].exit_code == 0, plans[-1].stderr
    assert made >= DISCOVERY
    assert "demo-dev-other" not in {f["FunctionName"] for f in moto.client("lambda").list_functions()["Functions"]}
    assert not calls_of(moto, lambda: plans.append(project.fn("plan"))) & DISCOVERY  # the new inventory, kept
    assert "No changes." in plans[-1].stdout


def test_an_unchanged_deploy_makes_no_mutating_call(moto, project, deployed):
    assert moto.mutating_calls_during(lambda: project.fn("deploy", "--yes")) == []


def test_a_change_made_outside_fnship_is_seen_with_refresh(moto, project, deployed):
    lam = moto.client("lambda")
    mapping = lam.list_event_source_mappings(EventSourceArn=deployed)["EventSourceMappings"][0]
    lam.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=9)
    trusted = project.fn("plan", "--json").json["plan"]
    assert trusted["changes"] == [] and "trigger.api.sqs.orders" in trusted["recorded"]
    refreshed = project.fn("plan", "--refresh", "--json").json["plan"]
    change = next(c for c in refreshed["changes"] if c["address"] == "trigger.api.sqs.orders")
    assert {f["path"]: (f["before"], f["after"]) for f in change["fields"]} == {"batch_size": (9, 5)}
    assert project.fn("deploy", "--yes", "--refresh").exit_code == 0
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["BatchSize"] == 5


def test_a_changed_trigger_is_read_in_full_and_applied(moto, project, deployed):
    write(project, deployed, batch=7)
    plan = project.fn("plan", "--json").json["plan"]
    change = next(c for c in plan["changes"] if c["address"] == "trigger.api.sqs.orders")
    assert {f["path"]: f["after"] for f in change["fields"]} == {"batch_size": 7}
    assert not any(address.startswith(("trigger.api.", "alias.api.")) for address in plan.get("recorded", []))
    assert "alias.other.live" in plan["recorded"]  # the other function is still vouched for
    assert project.fn("deploy", "--yes").exit_code == 0
    assert header(moto)["complete"] is True
    assert project.fn("plan", "--json").json["plan"]["changes"] == []


def test_an_alias_moved_outside_fnship_is_read_and_planned_back(moto, project, deployed):
    write(project, deployed, build=2)
    assert project.fn("deploy", "--yes").exit_code == 0
    # Pointed back by hand (as a console rollback would): GetFunction through the alias answers another version.
    moto.client("lambda").update_alias(FunctionName="demo-dev-api", Name="live", FunctionVersion="1")
    plan = project.fn("plan", "--json").json["plan"]
    assert [c["address"] for c in plan["changes"]] == ["alias.api.live"]
    assert not any(address.startswith(("trigger.api.", "alias.api.")) for address in plan.get("recorded", []))


def test_every_taker_of_the_lock_marks_the_record_untrusted(moto, project, deployed):
    write(project, deployed, build=2)
    assert project.fn("deploy", "--yes").exit_code == 0
    assert header(moto)["complete"] is True
    assert project.fn("rollback", "--yes").exit_code == 0
    assert header(moto)["complete"] is False
    plans = []
    made = calls_of(moto, lambda: plans.append(project.fn("plan", "--json")))
    assert "recorded" not in plans[0].json["plan"]  # nothing vouched for: everything read
    assert "lambda:ListAliases" in made
    assert project.fn("deploy", "--yes").exit_code == 0  # (the rolled-back build is released again)
    assert header(moto)["complete"] is True


def test_remove_deletes_the_record(moto, project, deployed):
    assert project.fn("remove", "--yes").exit_code == 0
    assert moto.client("ssm").get_parameters(Names=deploy_record.names("demo", "dev"))["Parameters"] == []


def test_a_plan_checked_under_the_lock_is_not_read_again_when_nothing_was_applied_meanwhile(moto, project, deployed):
    write(project, deployed, build=2)
    loaded = pipeline.load(pipeline.Options(config=project.root / "serverless.yml"))
    shown = pipeline.make_plan(loaded)
    assert not shown.empty
    checked = []
    made = calls_of(
        moto, lambda: checked.append(_under_lock(loaded, lambda: pipeline.replan_under_lock(loaded, shown)))
    )
    assert checked[0] is shown
    assert not {"lambda:GetFunction", "iam:GetRole", "tag:GetResources"} & made  # no read of live state at all


def test_a_plan_is_refused_under_the_lock_when_another_deploy_applied_meanwhile(moto, project, deployed):
    write(project, deployed, build=2)
    loaded = pipeline.load(pipeline.Options(config=project.root / "serverless.yml"))
    shown = pipeline.make_plan(loaded)
    write(project, deployed, build=3)
    assert project.fn("deploy", "--yes").exit_code == 0  # another deploy, between our plan and our lock
    with pytest.raises(FnError, match="live state changed after the plan was shown"):
        _under_lock(loaded, lambda: pipeline.replan_under_lock(loaded, shown))


def test_a_first_deploy_with_yes_takes_the_lock_beside_its_reads_and_reads_once(moto, project):
    write(project, queue_arn(moto))
    moto.start_recording()
    assert project.fn("deploy", "--yes").exit_code == 0
    records = [r for r in moto.stop_recording() if "/moto-api/" not in r["url"]]
    actions = [action_of(r) for r in records]
    locks = [r for r in records if action_of(r) == "PutParameter" and "deploy-lock" in body_text(r)]
    assert len(locks) == 1
    assert actions.count("GetRole") == 2  # each role read once: the reads beside the lock stood, no second reading
    assert actions.index("CreateRole") > records.index(locks[0])  # nothing changed before the lock was held
    assert header(moto)["complete"] is True


def test_reads_beside_the_lock_stand_when_no_one_held_it_meanwhile(moto, project, deployed):
    deploy_record.mark_incomplete(pipeline.load(pipeline.Options(config=project.root / "serverless.yml")).aws,
                                  "demo", "dev")  # fmt: skip
    write(project, deployed, build=2)
    loaded = pipeline.load(pipeline.Options(config=project.root / "serverless.yml"))
    read = pipeline.make_plan(loaded)
    checked = []
    check = partial(pipeline.checked_beside_lock, loaded, read)
    made = calls_of(moto, lambda: checked.append(_under_lock(loaded, check)))
    assert checked[0] is read
    assert not {"lambda:GetFunction", "iam:GetRole", "tag:GetResources"} & made


def test_reads_beside_the_lock_are_done_again_when_another_deploy_applied_meanwhile(moto, project, deployed):
    """Another deploy took the lock between the first round and ours (our lock waited for it): what was read
    beside the lock may predate its changes, so everything is read again under the lock."""
    deploy_record.mark_incomplete(pipeline.load(pipeline.Options(config=project.root / "serverless.yml")).aws,
                                  "demo", "dev")  # fmt: skip
    write(project, deployed, build=2)
    loaded = pipeline.load(pipeline.Options(config=project.root / "serverless.yml"))
    read = pipeline.make_plan(loaded)
    write(project, deployed, build=3)
    assert project.fn("deploy", "--yes").exit_code == 0  # the other deploy applies BUILD=3
    write(project, deployed, build=2)
    checked = []
    check = partial(pipeline.checked_beside_lock, loaded, read)
    made = calls_of(moto, lambda: checked.append(_under_lock(loaded, check)))
    assert checked[0] is not read
    assert {"lambda:GetFunction", "iam:GetRole"} <= made
    assert _build_changes(checked[0]) == {("3", "2")}  # what the other deploy left
    assert _build_changes(read) == {("1", "2")}


def _build_changes(plan) -> set[tuple[str, str]]:
    """(before, after) of every planned change of the BUILD environment variable."""
    from fnship.plan.serialize import plan_to_dict

    fields = [f for change in plan_to_dict(plan)["changes"] for f in change["fields"]]
    return {(str(f["before"]), str(f["after"])) for f in fields if str(f["path"]).endswith("BUILD")}


def _under_lock(loaded, body):
    with pipeline.deploy_lock(loaded, command="test"):
        return body()


def test_a_deploy_after_one_that_died_writes_the_record_again_even_with_nothing_to_change(moto, project, deployed):
    """A record left incomplete (a deploy that died mid-apply, a rollback, a tune) vouches for nothing: the next
    `--yes` deploy plans under the lock, reading everything, and writes the record even when nothing changes, once;
    the deploy after it makes no mutating call again."""
    aws = pipeline.load(pipeline.Options(config=project.root / "serverless.yml")).aws
    deploy_record.mark_incomplete(aws, "demo", "dev")
    once = moto.mutating_calls_during(lambda: project.fn("deploy", "--yes"))
    assert sorted(once) == ["DeleteParameter", "PutParameter", "PutParameter", "PutParameter"]  # lock, mark, record
    assert header(moto)["complete"] is True
    assert moto.mutating_calls_during(lambda: project.fn("deploy", "--yes")) == []


LAYERED = """\
service: demo
provider:
  name: aws
layers:
  shared:
    path: layer
functions:
  api:
    handler: handler.hello
    layers:
      - Ref: SharedLambdaLayer
"""


def test_a_function_with_a_layer_is_vouched_for(moto, project):
    """The alias's release names the layer's version ARN, a value the plan resolves from live state: resolved the
    same way, the record vouches for the alias."""
    project.write("handler.py", HELLO_HANDLER)
    project.write("layer/helpers.py", "X = 1\n")
    project.write("serverless.yml", LAYERED)
    assert project.fn("deploy", "--yes").exit_code == 0
    plan = project.fn("plan", "--json").json["plan"]
    assert plan["changes"] == [] and plan["recorded"] == ["alias.api.live"]


def test_with_no_record_a_role_is_asked_once_when_absent_and_read_in_full_when_there(moto, project):
    """No record at all (a first deploy, or after `fn remove`): each desired role is asked with GetRole alone, and
    its policies are read only when it exists (a record lost while the roles stand: they are still read whole)."""
    write(project, queue_arn(moto))
    moto.start_recording()
    assert project.fn("deploy", "--yes").exit_code == 0
    first = [action_of(r) for r in moto.stop_recording() if "/moto-api/" not in r["url"]]
    assert first.count("GetRole") == 2 and "ListRolePolicies" not in first and "GetRolePolicy" not in first
    deploy_record.remove(pipeline.load(pipeline.Options(config=project.root / "serverless.yml")).aws, "demo", "dev")
    plans = []
    made = calls_of(moto, lambda: plans.append(project.fn("plan")))
    assert "No changes." in plans[0].stdout, plans[0].stdout
    assert {"iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"} <= made
