"""The shifter against an in-memory double of fnship's AWS adapter (tests/strategies/fakes.py names the AWS docs
it follows): schedules with an injected clock, alarms, hooks, interrupts, provisioned concurrency, RevisionId."""

from __future__ import annotations

from fnship.errors import EXIT_INTERRUPTED, EXIT_ROLLED_BACK, AwsError
from fnship.manifest.release import ReleaseSettings
from fnship.manifest.strategy import parse_strategy
from fnship.releases import released_history
from fnship.strategies import shifter
from tests.strategies.fakes import FakeAlias, FakeAws, FakeClock


def settings(strategy="canary 10% 5m", **kwargs) -> ReleaseSettings:
    return ReleaseSettings(strategy=parse_strategy(strategy), strategy_text=strategy, **kwargs)


def job(aws: FakeAws, function="svc-dev-api", *, old="1", new="2", **kwargs) -> shifter.ShiftJob:
    alias = aws.lambda_.aliases[(function, "live")]
    return shifter.ShiftJob(
        address=f"alias.{function}.live",
        function=function,
        function_key=function.rsplit("-", 1)[-1],
        old_version=old,
        new_version=new,
        settings=settings(**kwargs),
        release={"release": "r1"},
        revision_id=alias.revision,
        live_provisioned=alias.provisioned,  # what the live reader reports
        released=released_history(alias.description),
    )


def runtime(clock: FakeClock, **kwargs) -> shifter.Runtime:
    events: list[dict] = []
    rt = shifter.Runtime(clock=clock.clock, sleep=clock.sleep, progress=events.append, poll=60, **kwargs)
    rt.events = events  # type: ignore[attr-defined]
    return rt


def test_linear_walks_the_weights_and_sleeps_exactly_the_schedule():
    aws, clock = FakeAws(), FakeClock()
    aws.lambda_.add("svc-dev-api", versions=2)
    outcomes = shifter.run_release(aws, [job(aws, strategy="linear 25% every 2m")], runtime(clock))
    assert [o.status for o in outcomes] == ["released"]
    updates = [(c[2], c[3]) for c in aws.lambda_.calls if c[0] == "UpdateAlias"]
    assert updates == [("1", {"2": 0.25}), ("1", {"2": 0.5}), ("1", {"2": 0.75}), ("2", {})]
    assert clock.sleeps == [60, 60] * 3  # poll every 60 s through each 120 s interval
    alias = aws.lambda_.aliases[("svc-dev-api", "live")]
    assert (alias.version, alias.weights) == ("2", {})
    # the per-version errors alarm exists only during the shift
    assert aws.cloudwatch.created == aws.cloudwatch.deleted == ["fnship-svc-dev-api-live-v2-errors"]


def test_progress_reports_percent_time_left_and_alarms():
    aws, clock = FakeAws(), FakeClock()
    aws.lambda_.add("svc-dev-api", versions=2)
    aws.cloudwatch.states["mine"] = "INSUFFICIENT_DATA"
    rt = runtime(clock)
    shifter.run_release(aws, [job(aws, strategy="canary 10% 2m", alarms=("mine",))], rt)
    shifts = [e for e in rt.events if e["event"] == "shift"]
    assert [(e["weight"], e["step"], e["steps"], e["remaining"]) for e in shifts] == [(0.1, 1, 2, 120), (1.0, 2, 2, 0)]
    waits = [e for e in rt.events if e["event"] == "wait"]
    assert [e["remaining"] for e in waits] == [120, 60, 0]
    assert waits[0]["alarms"] == {"mine": "INSUFFICIENT_DATA", "fnship-svc-dev-api-live-v2-errors": "OK"}
    assert rt.events[-1]["event"] == "released"


def test_own_errors_alarm_rolls_back_all_functions():
    aws = FakeAws()
    aws.lambda_.add("svc-dev-api", versions=2)
    aws.lambda_.add("svc-dev-worker", versions=2)

    def fire(count):
        if count == 1:
            aws.cloudwatch.states["fnship-svc-dev-api-live-v2-errors"] = "ALARM"

    clock = FakeClock(on_sleep=fire)
    jobs = [job(aws, "svc-dev-api"), job(aws, "svc-dev-worker", strategy="AllAtOnce")]
    outcomes = shifter.run_release(aws, jobs, runtime(clock))
    assert {o.function_key: o.status for o in outcomes} == {"api": "rolled_back", "worker": "rolled_back"}
    for name in ("svc-dev-api", "svc-dev-worker"):
        alias = aws.lambda_.aliases[(name, "live")]
        assert (alias.version, alias.weights) == ("1", {})
    error = shifter.release_error(outcomes)
    assert error.exit_code == EXIT_ROLLED_BACK
    assert "alarm fnship-svc-dev-api-live-v2-errors is in ALARM" in error.message
    assert aws.lambda_.versions["svc-dev-api"] == ["1", "2"]  # nothing pruned after a rollback


