"""`fn tune` end to end through the real CLI: the Lambda invoke double answers with REPORT lines whose durations
depend on the version's memory (see lambda_double.py), the moto server does the rest (versions, $LATEST, SSM)."""

from __future__ import annotations

import json
import math

import pytest

from fnship import lock, tune
from tests.cli.test_machine_output import readme_members
from tests.tune.lambda_double import INIT_MS, duration_ms

FUNCTION = "demo-dev-hello"
SIZES = "128,256,512,1024,2048"


def versions(moto) -> list[dict]:
    listed = moto.client("lambda").list_versions_by_function(FunctionName=FUNCTION)["Versions"]
    return [v for v in listed if v["Version"] != "$LATEST"]


def latest(moto) -> dict:
    return moto.client("lambda").get_function_configuration(FunctionName=FUNCTION)


def ssm_names(moto) -> list[str]:
    """fnship's parameters but the deploy record (which the deploy made; a tune, holding the deploy lock, marks
    it incomplete, so the next plan reads everything)."""
    names = [p["Name"] for p in moto.client("ssm").describe_parameters()["Parameters"]]
    return [name for name in names if name != "/fnship/demo/dev/applied"]


def assert_left_as_found(moto, project, before_versions, before_latest):
    """Nothing left behind: the same versions, $LATEST as it was, no journal, no lock, and an unchanged plan."""
    assert [v["Version"] for v in versions(moto)] == [v["Version"] for v in before_versions]
    after = latest(moto)
    for key in ("MemorySize", "Architectures", "CodeSha256", "Description"):
        assert after.get(key) == before_latest.get(key), key
    assert ssm_names(moto) == []
    plan = project.fn("plan", "--json")
    assert plan.exit_code == 0 and plan.json["has_changes"] is False, plan.stdout


def test_cost_strategy_picks_the_cheapest_size_and_leaves_everything_as_found(double, deployed, moto, tmp_path_factory):
    before_versions, before_latest = versions(moto), latest(moto)
    alias_before = moto.client("lambda").get_alias(FunctionName=FUNCTION, Name="live")
    report = tmp_path_factory.mktemp("report") / "tune.html"  # outside the project: it would be packaged
    result = deployed.fn("tune", "--memory", SIZES, "--invocations", "5", "--json", "--report", str(report))
    assert result.exit_code == 0, result.stderr
    doc = result.json
    by_size = {r["memory_size"]: r for r in doc["results"]}
    assert sorted(by_size) == [128, 256, 512, 1024, 2048]
    for size, row in by_size.items():
        # The third invocation is a x10 outlier and the first a cold start: trimmed away as Power Tuning does.
        assert row["average_ms"] == pytest.approx(math.ceil(duration_ms(size, "x86_64")))
        assert row["cold_start_share"] == pytest.approx(0.2)
        assert row["init_ms"] == [INIT_MS]
        assert row["p90_ms"] == pytest.approx(duration_ms(size, "x86_64") * 10, rel=1e-3)
        assert row["errors"] == 0 and row["invocations"] == 5
    assert doc["best"]["memory_size"] == 256 and doc["strategy"] == "cost"
    assert doc["already_best"] is False and doc["manifest"] == {"memory_size": 1024, "architecture": "x86_64"}
    assert 0 < doc["tuning_cost"] < doc["estimated_tuning_cost"]  # measured, and the timeout-bound shown before
    assert by_size[256]["cost_per_million"] < by_size[128]["cost_per_million"]
    # 25 invocations, 5 per published version, none on the alias or $LATEST
    qualifiers = {q for _f, q in double.invocations}
    assert len(double.invocations) == 25 and len(qualifiers) == 5 and not qualifiers & {"live", "$LATEST"}
    assert (
        moto.client("lambda").get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"]
        == (alias_before["FunctionVersion"])
    )
    assert_left_as_found(moto, deployed, before_versions, before_latest)
    page = report.read_text()
    assert "<svg" in page and "<polyline" in page and "256 MB ★" in page
    assert "<script" not in page and "src=" not in page and "<link" not in page  # self-contained
    assert "meaningful on AWS only" in page


@pytest.mark.parametrize(("args", "best"), [(["--strategy", "speed"], 2048),
                                            (["--strategy", "balanced", "--weight", "0.3"], 1024)])  # fmt: skip
def test_speed_and_balanced_strategies(double, deployed, args, best):
    result = deployed.fn("tune", "--memory", SIZES, "--invocations", "5", "--parallel", "--json", *args)
    assert result.exit_code == 0, result.stderr
    assert result.json["best"]["memory_size"] == best
    assert result.json["parallel"] is True


