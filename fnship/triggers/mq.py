"""`activemq` and `rabbitmq` events: an event source mapping from a queue of an Amazon MQ broker into the alias,
read by Lambda's poller with the function's role (the broker's credentials in Secrets Manager, the broker, its
VPC's network interfaces). Parse, render, grants and sample events in one place. Pure.

https://www.serverless.com/framework/docs/providers/aws/events/activemq
https://www.serverless.com/framework/docs/providers/aws/events/rabbitmq
https://docs.aws.amazon.com/lambda/latest/dg/with-mq.html
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from fnship.jsonvalue import JsonObject
from fnship.kinds.event_source_mapping import VIRTUAL_HOST, BrokerMapping
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import (
    BATCHING_WINDOW_S,
    EventContext,
    batch_limit,
    filter_patterns,
    flag,
    text_of,
    want_arn,
    want_bounded,
)
from fnship.manifest.types import EventSettings, EventSpec, KeyPath, Value
from fnship.model import iam
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target, slug
from fnship.model.triggers.sources import mapping
from fnship.triggers.base import TriggerType
from fnship.triggers.kafka import NETWORK_ACTIONS, SECRET_READ

ACTIVEMQ_KEYS = frozenset(
    {"arn", "basicAuthArn", "batchSize", "maximumBatchingWindow", "enabled", "queue", "filterPatterns"}
)
RABBITMQ_KEYS = ACTIVEMQ_KEYS | {"virtualHost"}
# Serverless v3's pattern: arn:aws:mq:<region>:<account>:broker:<name>:b-<id>
BROKER = re.compile(r"^arn:[a-z-]+:mq:[a-z0-9-]+:\d+:broker:[A-Za-z0-9/_+=.@-]+:b-[a-z0-9-]+$")
MQ_BATCH = (1, 10000)
DEFAULT_BATCH = 100
DEFAULT_VIRTUAL_HOST = "/"  # RabbitMQ's and Lambda's default
BROKER_ACTIONS = (
    "mq:DescribeBroker",
)  # https://docs.aws.amazon.com/lambda/latest/dg/with-mq.html#events-mq-permissions


@dataclass(frozen=True)
class BrokerEvent(EventSettings):
    """A mapping from one queue of an Amazon MQ broker, with Lambda's defaults filled in."""

    broker_arn: str
    queue: str
    basic_auth_arn: str
    virtual_host: str | None  # RabbitMQ only ("/" unless given)
    batch_size: int
    maximum_batching_window: int
    enabled: bool
    filter_patterns: tuple[str, ...]


def _parse(value: object, path: KeyPath, check: Checker, *, rabbit: bool) -> list[BrokerEvent]:
    raw = check.want_mapping(value, path, what="a mapping (arn, queue, basicAuthArn, ...)")
    if raw is None:
        return []
    check.keys(raw, path, RABBITMQ_KEYS if rabbit else ACTIVEMQ_KEYS)
    for key, what in (("arn", "the broker's ARN"), ("queue", "the queue to read"), ("basicAuthArn", "a secret")):
        if raw.get(key) is None:
            check.error(path, f"{key} ({what}) is required", at_key=True)
    broker = None
    if raw.get("arn") is not None:
        broker = want_arn(raw["arn"], (*path, "arn"), check, services=("mq",), what="Amazon MQ broker")
        if broker and not BROKER.match(broker):
            check.error((*path, "arn"), f"{show(broker)} is not a broker ARN (…:broker:NAME:b-ID)")
            broker = None
    secret = None
    if raw.get("basicAuthArn") is not None:
        secret = want_arn(
            raw["basicAuthArn"], (*path, "basicAuthArn"), check, services=("secretsmanager",),
            what="AWS Secrets Manager secret",
        )  # fmt: skip
    queue = text_of(raw, "queue", path, check)
    batch = batch_limit(raw.get("batchSize"), (*path, "batchSize"), check, MQ_BATCH, source="Amazon MQ",
                        default=DEFAULT_BATCH)  # fmt: skip
    window = 0
    if raw.get("maximumBatchingWindow") is not None:
        where = (*path, "maximumBatchingWindow")
        window = want_bounded(raw["maximumBatchingWindow"], where, check, BATCHING_WINDOW_S) or 0
    host = (text_of(raw, "virtualHost", path, check) or DEFAULT_VIRTUAL_HOST) if rabbit else None
    if broker is None or secret is None or not queue:
        return []
    return [
        BrokerEvent(
            broker_arn=broker,
            queue=queue,
            basic_auth_arn=secret,
            virtual_host=host,
            batch_size=batch,
            maximum_batching_window=window,
            enabled=flag(raw, "enabled", path, check, True),
            filter_patterns=filter_patterns(raw, path, check),
        )
    ]