def test_post_traffic_hook_falsy_result_rolls_back_after_100_percent():
    aws, clock = FakeAws(), FakeClock()
    aws.lambda_.add("svc-dev-api", versions=2)
    aws.lambda_.hooks["svc-dev-check"] = (None, b"false")
    outcomes = shifter.run_release(
        aws,
        [job(aws, strategy="AllAtOnce", pre_traffic="svc-dev-check2", post_traffic="svc-dev-check")],
        runtime(clock),
    )
    assert outcomes[0].status == "rolled_back"
    assert "postTraffic hook svc-dev-check returned false" in outcomes[0].reason
    phases = [(name, p["phase"], p["version"], p["previousVersion"]) for name, p in aws.lambda_.invocations]
    assert phases == [("svc-dev-check2", "preTraffic", "2", "1"), ("svc-dev-check", "postTraffic", "2", "1")]
    assert aws.lambda_.invocations[0][1]["release"] == "r1"
    assert aws.lambda_.aliases[("svc-dev-api", "live")].version == "1"


def test_hooks_that_return_true_release():
    aws, clock = FakeAws(), FakeClock()
    aws.lambda_.add("svc-dev-api", versions=2)
    outcomes = shifter.run_release(aws, [job(aws, pre_traffic="h", post_traffic="h")], runtime(clock))
    assert outcomes[0].status == "released"


def test_interrupt_restores_the_old_version():
    aws = FakeAws()
    aws.lambda_.add("svc-dev-api", versions=2)
    rt_holder = {}
    clock = FakeClock(on_sleep=lambda n: rt_holder["rt"].stop.set())  # Ctrl-C arrives during the first bake
    rt = rt_holder["rt"] = runtime(clock)
    outcomes = shifter.run_release(aws, [job(aws)], rt)
    assert outcomes[0].status == "interrupted"
    alias = aws.lambda_.aliases[("svc-dev-api", "live")]
    assert (alias.version, alias.weights) == ("1", {})
    error = shifter.release_error(outcomes)
    assert error.exit_code == EXIT_INTERRUPTED and "restored api to version 1" in error.message


def test_interrupt_with_continue_finishes_the_shift():
    aws = FakeAws()
    aws.lambda_.add("svc-dev-api", versions=2)
    rt_holder = {}
    clock = FakeClock(on_sleep=lambda n: rt_holder["rt"].stop.set())
    rt = rt_holder["rt"] = runtime(clock, on_interrupt="continue")
    outcomes = shifter.run_release(aws, [job(aws)], rt)
    assert outcomes[0].status == "released"
    assert aws.lambda_.aliases[("svc-dev-api", "live")].version == "2"


def test_provisioned_concurrency_is_sequenced_around_the_shift():
    aws, clock = FakeAws(), FakeClock()
    aws.lambda_.add("svc-dev-api", versions=2, provisioned=5)
    outcomes = shifter.run_release(aws, [job(aws, provisioned_concurrency=5)], runtime(clock))
    assert outcomes[0].status == "released", outcomes[0].reason
    kinds = [c[0] for c in aws.lambda_.calls]
    assert kinds == [
        "DeleteProvisionedConcurrencyConfig",  # before any weights
        "UpdateAlias",
        "UpdateAlias",
        "PutProvisionedConcurrencyConfig",  # once the alias has no weights again
    ]
    alias = aws.lambda_.aliases[("svc-dev-api", "live")]
    assert alias.provisioned == 5 and "provisioned concurrency 5" in alias.description


def test_provisioned_concurrency_comes_back_after_a_rollback():
    aws = FakeAws()
    aws.lambda_.add("svc-dev-api", versions=2, provisioned=3)
    aws.cloudwatch.states["ext"] = "OK"
    clock = FakeClock(on_sleep=lambda n: aws.cloudwatch.states.update({"ext": "ALARM"}))
    outcomes = shifter.run_release(aws, [job(aws, alarms=("ext",), provisioned_concurrency=3)], runtime(clock))
    assert outcomes[0].status == "rolled_back"
    alias = aws.lambda_.aliases[("svc-dev-api", "live")]
    assert (alias.version, alias.weights, alias.provisioned) == ("1", {}, 3)