def test_text_output_says_which_memory_size_to_write(double, deployed):
    result = deployed.fn("tune", "--memory", "256,1024", "--invocations", "3", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "Best for cost: 256 MB (x86_64), marked *." in result.stdout
    assert "Write memorySize: 256 under functions.hello." in result.stdout
    assert "2 configuration(s) x 3 invocation(s) = 6 invocations, costing at most $" in result.stderr
    again = deployed.fn("tune", "--memory", "1024", "--invocations", "1", "--strategy", "speed")
    assert again.exit_code == 0  # exit 0 whether or not the manifest already has it
    assert "The manifest already has memorySize: 1024." in again.stdout


def test_architectures_are_measured_on_the_same_code_and_restored(double, deployed, moto):
    before_versions, before_latest = versions(moto), latest(moto)
    result = deployed.fn("tune", "--memory", "512,1024", "--architecture", "x86_64,arm64", "--invocations", "5",
                         "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = {(r["architecture"], r["memory_size"]): r for r in result.json["results"]}
    assert rows[("arm64", 512)]["average_ms"] == pytest.approx(math.ceil(duration_ms(512, "arm64")))
    assert result.json["best"] == {**result.json["best"], "architecture": "arm64", "memory_size": 512}
    # moto keeps Architectures x86_64 whatever it is told: the double saw $LATEST moved to arm64 and back.
    assert double.code_updates == [(FUNCTION, "arm64"), (FUNCTION, "x86_64")]
    assert_left_as_found(moto, deployed, before_versions, before_latest)


def test_every_invocation_failing_exits_1_shows_the_failure_once_and_leaves_nothing(double, deployed, moto):
    before_versions, before_latest = versions(moto), latest(moto)
    result = deployed.fn("tune", "--memory", "256,512", "--invocations", "3", "--data", '{"fail": true}')
    assert result.exit_code == 1
    assert result.stderr.count("ValueError: boom") == 1
    assert "every invocation of hello failed" in result.stderr
    assert_left_as_found(moto, deployed, before_versions, before_latest)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--memory", "100"], "'100'"),
        (["--memory", "256,512.5"], "'512.5'"),
        (["--memory", "20000"], "'20000'"),
        (["--invocations", "0"], "--invocations 0"),
        (["--architecture", "sparc"], "'sparc'"),
        (["--strategy", "cheap"], "'cheap'"),
        (["--weight", "2"], "--weight 2.0"),
        (["--memory", "128,256,512", "--invocations", "1000"], "above fnship's bound"),
    ],
)
def test_bad_input_exits_2_naming_the_value_and_publishes_nothing(double, deployed, moto, args, named):
    before = versions(moto)
    result = deployed.fn("tune", *args)
    assert result.exit_code == 2, result.stderr
    assert named in result.stderr and "Traceback" not in result.stderr
    assert versions(moto) == before and double.invocations == []


def test_a_function_not_deployed_exits_1_and_leaves_nothing(double, project, moto):
    from tests.conftest import HELLO_HANDLER
    from tests.tune.conftest import SERVICE

    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", SERVICE)
    result = project.fn("tune", "--invocations", "2")
    assert result.exit_code == 1
    assert "is not deployed" in result.stderr
    assert ssm_names(moto) == []


def simulate_a_killed_tune(moto) -> None:
    """What `fn tune` leaves when killed while publishing: its journal, $LATEST at another size, a version of
    its own, and its lock (expired, as a dead holder's lease would be)."""
    client = moto.client("lambda")
    original = latest(moto)
    name = tune.journal_name("demo", "dev")
    journal = {"run": "dead", "function": FUNCTION, "memory": original["MemorySize"], "architecture": "x86_64"}
    moto.client("ssm").put_parameter(Name=name, Value=json.dumps(journal), Type="String")
    client.update_function_configuration(FunctionName=FUNCTION, MemorySize=3008)
    client.publish_version(FunctionName=FUNCTION, Description=f"{tune.VERSION_PREFIX} dead x86_64 3008 MB")
    stale = lock.LockInfo("dead", "someone", "fn tune", 1.0, 2.0)
    moto.client("ssm").put_parameter(Name=lock.lock_name("demo", "dev"), Value=stale.to_json(), Type="String")


def test_the_next_deploy_cleans_up_a_killed_tune_and_plans_nothing(double, deployed, moto):
    before_versions, before_latest = versions(moto), latest(moto)
    simulate_a_killed_tune(moto)
    result = deployed.fn("deploy", "--yes", "--wait-lock", "5")
    assert result.exit_code == 0, result.stderr
    assert "restored demo-dev-hello $LATEST to 1024 MB" in result.stderr
    assert "No changes" in result.stdout  # the plan is the one the manifest alone makes
    assert_left_as_found(moto, deployed, before_versions, before_latest)


def test_the_next_tune_cleans_up_a_killed_tune(double, deployed, moto):
    before_versions, before_latest = versions(moto), latest(moto)
    simulate_a_killed_tune(moto)
    result = deployed.fn("tune", "--memory", "512", "--invocations", "1", "--json")
    assert result.exit_code == 0, result.stderr
    assert any("left by an interrupted fn tune" in line for line in result.json["cleaned"])
    assert_left_as_found(moto, deployed, before_versions, before_latest)


def test_tune_json_carries_what_the_readme_documents(double, deployed):
    document = deployed.fn("tune", "--memory", "256", "--invocations", "1", "--json").json
    top, items = readme_members("tune")
    assert top and top <= set(document), top - set(document)
    for name, members in items.items():
        for item in document[name]:
            assert members <= set(item), (name, members - set(item))