def parse_activemq(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[BrokerEvent]:
    return _parse(value, path, ctx.check, rabbit=False)


def parse_rabbitmq(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[BrokerEvent]:
    return _parse(value, path, ctx.check, rabbit=True)


def check_service(events: list[tuple[str, EventSpec]], check: Checker, _provider: Mapping[str, Value]) -> None:
    """Lambda allows one mapping per queue of a broker and function."""
    seen: dict[tuple[str, str, str], int] = {}
    for key, event in events:
        settings = event.settings_as(BrokerEvent)
        found = (key, settings.broker_arn, settings.queue)
        if found in seen:
            check.error(
                ("functions", key, "events", event.index, event.type),
                f"queue {settings.queue} of this broker is already mapped to this function by event {seen[found]}",
                "Lambda allows one event source mapping per queue, broker and function",
            )
        seen.setdefault(found, event.index)


def name(event: EventSpec) -> str:
    return slug(event.settings_as(BrokerEvent).queue)


def grants(event: EventSpec) -> list[iam.Grant]:
    """The poller reads the broker's credentials, describes the broker, and reaches it in its VPC."""
    s = event.settings_as(BrokerEvent)
    return [(SECRET_READ, s.basic_auth_arn), (BROKER_ACTIONS, s.broker_arn), (NETWORK_ACTIONS, iam.ANY_RESOURCE)]


def render(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(BrokerEvent)
    access = [("BASIC_AUTH", s.basic_auth_arn)]
    if s.virtual_host is not None:
        # Always written for RabbitMQ (its default too): it tells a RabbitMQ mapping from an ActiveMQ one.
        access.append((VIRTUAL_HOST, s.virtual_host))
    spec = BrokerMapping(
        source_arn=s.broker_arn,
        function_arn=target.alias_arn,
        batch_size=s.batch_size,
        maximum_batching_window=s.maximum_batching_window,
        function_response_types=(),
        enabled=s.enabled,
        filter_patterns=tuple(sorted(s.filter_patterns)),
        queue=s.queue,
        access=tuple(sorted(access)),
    )
    return [mapping(target, event.type, name, spec)]


def _broker(where: Where) -> str:
    return f"arn:aws:mq:{where.region}:{where.account_id}:broker:example-broker:b-{stable_id('broker')}"


def activemq(where: Where) -> JsonObject:
    """https://docs.aws.amazon.com/lambda/latest/dg/with-mq.html"""
    data = base64.b64encode(b"ABC:AAAA").decode()
    return {
        "eventSource": "aws:mq",
        "eventSourceArn": _broker(where),
        "messages": [
            {
                "messageID": "ID:b-example-1.mq.us-east-1.amazonaws.com-37557-1234520418293-4:1:1:1:1",
                "messageType": "jms/text-message",
                "deliveryMode": 1,
                "timestamp": where.now_ms,
                "brokerInTime": where.now_ms,
                "brokerOutTime": where.now_ms + 1,
                "destination": {"physicalName": "orders"},
                "data": data,
                "properties": {"index": "1"},
                "redelivered": False,
            }
        ],
    }


def rabbitmq(where: Where) -> JsonObject:
    """https://docs.aws.amazon.com/lambda/latest/dg/with-mq.html"""
    body = base64.b64encode(json.dumps({"orderId": "1001"}).encode()).decode()
    return {
        "eventSource": "aws:rmq",
        "eventSourceArn": _broker(where),
        "rmqMessagesByQueue": {
            "orders::/": [
                {
                    "basicProperties": {
                        "contentType": "application/json",
                        "deliveryMode": 1,
                        "priority": 1,
                        "headers": {},
                        "timestamp": None,
                        "messageId": stable_id("rabbitmq-message"),
                    },
                    "redelivered": False,
                    "data": body,
                }
            ]
        },
    }


ACTIVEMQ = TriggerType(
    parse=parse_activemq,
    name=name,
    render=render,
    grants=grants,
    samples={"activemq": activemq},
    kinds=("event_source_mapping",),
    check_service=check_service,
)
RABBITMQ = TriggerType(
    parse=parse_rabbitmq,
    name=name,
    render=render,
    grants=grants,
    samples={"rabbitmq": rabbitmq},
    kinds=("event_source_mapping",),
    check_service=check_service,
)