def test_alias_moved_by_someone_else_stops_clearly():
    aws = FakeAws()
    alias = aws.lambda_.add("svc-dev-api", versions=3)

    def meddle(count):
        if count == 1:  # another deploy moves the alias while we bake
            aws.lambda_.set_alias_version("svc-dev-api", "live", version="3", weights={})

    clock = FakeClock(on_sleep=meddle)
    outcomes = shifter.run_release(aws, [job(aws)], runtime(clock))
    assert outcomes[0].status == "failed"
    assert "PreconditionFailedException" in outcomes[0].reason
    assert alias.version == "3"  # we did not overwrite the other deploy's change
    error = shifter.release_error(outcomes)
    assert error.exit_code == 1 and "another deploy or rollback moved the alias" in error.message


def test_stale_revision_from_the_plan_fails_before_any_traffic_moves():
    aws, clock = FakeAws(), FakeClock()
    aws.lambda_.add("svc-dev-api", versions=2)
    stale = shifter.ShiftJob(**{**job(aws).__dict__, "revision_id": "rev-from-plan"})
    outcomes = shifter.run_release(aws, [stale], runtime(clock))
    assert outcomes[0].status == "failed"
    assert aws.lambda_.aliases[("svc-dev-api", "live")].version == "1"


def test_pruning_keeps_recent_aliased_and_rollback_target():
    aws, clock = FakeAws(), FakeClock()
    aws.lambda_.add("svc-dev-api", versions=14, serving="3")
    aws.lambda_.aliases[("svc-dev-api", "beta")] = FakeAlias("2")  # another alias: never pruned
    outcomes = shifter.run_release(
        aws, [job(aws, old="3", new="14", strategy="AllAtOnce", keep_versions=4)], runtime(clock)
    )
    # newest 4 kept (11-14), v2 (beta) and v3 (the rollback target) protected
    assert outcomes[0].pruned == ["1", "4", "5", "6", "7", "8", "9", "10"]
    assert aws.lambda_.versions["svc-dev-api"] == ["2", "3", "11", "12", "13", "14"]


def test_same_version_only_clears_left_over_weights():
    aws, clock = FakeAws(), FakeClock()
    aws.lambda_.add("svc-dev-api", versions=2, serving="1", weights={"2": 0.3})
    outcomes = shifter.run_release(aws, [job(aws, old="2", new="2")], runtime(clock))
    alias = aws.lambda_.aliases[("svc-dev-api", "live")]
    assert outcomes[0].status == "released" and (alias.version, alias.weights) == ("2", {})
    assert clock.sleeps == []


def test_a_named_alarm_that_does_not_exist_stops_before_traffic_moves():
    aws, clock = FakeAws(), FakeClock()
    aws.lambda_.add("svc-dev-api", versions=2)
    outcomes = shifter.run_release(aws, [job(aws, alarms=("typo-alarm",))], runtime(clock))
    assert outcomes[0].status == "failed" and "alarm typo-alarm does not exist" in outcomes[0].reason
    assert [c for c in aws.lambda_.calls if c[0] == "UpdateAlias"] == []
    assert outcomes[0].version == "1"


def test_a_named_alarm_already_firing_on_the_old_version_does_not_abort_the_release():
    # The issue: an alarm already firing (on the old version) must not abort every release.
    aws, clock = FakeAws(), FakeClock()
    aws.lambda_.add("svc-dev-api", versions=2)
    aws.cloudwatch.states["api-errors"] = "ALARM"
    rt = runtime(clock)
    outcomes = shifter.run_release(aws, [job(aws, strategy="canary 10% 2m", alarms=("api-errors",))], rt)
    assert outcomes[0].status == "released"
    assert aws.lambda_.aliases[("svc-dev-api", "live")].version == "2"
    assert [e["alarms"] for e in rt.events if e["event"] == "already_firing"] == [["api-errors"]]


def test_an_alarm_firing_before_the_shift_aborts_once_it_recovers_and_fires_again():
    aws = FakeAws()
    aws.lambda_.add("svc-dev-api", versions=2)
    aws.cloudwatch.states["api-errors"] = "ALARM"
    states = {1: "OK", 2: "ALARM"}  # after the first bake it recovers, after the second it fires again

    def move(count):
        if count in states:
            aws.cloudwatch.states["api-errors"] = states[count]

    clock = FakeClock(on_sleep=move)
    outcomes = shifter.run_release(aws, [job(aws, strategy="canary 10% 5m", alarms=("api-errors",))], runtime(clock))
    assert outcomes[0].status == "rolled_back" and outcomes[0].alarm == "api-errors"
    assert clock.sleeps == [60, 60]
    alias = aws.lambda_.aliases[("svc-dev-api", "live")]
    assert (alias.version, alias.weights) == ("1", {})


