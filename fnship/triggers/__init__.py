"""Trigger types, one module each (fnship/triggers/<type>.py: the manifest event's parse, the resources it renders
and its IAM grants, its sample events, the kinds that read and apply it), in one explicit table. Pure.

Each event of a function renders to resources addressed `trigger.<function>.<type>.<name>`, plus
`permission.<function>.<type>.<name>` for the push sources (a statement on the alias's resource policy, with
SourceArn and SourceAccount). What several functions share has its own address: the HTTP API (`http_api`,
its authorizers `http_api.authorizer.<name>`), the REST API (`rest_api`, its stage `rest_api.stage.<stage>`),
owned SNS topics (`topic.<name>`) and owned S3 buckets (`bucket.<name>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fnship.lazy import LazyTable

if TYPE_CHECKING:
    from fnship.manifest.types import EventSpec, HttpApiSpec
    from fnship.model.resources import Resource
    from fnship.model.triggers.common import Target
    from fnship.triggers.base import TriggerType

# Event type -> its module's TriggerType. A new trigger type is one module and one line here. A type's module
# (with the model and kinds it renders) is imported when the type is first looked up: a manifest without events
# imports none of them.
TRIGGERS: Mapping[str, TriggerType] = LazyTable(
    {
        "httpApi": "fnship.triggers.http_api:TRIGGER",
        "http": "fnship.triggers.rest:TRIGGER",
        "sqs": "fnship.triggers.sqs:TRIGGER",
        "sns": "fnship.triggers.sns:TRIGGER",
        "s3": "fnship.triggers.s3:TRIGGER",
        "schedule": "fnship.triggers.rules:SCHEDULE",
        "scheduler": "fnship.triggers.scheduler:TRIGGER",  # `schedule` with `method: scheduler`
        "eventBridge": "fnship.triggers.rules:EVENT_BRIDGE",
        "stream": "fnship.triggers.stream:TRIGGER",
        "url": "fnship.triggers.url:TRIGGER",
    }
)


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
    permissions_boundary: str | None = None,
) -> list[Resource]:
    """Every trigger of every function, then the shared resources they need (in the table's order)."""
    from fnship.triggers.base import Shared

    rendered: list[Resource] = []
    by_type: dict[str, list[tuple[Target, EventSpec]]] = {}
    for target, events in functions:
        for event, name in zip(events, trigger_names(events), strict=True):
            rendered.extend(TRIGGERS[event.type].render(target, event, name))
            by_type.setdefault(event.type, []).append((target, event))
    context = Shared(
        service=service, stage=stage, http_api=http_api, tags=tags, permissions_boundary=permissions_boundary
    )
    # (the types the service uses, in the table's order: looking up the others would import their modules)
    used = [(event_type, TRIGGERS[event_type]) for event_type in TRIGGERS if event_type in by_type]
    shared = [
        resource
        for event_type, trigger in used
        if trigger.shared is not None
        for resource in trigger.shared(by_type[event_type], rendered, context)
    ]
    return [*shared, *rendered]
