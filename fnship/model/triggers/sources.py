"""`sqs` and `stream` (DynamoDB, Kinesis) events: event source mappings on the alias. Pure.

Lambda's poller reads the source with the function's role (see model/iam.py), so these need no permission
on the alias. A mapping is identified by (alias ARN, source ARN): Lambda allows one per pair.
"""

from __future__ import annotations

from fnship.kinds.event_source_mapping import MappingSpec, QueueMapping, StreamMapping
from fnship.manifest.types import EventSpec
from fnship.model import iam
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, slug, trigger_address


def source_name(arn: str) -> str:
    """The trigger's name from its source ARN: the queue, the table (DynamoDB) or the stream (Kinesis)."""
    resource = arn.split(":", 5)[5]  # `orders`, `table/todos/stream/<label>` or `stream/clicks`
    if resource.startswith(("table/", "stream/")):
        return slug(resource.split("/")[1])
    return slug(resource)


def sqs_name(event: EventSpec) -> str:
    return source_name(event.settings.arn)


def stream_name(event: EventSpec) -> str:
    return source_name(event.settings.arn)


def sqs_grants(event: EventSpec) -> list[iam.Grant]:
    """Lambda's poller reads the queue with the function's role."""
    return [(iam.SQS_POLL_ACTIONS, event.settings.arn)]


def stream_grants(event: EventSpec) -> list[iam.Grant]:
    """Lambda's poller reads the stream with the function's role, and sends failed batches to `onFailure`."""
    s = event.settings
    actions = iam.KINESIS_STREAM_ACTIONS if s.source == "kinesis" else iam.DYNAMODB_STREAM_ACTIONS
    grants: list[iam.Grant] = [(actions, s.arn)]
    if s.on_failure:
        grants.append(iam.send_grant(s.on_failure))
    return grants


def _mapping(target: Target, event_type: str, name: str, spec: MappingSpec) -> Resource:
    return Resource.of(
        trigger_address(target, event_type, name),
        spec.source_arn,
        spec,
        depends_on=(target.alias_address, Address.function(target.function_key)),
        scope=target.scope(event_type, name),
    )


def render_sqs(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings
    spec = QueueMapping(
        source_arn=s.arn,
        function_arn=target.alias_arn,
        batch_size=s.batch_size,
        maximum_batching_window=s.maximum_batching_window,
        function_response_types=tuple(s.function_response_types),
        maximum_concurrency=s.maximum_concurrency,
        enabled=s.enabled,
        filter_patterns=tuple(sorted(s.filter_patterns)),
    )
    return [_mapping(target, "sqs", name, spec)]


def render_stream(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings
    spec = StreamMapping(
        source_arn=s.arn,
        function_arn=target.alias_arn,
        batch_size=s.batch_size,
        maximum_batching_window=s.maximum_batching_window,
        function_response_types=tuple(s.function_response_types),
        enabled=s.enabled,
        filter_patterns=tuple(sorted(s.filter_patterns)),
        starting_position=s.starting_position,
        starting_position_timestamp=s.starting_position_timestamp,
        bisect_batch_on_function_error=s.bisect_batch_on_function_error,
        maximum_retry_attempts=s.maximum_retry_attempts,
        maximum_record_age=s.maximum_record_age,
        parallelization_factor=s.parallelization_factor,
        tumbling_window=s.tumbling_window,
        on_failure=s.on_failure,
    )
    return [_mapping(target, "stream", name, spec)]
