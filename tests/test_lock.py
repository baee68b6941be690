"""The deploy lock against the moto server (SSM PutParameter without Overwrite), with an injected clock."""

from __future__ import annotations

import json

import pytest

from fnship import lock
from fnship.aws import Aws, Target
from tests.moto_calls import action_of


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


# -- the lease: renewed by its holder, taken over when it ends, released with retries ------------------------------


def stored(aws) -> lock.LockInfo | None:
    return lock.parse(aws.ssm.get_or_none(lock.lock_name("svc", "dev")))


def test_a_long_shift_keeps_its_lease_through_many_renewals(aws):
    """The renewer ticks every RENEW_EVERY_S of an injected clock; ten ticks (300 s, more than two leases) later the
    lease still ends one LEASE_S after the last renewal, and nobody else can take it."""
    import threading

    now = [1000.0]
    ticks: list[float] = []
    ten_ticks = threading.Event()

    def wait(seconds, stopped):
        if len(ticks) == 10:
            ten_ticks.set()
            return stopped.wait()
        ticks.append(seconds)
        now[0] += seconds
        return False

    said: list[str] = []
    with lock.held(
        aws, service="svc", stage="dev", who="alice", command="fn deploy", clock=lambda: now[0],
        renew_wait=wait, say=said.append,
    ) as mine:  # fmt: skip
        assert ten_ticks.wait(timeout=60)
        assert now[0] == 1000 + 10 * lock.RENEW_EVERY_S > 1000 + 2 * lock.LEASE_S
        assert stored(aws).id == mine.id and stored(aws).expires == now[0] + lock.LEASE_S
        with pytest.raises(lock.LockHeld):
            take(aws, "bob", now=now[0])
    assert ticks == [lock.RENEW_EVERY_S] * 10 and said == []
    assert stored(aws) is None  # released


def test_a_holder_that_stopped_renewing_is_taken_over_by_wait_lock_saying_whose(aws):
    take(aws, "alice", now=1000.0)  # then died: nobody renews
    now = [1010.0]
    sleeps: list[float] = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    said: list[str] = []
    with lock.held(
        aws, service="svc", stage="dev", who="bob", command="fn deploy", wait=300, clock=lambda: now[0],
        sleep=sleep, say=said.append, on_wait=lambda holder: said.append(f"waiting for {holder.who}"),
    ) as mine:  # fmt: skip
        assert mine.who == "bob" and stored(aws).id == mine.id
        assert 1000 + lock.LEASE_S <= now[0] < 1000 + lock.LEASE_S + lock.POLL_S  # no later than the lease's end
    assert said[0] == "waiting for alice"
    assert said[1].startswith("Took over the deploy lock: the lease of alice (fn deploy) ended 1970-01-01T00:18:40Z")
    assert aws.ssm.get_or_none(lock.takeover_name("svc", "dev")) is None  # the takeover marker is gone


def test_without_wait_lock_a_live_lease_fails_fast_but_an_ended_one_is_taken(aws):
    take(aws, "alice", now=1000.0)
    with pytest.raises(lock.LockHeld) as caught:
        take(aws, "bob", now=1000.0 + lock.LEASE_S - 1)
    assert "ends within 120 s and is taken over" in caught.value.hint
    assert take(aws, "bob", now=1000.0 + lock.LEASE_S).who == "bob"


def test_a_lost_lease_is_said_once_and_not_overwritten(aws):
    mine = take(aws, "alice", now=1000.0)
    said: list[str] = []
    now = [1000.0 + lock.LEASE_S + 1]
    renewer = lock.Renewer(aws, service="svc", stage="dev", lock=mine, clock=lambda: now[0], on_lost=said.append)
    renewer.tick()  # ended before we renewed it: someone may be taking it over, so it is not ours to extend
    assert renewer.lost and stored(aws).expires == mine.expires
    bob = take(aws, "bob", now=now[0])
    renewer.tick()
    assert stored(aws).id == bob.id and len(said) == 1 and "lost the deploy lock" in said[0]


def test_a_renewal_that_fails_is_tried_again_at_the_next_tick(aws, moto):
    from tests.faulty_proxy import FaultyProxy

    with FaultyProxy(moto.endpoint) as proxy:
        through = Aws(Target(region="us-east-1", endpoint_url=proxy.endpoint))
        mine = take(through, "alice", now=1000.0)
        now = [1000.0 + lock.RENEW_EVERY_S]
        renewer = lock.Renewer(through, service="svc", stage="dev", lock=mine, clock=lambda: now[0])
        proxy.arm(1, "expired")
        renewer.tick()
        assert proxy.refused == ["PutParameter"] and not renewer.lost and stored(aws).expires == 1000 + lock.LEASE_S
        proxy.arm(None)
        now[0] += lock.RENEW_EVERY_S
        renewer.tick()
        assert stored(aws).expires == now[0] + lock.LEASE_S and renewer.renewals == 1


