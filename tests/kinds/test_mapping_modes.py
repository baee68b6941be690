"""An event source mapping's provisioned mode and metrics on update, recorded against a double of fnship's own
adapter (moto stores what it is sent, so it cannot show what is sent when): a setting taken away is sent empty, and
only then; a mapping that never had it is not asked to change it.
https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html"""

from __future__ import annotations

from dataclasses import replace

from fnship.kinds.event_source_mapping import Pollers, QueueMapping, event_source_mapping_update
from fnship.model.resources import FunctionScope, Resource
from fnship.plan.diff import Step
from tests.kinds.test_trigger_handlers import Recorder, context_for

ALIAS = "arn:aws:lambda:us-east-1:123456789012:function:svc-dev-api:live"
SCOPE = FunctionScope("api", "svc-dev-api", "live", ALIAS, "sqs", "orders")
QUEUE = QueueMapping(
    source_arn="arn:aws:sqs:us-east-1:123456789012:orders",
    function_arn=ALIAS,
    batch_size=10,
    maximum_batching_window=0,
    function_response_types=(),
    enabled=True,
    filter_patterns=(),
    maximum_concurrency=None,
)


def update(desired: QueueMapping, live: QueueMapping) -> dict:
    lam = Recorder()
    want = Resource.of("trigger.api.sqs.orders", QUEUE.source_arn, desired, scope=SCOPE)
    have = Resource.of(want.address, want.name, replace(live, uuid="u-1"), scope=SCOPE)
    event_source_mapping_update(context_for(want, have, lambda_=lam), Step("event_source_mapping.update", want.address))
    ((name, (uuid, request), _),) = lam.calls
    assert (name, uuid) == ("update_event_source_mapping", "u-1")
    return request


def test_pollers_and_metrics_are_sent_when_set_and_emptied_only_when_taken_away():
    provisioned = replace(QUEUE, provisioned_pollers=Pollers(2, 50), metrics=("EventCount",))
    assert update(provisioned, QUEUE)["ProvisionedPollerConfig"] == {"MinimumPollers": 2, "MaximumPollers": 50}
    assert update(provisioned, QUEUE)["MetricsConfig"] == {"Metrics": ["EventCount"]}
    taken_away = update(QUEUE, provisioned)
    assert (taken_away["ProvisionedPollerConfig"], taken_away["MetricsConfig"]) == ({}, {"Metrics": []})
    never = update(replace(QUEUE, batch_size=5), QUEUE)
    assert "ProvisionedPollerConfig" not in never and "MetricsConfig" not in never