def test_provisioned_concurrency_removed_from_the_manifest_during_a_canary():
    # The alias has provisioned concurrency, the manifest no longer asks for it: AWS would reject the weights.
    aws, clock = FakeAws(), FakeClock()
    marked = "fnship release pointer; provisioned concurrency 5"
    aws.lambda_.add("svc-dev-api", versions=2, provisioned=5, description=marked)
    outcomes = shifter.run_release(aws, [job(aws)], runtime(clock))
    assert outcomes[0].status == "released", outcomes[0].reason
    assert [c[0] for c in aws.lambda_.calls] == ["DeleteProvisionedConcurrencyConfig", "UpdateAlias", "UpdateAlias"]
    alias = aws.lambda_.aliases[("svc-dev-api", "live")]
    assert alias.provisioned is None and "provisioned" not in alias.description


def test_a_rollback_restores_the_provisioned_concurrency_the_alias_had():
    aws = FakeAws()
    aws.lambda_.add("svc-dev-api", versions=2, provisioned=5)
    aws.cloudwatch.states["ext"] = "OK"
    clock = FakeClock(on_sleep=lambda n: aws.cloudwatch.states.update({"ext": "ALARM"}))
    outcomes = shifter.run_release(aws, [job(aws, alarms=("ext",), provisioned_concurrency=8)], runtime(clock))
    assert outcomes[0].status == "rolled_back"
    alias = aws.lambda_.aliases[("svc-dev-api", "live")]
    assert (alias.version, alias.weights, alias.provisioned) == ("1", {}, 5)
    assert alias.description == "fnship release pointer; provisioned concurrency 5"


def test_a_failed_update_after_releasing_provisioned_concurrency_puts_it_back():
    aws, clock = FakeAws(), FakeClock()
    alias = aws.lambda_.add("svc-dev-api", versions=2, provisioned=5)
    update = aws.lambda_.set_alias_version

    def throttled_when_weighted(function, name, **kwargs):
        if kwargs.get("weights"):
            raise AwsError(resource="alias", action="UpdateAlias", code="TooManyRequestsException", detail="slow")
        return update(function, name, **kwargs)

    aws.lambda_.set_alias_version = throttled_when_weighted
    outcomes = shifter.run_release(aws, [job(aws)], runtime(clock))
    assert outcomes[0].status == "failed" and "TooManyRequestsException" in outcomes[0].reason
    assert (alias.version, alias.weights, alias.provisioned) == ("1", {}, 5)


def test_the_alias_records_completed_releases_and_not_rolled_back_ones():
    aws = FakeAws()
    aws.lambda_.add("svc-dev-api", versions=3, serving="2", description="fnship release pointer; released 2 1")
    shifter.run_release(aws, [job(aws, old="2", new="3")], runtime(FakeClock()))
    alias = aws.lambda_.aliases[("svc-dev-api", "live")]
    assert (alias.version, released_history(alias.description)) == ("3", ("3", "2", "1"))

    aws.lambda_.versions["svc-dev-api"].append("4")
    aws.cloudwatch.states["ext"] = "OK"
    clock = FakeClock(on_sleep=lambda n: aws.cloudwatch.states.update({"ext": "ALARM"}))
    outcomes = shifter.run_release(aws, [job(aws, old="3", new="4", alarms=("ext",))], runtime(clock))
    assert outcomes[0].status == "rolled_back"
    assert (alias.version, released_history(alias.description)) == ("3", ("3", "2", "1"))


def test_a_released_function_reverted_with_its_release_gets_its_old_provisioned_concurrency_back():
    aws = FakeAws()
    aws.lambda_.add("svc-dev-api", versions=2, provisioned=5)
    aws.lambda_.add("svc-dev-worker", versions=2)
    aws.lambda_.hooks["svc-dev-hook"] = ("Unhandled", b"{}")
    jobs = [
        job(aws, strategy="AllAtOnce", provisioned_concurrency=8),
        job(aws, "svc-dev-worker", strategy="AllAtOnce", pre_traffic="svc-dev-hook"),
    ]
    outcomes = shifter.run_release(aws, jobs, runtime(FakeClock()))
    assert [o.status for o in outcomes] == ["rolled_back", "rolled_back"]
    api = aws.lambda_.aliases[("svc-dev-api", "live")]
    assert (api.version, api.provisioned) == ("1", 5)
    assert api.description == "fnship release pointer; provisioned concurrency 5"