def test_a_refused_release_is_retried_and_then_said_with_the_exact_unlock_command(aws, moto):
    from tests.faulty_proxy import FaultyProxy

    command = "fn unlock -c serverless.yml --stage dev --region us-east-1 --yes"
    with FaultyProxy(moto.endpoint) as proxy:
        through = Aws(Target(region="us-east-1", endpoint_url=proxy.endpoint))
        said: list[str] = []
        sleeps: list[float] = []
        with lock.held(
            through, service="svc", stage="dev", who="alice", command="fn deploy", say=said.append,
            unlock_command=command, release_sleep=sleeps.append,
        ):  # fmt: skip
            proxy.arm(1, "denied")  # the credentials lose their rights mid-deploy: every write refused from now
        assert proxy.refused == ["DeleteParameter"] * lock.RELEASE_ATTEMPTS
        assert sleeps == [lock.RELEASE_BACKOFF_S, 2 * lock.RELEASE_BACKOFF_S]
        (message,) = said
        assert message.startswith("Warning: could not release the deploy lock /fnship/svc/dev/deploy-lock after 3")
        assert "AccessDenied" in message and message.endswith(f"to free it now: {command}")
        assert stored(aws).who == "alice"


def test_a_release_refused_once_succeeds_on_retry(aws, moto):
    from tests.faulty_proxy import FaultyProxy

    with FaultyProxy(moto.endpoint) as proxy:
        through = Aws(Target(region="us-east-1", endpoint_url=proxy.endpoint))
        said: list[str] = []
        with lock.held(
            through, service="svc", stage="dev", who="alice", command="c", say=said.append,
            release_sleep=lambda _s: proxy.arm(None),
        ):  # fmt: skip
            proxy.arm(1, "expired")
    assert said == [] and stored(aws) is None


@pytest.mark.parametrize("ended_lease", [False, True], ids=["free", "ended-lease"])
def test_two_racing_deploys_exactly_one_proceeds(moto, ended_lease):
    """Real concurrency: two threads, released together by a barrier, each with its own client, through a proxy
    that forwards one request at a time (moto's PutParameter is not atomic; AWS's is). Many rounds."""
    import threading

    from tests.faulty_proxy import FaultyProxy

    with FaultyProxy(moto.endpoint, serialize=True) as proxy:
        clients = {who: Aws(Target(region="us-east-1", endpoint_url=proxy.endpoint)) for who in ("a", "b")}
        for client in clients.values():
            client.ssm.get_or_none("warm-up")  # clients are built before the races start
        for _round in range(10):
            moto.reset()
            if ended_lease:
                take(clients["a"], "crashed", now=0.0)
            barrier = threading.Barrier(2)
            outcomes: dict[str, object] = {}

            def deploy(who: str, barrier: threading.Barrier, outcomes: dict[str, object]) -> None:
                barrier.wait(timeout=30)
                try:
                    outcomes[who] = lock.acquire(clients[who], service="svc", stage="dev", who=who, command="c")
                except lock.LockHeld as held:
                    outcomes[who] = held

            threads = [threading.Thread(target=deploy, args=(who, barrier, outcomes)) for who in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            winners = [who for who, outcome in outcomes.items() if isinstance(outcome, lock.LockInfo)]
            assert len(outcomes) == 2 and len(winners) == 1, outcomes
            assert stored(clients["a"]).who == winners[0]


def test_what_the_holder_does_last_is_done_before_the_lock_goes(aws, moto):
    """`last` (the deploy record's write) runs beside the release's read of who holds the lock, and is done before
    the lock is deleted: no one can take the lock while it is still writing."""
    ssm = moto.client("ssm")
    seen = []

    def write_record():
        ssm.put_parameter(Name="/fnship/svc/dev/applied", Value="{}", Type="String", Overwrite=True)
        names = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
        seen.append("/fnship/svc/dev/deploy-lock" in names)

    lock.release(aws, service="svc", stage="dev", lock=take(aws), last=[write_record])
    assert seen == [True]  # the lock was still there while it wrote
    assert [p["Name"] for p in ssm.describe_parameters()["Parameters"]] == ["/fnship/svc/dev/applied"]


def test_a_last_job_that_fails_still_releases_the_lock_and_says_so(aws, moto):
    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        lock.release(aws, service="svc", stage="dev", lock=take(aws), last=[broken])
    assert moto.client("ssm").describe_parameters()["Parameters"] == []


def test_a_release_told_the_lock_is_still_ours_deletes_it_without_reading_it_again(aws, moto):
    """A deploy asks `still_ours` beside its last round of calls and hands the answer to the release: the release
    then makes one call (the delete), not two; told it is no longer ours, it leaves it alone."""
    mine = take(aws)
    assert lock.still_ours(aws, service="svc", stage="dev", lock=mine)
    moto.start_recording()
    lock.release(aws, service="svc", stage="dev", lock=mine, checked=True)
    assert [action_of(r) for r in moto.stop_recording() if "/moto-api/" not in r["url"]] == ["DeleteParameter"]
    assert aws.ssm.get_or_none(lock.lock_name("svc", "dev")) is None
    stale = take(aws, ttl=10)
    fresh = take(aws, "bob", now=2000)  # took the ended one over
    assert not lock.still_ours(aws, service="svc", stage="dev", lock=stale)
    lock.release(aws, service="svc", stage="dev", lock=stale, checked=False)
    assert lock.parse(aws.ssm.get_or_none(lock.lock_name("svc", "dev"))).id == fresh.id
