"""Triggers as desired resources: one renderer per event type, in explicit tables. Pure: no AWS, no filesystem.

Each event of a function renders to resources addressed `trigger.<function>.<type>.<name>`, plus
`permission.<function>.<type>.<name>` for the push sources (a statement on the alias's resource policy, with
SourceArn and SourceAccount). What several functions share has its own address: the HTTP API (`http_api`,
its authorizers `http_api.authorizer.<name>`), the REST API (`rest_api`, its stage `rest_api.stage.<stage>`),
owned SNS topics (`topic.<name>`) and owned S3 buckets (`bucket.<name>`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fnship.manifest.types import EventSpec, HttpApiSpec
from fnship.model.iam import Grant
from fnship.model.resources import Resource
from fnship.model.triggers import api, buckets, rules, sources, topics, urls
from fnship.model.triggers.common import Target

Renderer = Callable[[Target, EventSpec, str], list[Resource]]


def no_grants(_event: EventSpec) -> list[Grant]:
    """A push source invokes the alias through a permission on it: the function's role needs nothing."""
    return []


@dataclass(frozen=True)
class TriggerType:
    name: Callable[[EventSpec], str]  # the trigger's base name, unique per function and type
    render: Renderer  # its resources: the trigger, its permission on the alias
    grants: Callable[[EventSpec], list[Grant]] = no_grants  # what the function's role needs (a poller's reads)


# Event type -> what it renders and what the function's role needs for it.
TRIGGERS: dict[str, TriggerType] = {
    "httpApi": TriggerType(api.http_api_route_name, api.render_http_api_route),
    "http": TriggerType(api.rest_method_name, api.render_rest_method),
    "url": TriggerType(urls.url_name, urls.render_url),
    "sqs": TriggerType(sources.sqs_name, sources.render_sqs, sources.sqs_grants),
    "stream": TriggerType(sources.stream_name, sources.render_stream, sources.stream_grants),
    "sns": TriggerType(topics.sns_name, topics.render_sns),
    "s3": TriggerType(buckets.s3_name, buckets.render_s3),
    "schedule": TriggerType(rules.schedule_name, rules.render_schedule),
    "eventBridge": TriggerType(rules.event_bridge_name, rules.render_event_bridge),
}


def trigger_names(events: tuple[EventSpec, ...]) -> list[str]:
    """Each event's name, unique within its function and type: a repeated base name gets `-2`, `-3`, ..."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for event in events:
        base = TRIGGERS[event.type].name(event)
        count = seen.get((event.type, base), 0) + 1
        seen[(event.type, base)] = count
        out.append(base if count == 1 else f"{base}-{count}")
    return out


def render_triggers(
    functions: list[tuple[Target, tuple[EventSpec, ...]]],
    *,
    service: str,
    stage: str,
    http_api: HttpApiSpec,
    tags: Mapping[str, str],
) -> list[Resource]:
    """Every trigger of every function, then the shared resources they need (in a stable order)."""
    rendered: list[Resource] = []
    by_type: dict[str, list[tuple[Target, EventSpec]]] = {}
    rest_cors: dict[str, Any] = {}
    for target, events in functions:
        for event, name in zip(events, trigger_names(events), strict=True):
            rendered.extend(TRIGGERS[event.type].render(target, event, name))
            by_type.setdefault(event.type, []).append((target, event))
            if event.type == "http" and event.settings.cors:
                rest_cors.setdefault(event.settings.path, event.settings.cors)
    shared = [
        *api.shared_http_api(
            service=service,
            stage=stage,
            spec=http_api,
            routes=[r for r in rendered if r.kind == "http_api_route"],
            tags=tags,
        ),
        *api.shared_rest_api(
            service=service,
            stage=stage,
            methods=[r for r in rendered if r.kind == "rest_method"],
            cors_by_path=rest_cors,
            tags=tags,
        ),
        *topics.shared_topics(by_type.get("sns", []), tags),
        *buckets.shared_buckets(by_type.get("s3", []), tags),
    ]
    return [*shared, *rendered]
