"""How alias changes become steps: a new alias is pointed at once, moved aliases shift together in one
`release.shift` step that names each strategy, a provisioned-concurrency-only change touches nothing else. Pure."""

from __future__ import annotations

from fnship.kinds.alias import Alias
from fnship.manifest.release import ReleaseSettings
from fnship.manifest.strategy import parse_strategy
from fnship.model.resources import FunctionScope, Resource, State
from fnship.plan.steps import make_plan


def state(*resources: Resource) -> State:
    return State("svc", "dev", "us-east-1", tuple(resources))


def alias(key: str, release: dict, *, version="1", weights=None, strategy="AllAtOnce", provisioned=None) -> Resource:
    settings = ReleaseSettings(strategy=parse_strategy(strategy), strategy_text=strategy, alarms=("a1",))
    spec = Alias(
        release=release,
        provisioned_concurrency=provisioned,
        version=version,
        weights=weights or {},
        publish=True,
        release_settings=settings,
    )
    name = f"svc-dev-{key}"
    scope = FunctionScope(key, name, "live", f"arn:aws:lambda:us-east-1:111122223333:function:{name}:live")
    return Resource.of(f"alias.{key}.live", "live", spec, scope=scope)


def steps(desired: State, live: State) -> list[tuple[str, str]]:
    return [(s.type, s.address) for s in make_plan(desired, live, release_id="r").steps]


def test_new_alias_is_pointed_at_once():
    assert steps(state(alias("api", {"code": "b"})), state()) == [
        ("version.publish", "alias.api.live"),
        ("alias.set", "alias.api.live"),
    ]


def test_moved_aliases_shift_together_in_one_step():
    desired = state(alias("api", {"code": "b"}, strategy="Canary10Percent5Minutes"), alias("job", {"code": "b"}))
    live = state(alias("api", {"code": "a"}), alias("job", {"code": "a"}))
    plan = make_plan(desired, live, release_id="r")
    assert [(s.type, s.address) for s in plan.steps] == [
        ("version.publish", "alias.api.live"),
        ("version.publish", "alias.job.live"),
        ("release.shift", "release"),
    ]
    assert plan.steps[-1].detail["aliases"] == {
        "alias.api.live": {
            "strategy": "Canary10Percent5Minutes",
            "schedule": "10% for 5m, then 100%",
            "alarms": ["a1"],
            "hooks": {},
            "errors_alarm": "fnship-svc-dev-api-live-v(new version)-errors",
        },
        "alias.job.live": {"strategy": "AllAtOnce", "schedule": "all at once", "alarms": ["a1"], "hooks": {}},
    }


def test_alias_on_latest_moves_at_once():
    assert steps(state(alias("api", {"code": "b"})), state(alias("api", {"code": "a"}, version="$LATEST"))) == [
        ("version.publish", "alias.api.live"),
        ("alias.set", "alias.api.live"),
    ]


def test_left_over_weights_plan_a_shift_to_finish():
    release = {"code": "a"}
    plan = make_plan(state(alias("api", release)), state(alias("api", release, weights={"2": 0.1})), release_id="r")
    assert [c.fields[0].path for c in plan.changes] == ["version"]
    assert plan.steps[-1].type == "release.shift"


def test_provisioned_concurrency_only_change():
    release = {"code": "a"}
    plan = make_plan(state(alias("api", release, provisioned=5)), state(alias("api", release)), release_id="r")
    assert [(f.path, f.before, f.after) for f in plan.changes[0].fields] == [("provisioned_concurrency", None, 5)]
    assert [(s.type, s.address) for s in plan.steps] == [("alias.concurrency", "alias.api.live")]


def test_unchanged_alias_has_no_steps():
    release = {"code": "a"}
    assert steps(state(alias("api", release, provisioned=2)), state(alias("api", release, provisioned=2))) == []
