"""Safe releases against the moto server: canary with an alarm, linear weights, hooks, rollback, the lock."""

from __future__ import annotations

import threading

import pytest

from fnship import pipeline
from fnship.strategies.shifter import Runtime
from tests.conftest import HELLO_HANDLER

MANIFEST = """\
service: demo
provider:
  name: aws
  environment:
    BUILD: "{build}"
deployment:
  strategy: {strategy}
  alarms: {alarms}
functions:
  api:
    handler: handler.hello
  check:
    handler: handler.world
{extra}
"""


def write(project, *, build: int, strategy: str = "AllAtOnce", alarms: str = "[]", extra: str = "") -> None:
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", MANIFEST.format(build=build, strategy=strategy, alarms=alarms, extra=extra))


def alias_of(moto, name: str = "demo-dev-api") -> dict:
    return moto.client("lambda").get_alias(FunctionName=name, Name="live")


def put_alarm(moto, name: str) -> None:
    moto.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )


def deploy_in_process(project, runtime: Runtime, *, only=()):
    options = pipeline.Options(config=project.root / "serverless.yml", functions=tuple(only))
    loaded = pipeline.load(options)
    plan = pipeline.make_plan(loaded, only=only)
    return plan, pipeline.apply(loaded, plan, runtime=runtime)


