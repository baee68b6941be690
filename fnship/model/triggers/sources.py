"""What the event source mapping triggers (fnship/triggers: sqs, stream, kafka, mq) share: event source mappings
on the alias. Pure.

Lambda's poller reads the source with the function's role (see model/iam.py), so these need no permission
on the alias. A mapping is identified by (alias ARN, source): Lambda allows one per pair (a Kafka topic or broker queue
is part of the source).
"""

from __future__ import annotations

from fnship.kinds.event_source_mapping import MappingSpec
from fnship.manifest.intrinsics import StackValue
from fnship.model.address import Address
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, slug, trigger_address


def source_name(arn: str) -> str:
    """The trigger's name from its source ARN: the queue, the table (DynamoDB) or the stream (Kinesis); for an ARN
    the companion stack decides (`!GetAtt Queue.Arn`), the logical id it names."""
    if isinstance(arn, StackValue):
        return slug(arn.label)
    resource = arn.split(":", 5)[5]  # `orders`, `table/todos/stream/<label>` or `stream/clicks`
    if resource.startswith(("table/", "stream/")):
        return slug(resource.split("/")[1])
    return slug(resource)


def mapping(target: Target, event_type: str, name: str, spec: MappingSpec) -> Resource:
    return Resource.of(
        trigger_address(target, event_type, name),
        spec.identity(),
        spec,
        depends_on=(target.alias_address, Address.function(target.function_key)),
        scope=target.scope(event_type, name),
    )
