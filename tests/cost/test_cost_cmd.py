"""`fn cost` through the real CLI against the moto server: metrics read with GetMetricData (put into the moto
server's AWS/Lambda namespace by the test, as Lambda would), prices from the built-in table (moto's pricing answers
500), and the README's JSON table."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cli.test_machine_output import readme_members
from tests.conftest import HELLO_HANDLER

SERVICE = """\
service: demo
provider:
  name: aws
  runtime: python3.12
functions:
  hello:
    handler: handler.hello
    memorySize: 1536
    architecture: arm64
  quiet:
    handler: handler.world
"""


@pytest.fixture
def service(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", SERVICE)
    assert project.fn("deploy", "--yes").exit_code == 0
    return project


def put_lambda_metrics(moto, function: str, *, invocations: float, duration_ms_total: float) -> None:
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    dimensions = [{"Name": "FunctionName", "Value": function}]
    moto.client("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {"MetricName": "Invocations", "Dimensions": dimensions, "Timestamp": now, "Value": invocations},
            {"MetricName": "Duration", "Dimensions": dimensions, "Timestamp": now, "Value": duration_ms_total},
        ],
    )


def test_cost_projects_the_periods_metrics_to_a_month(moto, service):
    # 30 days of traffic: 3 M invocations of 120 ms on 1,536 MB Arm (the pricing page's mobile backend example)
    put_lambda_metrics(moto, "demo-dev-hello", invocations=3e6 * 720 / 730, duration_ms_total=3e6 * 720 / 730 * 120)
    result = service.fn("cost", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json
    (hello,) = doc["functions"]
    assert hello["function"] == "hello" and hello["architecture"] == "arm64" and hello["memory_size"] == 1536
    assert hello["invocations"] == pytest.approx(3e6)
    assert hello["duration_ms"] == pytest.approx(120)
    assert hello["cost"]["duration"] == pytest.approx(7.20, abs=0.01)
    assert hello["cost"]["requests"] == pytest.approx(0.60, abs=0.001)
    assert doc["total"] == pytest.approx(7.80, abs=0.01)
    assert doc["free_tier"]["per_account"] is True and doc["free_tier"]["requests"] == 1_000_000
    assert doc["skipped"] == [{"function": "quiet", "name": "demo-dev-quiet", "reason": "no invocations in the last "
                                                                                       "30 days"}]  # fmt: skip
    assert doc["prices"][0]["source"] == "built-in"
    assert any("built-in us-east-1 table" in note for note in doc["notes"])

    text = service.fn("cost")
    assert text.exit_code == 0
    assert "hello" in text.stdout and "$7.80" in text.stdout and "Free tier (per account" in text.stdout


def test_cost_of_given_traffic_needs_no_metrics(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", SERVICE)
    result = project.fn("cost", "-f", "hello", "--invocations", "3000000", "--duration", "120ms", "--json",
                        "--init-duration", "500ms", "--cold-starts", "1%")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (hello,) = result.json["functions"]
    # INIT: 1% of 3 M cold starts x 0.5 s x 1.5 GB x $0.0000133334
    assert hello["cost"]["init"] == pytest.approx(30_000 * 0.5 * 1.5 * 0.0000133334, rel=1e-4)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--invocations", "100"], "--invocations needs --duration"),
        (["--invocations", "100", "--duration", "fast"], "is not a duration"),
        (["--cold-starts", "150%"], "is not a share"),
        (["--days", "0"], "--days 0 must be at least 1"),
    ],
)
def test_bad_cost_options_exit_2(moto, service, args, message):
    result = service.fn("cost", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_cost_json_carries_what_the_readme_documents(moto, service):
    put_lambda_metrics(moto, "demo-dev-hello", invocations=10, duration_ms_total=1000)
    document = service.fn("cost", "--json").json
    top, items = readme_members("cost")
    assert top and top <= set(document), top - set(document)
    for name, members in items.items():
        for item in document[name]:
            assert members <= set(item), (name, members - set(item))


PC_SERVICE = SERVICE.replace("    architecture: arm64\n", "    architecture: arm64\n    provisionedConcurrency: 5\n")


@pytest.fixture
def pc_double(moto, monkeypatch):
    """Lambda's provisioned concurrency API (which moto lacks) answered by a double of it in front of moto."""
    from tests.cost.provisioned_double import ProvisionedConcurrencyDouble

    served = ProvisionedConcurrencyDouble(moto.endpoint).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", served.endpoint)
    yield served
    served.stop()