def test_canary_rolls_back_when_an_alarm_fires_mid_shift(moto, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    put_alarm(moto, "api-errors")
    write(project, build=2, strategy="Canary10Percent5Minutes", alarms="[api-errors]")
    seen: list[dict] = []
    slept: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        # Both functions shift in parallel threads, each napping through here. Once api's alias serves 10% on
        # the new version (mid-shift), the alarm fires.
        slept.append(seconds)
        now[0] += seconds
        weights = alias_of(moto).get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
        if weights and not seen:
            seen.append(weights)
            moto.client("cloudwatch").set_alarm_state(AlarmName="api-errors", StateValue="ALARM", StateReason="test")

    plan, result = deploy_in_process(project, Runtime(clock=lambda: now[0], sleep=sleep, poll=10))
    assert not result.ok and result.error.exit_code == 3
    assert "api-errors" in result.error.message
    assert seen == [{"2": 0.1}]
    assert set(slept) == {10}  # both functions bake in parallel until the alarm is seen
    for name in ("demo-dev-api", "demo-dev-check"):
        alias = alias_of(moto, name)
        assert alias["FunctionVersion"] == "1"
        assert alias.get("RoutingConfig", {}).get("AdditionalVersionWeights", {}) == {}
    # fnship's own per-version errors alarm is gone again
    names = [a["AlarmName"] for a in moto.client("cloudwatch").describe_alarms()["MetricAlarms"]]
    assert names == ["api-errors"]


def test_cli_exits_3_and_names_the_alarm_that_fires_mid_shift(moto, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    put_alarm(moto, "api-errors")
    write(project, build=2, strategy="'canary 10% 30s'", alarms="[api-errors]")

    def fire_when_shifting():  # the alarm fires while the canary bakes
        lam = moto.client("lambda")
        for _ in range(600):
            routing = lam.get_alias(FunctionName="demo-dev-api", Name="live").get("RoutingConfig") or {}
            if routing.get("AdditionalVersionWeights"):
                moto.client("cloudwatch").set_alarm_state(AlarmName="api-errors", StateValue="ALARM", StateReason="t")
                return
            threading.Event().wait(0.05)

    firing = threading.Thread(target=fire_when_shifting)
    firing.start()
    result = project.fn_process("deploy", "--yes", "--json")
    firing.join()
    assert result.exit_code == 3, result.stderr
    assert "api-errors" in result.stderr
    document = result.json
    assert document["ok"] is False
    statuses = {f["function"]: f["status"] for f in document["release"]["functions"]}
    assert statuses["api"] == "rolled_back"
    assert alias_of(moto)["FunctionVersion"] == "1"


def test_an_alarm_already_firing_on_the_old_version_does_not_abort_the_release(moto, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    put_alarm(moto, "already-firing")
    moto.client("cloudwatch").set_alarm_state(AlarmName="already-firing", StateValue="ALARM", StateReason="test")
    write(project, build=2, strategy="'canary 10% 1s'", alarms="[already-firing]")
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "alarm already-firing already in ALARM before any traffic moved" in result.stderr
    assert alias_of(moto)["FunctionVersion"] == "2"


def test_a_per_version_alarm_left_by_a_killed_deploy_is_removed_by_the_next_shift(moto, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    put_alarm(moto, "fnship-demo-dev-api-live-v1-errors")  # what a SIGKILL mid-shift leaves behind
    put_alarm(moto, "fnship-demo-dev-api-live-v1-errors-mine")  # not of fnship's form: someone else's
    write(project, build=2, strategy="'canary 10% 1s'")
    assert project.fn("deploy", "--yes", "-f", "api").exit_code == 0
    names = [a["AlarmName"] for a in moto.client("cloudwatch").describe_alarms()["MetricAlarms"]]
    assert names == ["fnship-demo-dev-api-live-v1-errors-mine"]


def test_linear_shift_weights_step_by_step(moto, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    write(project, build=2, strategy="'linear 25% every 60s'")
    weights: list[tuple[str, dict]] = []
    now = [1000.0]

    def sleep(seconds: float) -> None:
        alias = alias_of(moto)
        weights.append((alias["FunctionVersion"], alias["RoutingConfig"]["AdditionalVersionWeights"]))
        now[0] += seconds

    _plan, result = deploy_in_process(project, Runtime(clock=lambda: now[0], sleep=sleep, poll=60), only=["api"])
    assert result.ok, result.error
    new = result.outputs["alias.api.live"]["version"]
    assert weights == [("1", {new: 0.25}), ("1", {new: 0.5}), ("1", {new: 0.75})]
    final = alias_of(moto)
    assert final["FunctionVersion"] == new and final["RoutingConfig"]["AdditionalVersionWeights"] == {}
    description = moto.client("lambda").get_function(FunctionName="demo-dev-api", Qualifier=new)
    assert description["Configuration"]["Description"].startswith("fnship ")


def test_failing_pre_traffic_hook_rolls_back(moto, project):
    # moto's default Lambda mode answers every invoke with FunctionError (no Docker): a failing hook.
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    write(project, build=2, strategy="'canary 10% 30s'")
    text = (
        (project.root / "serverless.yml")
        .read_text()
        .replace("deployment:\n", "deployment:\n  hooks:\n    preTraffic: check\n")
    )
    (project.root / "serverless.yml").write_text(text)
    moto.start_recording()
    result = project.fn("deploy", "--yes", "-f", "api")
    requests = moto.stop_recording()
    assert result.exit_code == 3, result.stderr
    assert "preTraffic hook demo-dev-check failed" in result.stderr
    alias = alias_of(moto)
    assert alias["FunctionVersion"] == "1" and alias["RoutingConfig"]["AdditionalVersionWeights"] == {}
    # no traffic moved: no UpdateAlias carried weights for the new version
    weighted = [r for r in requests if "/aliases/live" in r["url"] and r["method"] == "PUT" and '"2"' in r["body"]]
    assert weighted == []


def test_rollback_after_a_good_release_and_releases_list(moto, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    write(project, build=2)
    assert project.fn("deploy", "--yes").exit_code == 0
    assert alias_of(moto)["FunctionVersion"] == "2"
    listed = project.fn("releases", "--json").json
    api = next(f for f in listed["functions"] if f["function"] == "api")
    assert [r["version"] for r in api["releases"]] == ["2", "1"]
    assert api["releases"][0]["serving"] and api["releases"][0]["release"]
    result = project.fn("rollback", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    moves = {m["function"]: (m["from"], m["to"]) for m in result.json["functions"]}
    assert moves == {"api": ("2", "1"), "check": ("2", "1")}
    assert alias_of(moto)["FunctionVersion"] == "1"
    assert alias_of(moto, "demo-dev-check")["FunctionVersion"] == "1"
    # `--to` a release id rolls every function forward again
    again = project.fn("rollback", "--yes", "--to", api["releases"][0]["release"])
    assert again.exit_code == 0, again.stderr
    assert alias_of(moto)["FunctionVersion"] == "2"


def test_rollback_skips_a_release_that_rolled_back(moto, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    write(project, build=2)
    assert project.fn("deploy", "--yes", "-f", "api").exit_code == 0
    # Version 3 fails its pre-traffic hook (moto answers every invoke with FunctionError): it never serves 100%.
    write(project, build=3, strategy="'canary 10% 30s'")
    manifest = project.root / "serverless.yml"
    manifest.write_text(manifest.read_text().replace("deployment:\n", "deployment:\n  hooks:\n    preTraffic: check\n"))
    assert project.fn("deploy", "--yes", "-f", "api").exit_code == 3
    write(project, build=4)
    assert project.fn("deploy", "--yes", "-f", "api").exit_code == 0
    assert alias_of(moto)["FunctionVersion"] == "4"
    listed = project.fn("releases", "-f", "api", "--json").json["functions"][0]["releases"]
    assert [(r["version"], r["completed"]) for r in listed] == [("4", True), ("3", False), ("2", True), ("1", True)]
    text = project.fn("releases", "-f", "api").stdout
    unfinished = [line.split()[0] for line in text.splitlines() if line.endswith("(release did not complete)")]
    assert unfinished == ["v3"]
    first = project.fn("rollback", "--yes", "-f", "api", "--json")
    assert first.exit_code == 0, first.stderr
    assert [(m["from"], m["to"]) for m in first.json["functions"]] == [("4", "2")]
    second = project.fn("rollback", "--yes", "-f", "api", "--json")
    assert [(m["from"], m["to"]) for m in second.json["functions"]] == [("2", "1")]
    assert alias_of(moto)["FunctionVersion"] == "1"
    nothing_older = project.fn("rollback", "--yes", "-f", "api")
    assert nothing_older.exit_code == 1
    assert "no release before version 1 exists for demo-dev-api" in nothing_older.stderr
    assert "hint: nothing was rolled back" in nothing_older.stderr


def test_rollback_aborts_a_shift_left_behind_and_info_shows_it(moto, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    write(project, build=2)
    assert project.fn("deploy", "--yes").exit_code == 0
    lam = moto.client("lambda")
    lam.update_alias(FunctionName="demo-dev-api", Name="live", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})  # fmt: skip
    info = project.fn("info")
    assert "SHIFT IN PROGRESS" in info.stdout and "v2 30%" in info.stdout
    plan = project.fn("plan", "--json").json["plan"]
    assert any(c["address"] == "alias.api.live" for c in plan["changes"])
    result = project.fn("rollback", "--yes", "-f", "api")
    assert result.exit_code == 0, result.stderr
    assert "shift aborted" in result.stdout
    alias = alias_of(moto)
    assert alias["FunctionVersion"] == "1" and alias["RoutingConfig"]["AdditionalVersionWeights"] == {}


def test_two_concurrent_deploys_exactly_one_proceeds(moto, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    # The winner holds the lock for the canary's 10 s: long enough that the loser, however slowly it starts
    # on a busy machine, meets the lock rather than a finished deploy.
    write(project, build=2, strategy="'canary 10% 10s'")
    results = []

    def run():
        results.append(project.fn_process("deploy", "--yes"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(r.exit_code for r in results)
    assert codes == [0, 1], [(r.exit_code, r.stderr[-400:]) for r in results]
    loser = next(r for r in results if r.exit_code == 1)
    assert "another deploy holds the lock /fnship/demo/dev/deploy-lock" in loser.stderr
    assert "fn deploy" in loser.stderr
    # released on exit: the next deploy takes it again (no changes left to apply)
    assert project.fn("deploy", "--yes").exit_code == 0


@pytest.mark.parametrize("bad", ["'canary 0% 5m'", "Canary99Percent1Minute"])
def test_unknown_strategy_is_bad_input(moto, project, bad):
    write(project, build=1, strategy=bad)
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "serverless.yml:7:13 deployment.strategy:" in result.stderr
    assert "problems found" not in result.stderr  # reported once, not once per function


def test_plan_and_dry_run_show_the_same_release_step(moto, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    write(project, build=2, strategy="Canary10Percent5Minutes", alarms="[api-errors]")
    plan = project.fn("plan", "--json").json["plan"]
    dry = project.fn("deploy", "--dry-run", "--json").json["plan"]
    assert plan["steps"] == dry["steps"]
    release = plan["steps"][-1]
    assert release["type"] == "release.shift" and release["address"] == "release"
    assert release["detail"]["aliases"]["alias.api.live"] == {
        "strategy": "Canary10Percent5Minutes",
        "schedule": "10% for 5m, then 100%",
        "alarms": ["api-errors"],
        "hooks": {},
        # Every mutation is in the plan: the shift's own errors alarm, and the versions it prunes (none yet).
        "errors_alarm": "fnship-demo-dev-api-live-v(new version)-errors",
        "prune": [],
    }
    text = project.fn("plan", "--strategy", "linear 50% every 1m").stdout
    assert "~ alias.api.live" in text and "strategy: linear 50% every 1m (+50% every 1m to 100%)" in text


def test_sigterm_mid_shift_restores_the_old_version_and_releases_the_lock(moto, project):
    import os
    import signal
    import subprocess
    import sys
    import time

    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    write(project, build=2, strategy="'canary 10% 5m'")
    child = subprocess.Popen(
        [sys.executable, "-m", "fnship", "deploy", "--yes", "-f", "api"],
        cwd=project.root,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if alias_of(moto).get("RoutingConfig", {}).get("AdditionalVersionWeights"):
            break
        time.sleep(0.1)
    else:
        child.kill()
        pytest.fail("the shift never started: " + child.communicate()[1])
    child.send_signal(signal.SIGTERM)
    try:
        _out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:  # never leave a shift running against the shared moto server
            child.kill()
    assert child.returncode == 130, err
    assert "Interrupted: restoring old versions" in err and "restored api to version 1" in err
    alias = alias_of(moto)
    assert alias["FunctionVersion"] == "1" and alias["RoutingConfig"]["AdditionalVersionWeights"] == {}
    ssm = moto.client("ssm")
    names = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
    assert names == ["/fnship/demo/dev/applied"]  # the lock was released (the deploy record stays)
    assert '"complete":false' in ssm.get_parameter(Name=names[0])["Parameter"]["Value"]  # vouching for nothing


def test_the_plan_names_the_versions_a_release_prunes_and_the_release_deletes_exactly_those(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    manifest = "service: demo\nprovider:\n  name: aws\n  environment:\n    BUILD: '{build}'\n"
    manifest += "deployment:\n  keepVersions: 2\nfunctions:\n  api:\n    handler: handler.hello\n"
    for build in (1, 2):
        project.write("serverless.yml", manifest.format(build=build))
        assert project.fn("deploy", "--yes").exit_code == 0
    project.write("serverless.yml", manifest.format(build=3))
    plan = project.fn("plan", "--json").json["plan"]
    release = next(step for step in plan["steps"] if step["type"] == "release.shift")
    # Versions 1 and 2 exist; 3 comes with this release and 2 is the rollback target: 1 goes.
    assert release["detail"]["aliases"]["alias.api.live"]["prune"] == ["1"]
    assert "prune versions: 1 (after the release)" in project.fn("plan").stdout
    assert project.fn("deploy", "--yes").exit_code == 0
    versions = moto.client("lambda").list_versions_by_function(FunctionName="demo-dev-api")["Versions"]
    assert sorted(v["Version"] for v in versions) == ["$LATEST", "2", "3"]
