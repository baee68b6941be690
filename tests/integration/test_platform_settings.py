"""Issue 13's platform settings against the moto server: provisioned pollers and metrics on event source
mappings, EventBridge Scheduler schedules, durable functions. Each is read back with boto3, changed in place with
a field-level plan, redeployed unchanged with no mutating call, and removed by `fn remove`."""

from __future__ import annotations

from tests.conftest import ACCOUNT, HELLO_HANDLER, REGION
from tests.integration.test_triggers import deploy, mappings, prepare_sources

ALIAS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:svc-dev-api:live"

POLLERS = """\
service: svc
provider:
  name: aws
functions:
  api:
    handler: handler.hello
    events:
      - sqs:
          arn: {queue}
          {pollers}
          metricsConfig: [EventCount]
      - stream:
          arn: {stream}
          {stream_metrics}
"""


def test_provisioned_pollers_and_metrics_reach_the_mapping_and_change_in_place(moto, project):
    sources = prepare_sources(moto)
    text = POLLERS.format(
        **sources, pollers="provisionedPollers: {min: 5, max: 100}", stream_metrics="metricsConfig: [EventCount]"
    )
    deploy(project, text)
    queue, stream = mappings(moto)[sources["queue"]], mappings(moto)[sources["stream"]]
    assert queue["ProvisionedPollerConfig"] == {"MinimumPollers": 5, "MaximumPollers": 100}
    assert queue["MetricsConfig"] == {"Metrics": ["EventCount"]}
    assert stream["MetricsConfig"] == {"Metrics": ["EventCount"]}
    assert moto.mutating_calls_during(lambda: deploy(project, text)) == []

    changed = POLLERS.format(**sources, pollers="provisionedPollers: {max: 50}", stream_metrics="")
    project.write("serverless.yml", changed)
    plan = project.fn("plan", "--no-color")
    assert plan.exit_code == 0, plan.stderr
    assert 'provisioned_pollers: {"maximum": 100, "minimum": 5} -> {"maximum": 50, "minimum": 2}' in plan.stdout
    assert 'metrics: ["EventCount"] -> []' in plan.stdout
    assert "Plan: 0 to add, 2 to change, 0 to destroy." in plan.stdout
    deploy(project, changed)
    queue, stream = mappings(moto)[sources["queue"]], mappings(moto)[sources["stream"]]
    assert queue["ProvisionedPollerConfig"] == {"MinimumPollers": 2, "MaximumPollers": 50}
    assert not (stream.get("MetricsConfig") or {}).get("Metrics")
    assert "No changes" in project.fn("plan").stdout

    assert project.fn("remove", "--yes").exit_code == 0
    assert mappings(moto) == {}