def put_alias_metrics(moto, function: str, alias: str, metrics: dict[str, float]) -> None:
    """Provisioned concurrency's metrics, which Lambda emits per alias (dimensions FunctionName and Resource)."""
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    dimensions = [{"Name": "FunctionName", "Value": function}, {"Name": "Resource", "Value": f"{function}:{alias}"}]
    moto.client("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[{"MetricName": name, "Dimensions": dimensions, "Timestamp": now, "Value": value}
                    for name, value in metrics.items()],
    )  # fmt: skip


def test_provisioned_concurrency_is_what_lambda_has_configured_and_its_metrics_say_was_used(pc_double, moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", PC_SERVICE)
    deployed = project.fn("deploy", "--yes")
    assert deployed.exit_code == 0, deployed.stderr
    assert pc_double.configs == {("demo-dev-hello", "live"): 5}
    # Scaled down to 2 since (by Application Auto Scaling, or by hand): Lambda bills the 2, not the manifest's 5.
    pc_double.configs[("demo-dev-hello", "live")] = 2
    period = 720 / 730  # 30 days of a 730-hour month
    put_lambda_metrics(moto, "demo-dev-hello", invocations=3e6 * period, duration_ms_total=3e6 * period * 120)
    put_alias_metrics(moto, "demo-dev-hello", "live", {
        "ProvisionedConcurrencyInvocations": 1e6 * period,
        "ProvisionedConcurrencySpilloverInvocations": 2e6 * period,
        "ProvisionedConcurrentExecutions": 2,
        "ProvisionedConcurrencyUtilization": 0.4,
    })  # fmt: skip
    result = project.fn("cost", "-f", "hello", "--json")
    assert result.exit_code == 0, result.stderr
    assert pc_double.lists >= 1
    (hello,) = result.json["functions"]
    assert hello["provisioned_concurrency"] == 2
    assert hello["provisioned_used"] == {
        "invocations": pytest.approx(1e6), "spillover_invocations": pytest.approx(2e6),
        "peak_concurrent_executions": 2, "utilization": 0.4}  # fmt: skip
    cost = hello["cost"]
    gb = 1.5
    # Arm, us-east-1 (https://aws.amazon.com/lambda/pricing/): provisioned concurrency $0.0000033334 per GB-s for
    # the month it is configured, the duration it serves $0.0000077778 per GB-s, the spill-over on demand at
    # $0.0000133334 per GB-s, and every request $0.20 per million.
    assert cost["provisioned_concurrency"] == pytest.approx(2 * gb * 730 * 3600 * 0.0000033334, rel=1e-6)
    assert cost["provisioned_duration"] == pytest.approx(1e6 * 0.12 * gb * 0.0000077778, rel=1e-6)
    assert cost["duration"] == pytest.approx(2e6 * 0.12 * gb * 0.0000133334, rel=1e-6)
    assert cost["requests"] == pytest.approx(3e6 * 0.0000002, rel=1e-6)
    text = project.fn("cost", "-f", "hello")
    assert text.exit_code == 0 and "provisioned 2" in text.stdout and "40% used" in text.stdout, text.stdout


def test_provisioned_concurrency_not_readable_falls_back_to_the_manifest_and_says_so(moto, project):
    # moto answers 404 to ListProvisionedConcurrencyConfigs, as AWS answers a role without the permission 403.
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", SERVICE.replace("    architecture: arm64\n", "    architecture: arm64\n"))
    assert project.fn("deploy", "--yes").exit_code == 0
    put_lambda_metrics(moto, "demo-dev-hello", invocations=10, duration_ms_total=1000)
    result = project.fn("cost", "-f", "hello", "--json")
    assert result.exit_code == 0, result.stderr
    assert any("provisioned concurrency could not be read from Lambda" in note for note in result.json["notes"])
    assert result.json["functions"][0]["provisioned_concurrency"] == 0
