"""The deploy lock against the moto server (SSM PutParameter without Overwrite), with an injected clock."""

from __future__ import annotations

import json

import pytest

from fnship import lock
from fnship.aws import Aws, Target


@pytest.fixture
def aws(moto):
    return Aws(Target(region="us-east-1", endpoint_url=moto.endpoint))


def take(aws, who="alice", *, now=1000.0, **kwargs):
    return lock.acquire(aws, service="svc", stage="dev", who=who, command="fn deploy", clock=lambda: now, **kwargs)


def test_second_taker_fails_fast_naming_the_holder(aws, moto):
    mine = take(aws, ttl=600)
    stored = json.loads(moto.client("ssm").get_parameter(Name="/fnship/svc/dev/deploy-lock")["Parameter"]["Value"])
    assert stored["who"] == "alice" and stored["command"] == "fn deploy" and stored["expires"] == 1600
    with pytest.raises(lock.LockHeld) as caught:
        take(aws, "bob", now=1100)
    assert "alice since 1970-01-01T00:16:40Z (fn deploy)" in caught.value.message
    assert "fn unlock" in caught.value.hint
    lock.release(aws, service="svc", stage="dev", lock=mine)
    assert take(aws, "bob", now=1200).who == "bob"


def test_an_expired_lock_is_taken_over(aws):
    take(aws, ttl=60)
    assert take(aws, "bob", now=1061).who == "bob"


def test_waiting_for_the_lock(aws):
    held = take(aws, ttl=600)
    sleeps: list[float] = []
    now = [1000.0]
    waited_for: list = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds
        if len(sleeps) == 2:
            lock.release(aws, service="svc", stage="dev", lock=held)

    got = lock.acquire(
        aws, service="svc", stage="dev", who="bob", command="fn deploy", wait=60,
        clock=lambda: now[0], sleep=sleep, on_wait=waited_for.append,
    )  # fmt: skip
    assert got.who == "bob" and sleeps == [5.0, 5.0]
    assert [h.who for h in waited_for] == ["alice"]


def test_waiting_gives_up_after_the_deadline(aws):
    take(aws, ttl=600)
    now = [1000.0]

    def sleep(seconds):
        now[0] += seconds

    with pytest.raises(lock.LockHeld):
        lock.acquire(
            aws, service="svc", stage="dev", who="bob", command="c", wait=12, clock=lambda: now[0], sleep=sleep
        )
    assert now[0] == 1012


def test_release_leaves_someone_elses_lock_alone(aws):
    stale = take(aws, ttl=10)
    fresh = take(aws, "bob", now=2000)  # took the expired one over
    lock.release(aws, service="svc", stage="dev", lock=stale)
    assert lock.parse(aws.ssm.get_or_none(lock.lock_name("svc", "dev"))).id == fresh.id


def test_held_releases_on_error(aws):
    with pytest.raises(RuntimeError), lock.held(aws, service="svc", stage="dev", who="a", command="c"):
        raise RuntimeError("boom")
    assert aws.ssm.get_or_none(lock.lock_name("svc", "dev")) is None


def test_fn_unlock(moto, project):
    project.write("serverless.yml", "service: svc\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: h.h\n")
    aws = Aws(Target(region="us-east-1", endpoint_url=moto.endpoint))
    take(aws, "ci@runner-7")
    result = project.fn("unlock", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json["released"]["who"] == "ci@runner-7"
    assert aws.ssm.get_or_none(lock.lock_name("svc", "dev")) is None
    assert "No deploy lock" in project.fn("unlock", "--yes").stdout


def test_cloudwatch_adapter(aws):
    cloudwatch = aws.cloudwatch
    cloudwatch.put_version_errors_alarm("fnship-f-live-v2-errors", function="f", alias="live", version="2", tags={})
    assert cloudwatch.alarm_states(["fnship-f-live-v2-errors", "missing"]) == {
        "fnship-f-live-v2-errors": "OK",
        "missing": None,
    }
    cloudwatch.delete_alarms(["fnship-f-live-v2-errors"])
    assert cloudwatch.alarm_states(["fnship-f-live-v2-errors"]) == {"fnship-f-live-v2-errors": None}


def test_fn_remove_fails_fast_while_a_deploy_holds_the_lock(moto, project):
    project.write_hello_service()
    assert project.fn("deploy", "--yes").exit_code == 0
    aws = Aws(Target(region="us-east-1", endpoint_url=moto.endpoint))
    service = project.fn("validate", "--json").json["service"]
    held = lock.acquire(aws, service=service, stage="dev", who="ci@runner-7", command="fn deploy")
    result = project.fn("remove", "--yes")
    assert result.exit_code == 1
    assert "another deploy holds the lock" in result.stderr and "ci@runner-7" in result.stderr
    assert moto.client("lambda").list_functions()["Functions"]  # nothing removed
    lock.release(aws, service=service, stage="dev", lock=held)
    assert project.fn("remove", "--yes").exit_code == 0
    assert moto.client("lambda").list_functions()["Functions"] == []
