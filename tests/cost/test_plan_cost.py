"""`fn plan` says what a change costs: the monthly cost before and after for each function whose memory,
architecture, ephemeral storage or provisioned concurrency changes, at the last 30 days' traffic (metrics put into
the moto server's AWS/Lambda namespace by the test), and a total line; `--no-cost` reads no metrics."""

from __future__ import annotations

import pytest

from fnship.cost import calc
from fnship.cost.prices import built_in
from tests.conftest import HELLO_HANDLER
from tests.cost.test_cost_cmd import put_lambda_metrics

SERVICE = """\
service: demo
provider:
  name: aws
  runtime: python3.12
functions:
  hello:
    handler: handler.hello
    memorySize: {memory}
    ephemeralStorageSize: {storage}
  other:
    handler: handler.world
    memorySize: {memory}
"""


@pytest.fixture
def service(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", SERVICE.format(memory=1024, storage=512))
    assert project.fn("deploy", "--yes").exit_code == 0
    return project


def monthly(memory: int, storage: int, *, invocations: float, duration_ms: float) -> float:
    u = calc.Usage("hello", "demo-dev-hello", "us-east-1", "x86_64", memory, invocations, duration_ms,
                   ephemeral_mb=storage)  # fmt: skip
    prices = built_in("x86_64", reason="test")
    return calc.estimate([u], lambda r, a: prices, free_tier=False).functions[0].total


def test_plan_prices_a_memory_and_storage_change_at_the_last_30_days_traffic(moto, service):
    # 30 days of 2 M invocations of 150 ms: a month is 730 h, so 2 M x 730/720
    put_lambda_metrics(moto, "demo-dev-hello", invocations=2e6, duration_ms_total=2e6 * 150)
    service.write("serverless.yml", SERVICE.format(memory=2048, storage=4096))
    moto.start_recording()
    result = service.fn("plan", "--json")
    assert [r for r in moto.stop_recording() if "GetMetricData" in str(r)]  # the read the other tests rule out
    assert result.exit_code == 0, result.stderr
    cost = result.json["cost"]
    by_function = {f["function"]: f for f in cost["functions"]}
    hello = by_function["hello"]
    invocations = 2e6 * 730 / 720
    assert hello["fields"] == ["ephemeral_storage", "memory_size"]
    assert hello["before"] == pytest.approx(monthly(1024, 512, invocations=invocations, duration_ms=150), rel=1e-6)
    assert hello["after"] == pytest.approx(monthly(2048, 4096, invocations=invocations, duration_ms=150), rel=1e-6)
    assert hello["delta"] == pytest.approx(hello["after"] - hello["before"], abs=1e-5)
    # `other` changes memory too but had no traffic: the plan says it cannot know
    assert by_function["other"]["before"] is None
    assert "cannot know without metrics: no invocations in the last 30 days" in by_function["other"]["reason"]
    assert cost["total"]["before"] == pytest.approx(hello["before"], abs=1e-5)

    text = service.fn("plan")
    assert text.exit_code == 0
    assert f"~ function.hello  ${hello['before']:,.2f} -> ${hello['after']:,.2f}" in text.stdout
    assert "~ function.other  cannot know without metrics" in text.stdout
    assert "Monthly cost: $" in text.stdout


def test_no_cost_reads_no_metrics(moto, service):
    service.write("serverless.yml", SERVICE.format(memory=2048, storage=512))
    moto.start_recording()
    result = service.fn("plan", "--json", "--no-cost")
    recorded = moto.stop_recording()
    assert result.exit_code == 0 and result.json["cost"] is None
    assert not [r for r in recorded if "GetMetricData" in str(r.get("body", "")) or "GetMetricData" in str(r)]


def test_a_plan_without_billing_changes_reads_no_metrics(moto, service):
    moto.start_recording()
    result = service.fn("plan", "--json")
    recorded = moto.stop_recording()
    assert result.json["cost"] is None
    assert not [r for r in recorded if "GetMetricData" in str(r)]
