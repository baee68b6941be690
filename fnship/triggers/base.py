"""What every trigger type module provides (fnship/triggers/<type>.py). Pure: no AWS, no filesystem."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fnship.jsonvalue import JsonObject
from fnship.manifest.events.common import Parser
from fnship.manifest.types import EventSpec, HttpApiSpec
from fnship.model.iam import Grant
from fnship.model.resources import Resource
from fnship.model.triggers.common import Target

if TYPE_CHECKING:
    from fnship.local.events import Where

Renderer = Callable[[Target, EventSpec, str], list[Resource]]
Sample = Callable[["Where"], JsonObject]


@dataclass(frozen=True)
class Shared:
    """What the resources several functions' events share are made from (an API, an owned topic or bucket)."""

    service: str
    stage: str
    http_api: HttpApiSpec
    tags: Mapping[str, str]
    permissions_boundary: str | None = None  # `provider.iam.role.permissionsBoundary`: on the roles triggers make


# (every event of the type with its function, the triggers they rendered, context) -> the shared resources
SharedRenderer = Callable[[list[tuple[Target, EventSpec]], list[Resource], Shared], list[Resource]]


def no_grants(_event: EventSpec) -> list[Grant]:
    """A push source invokes the alias through a permission on it: the function's role needs nothing."""
    return []


@dataclass(frozen=True)
class TriggerType:
    """One trigger type, end to end: its manifest parse, its base name, the resources it renders (and those its
    events share), what the function's role needs for it, its sample events, and the resource kinds it renders,
    whose modules (fnship/kinds) read, discover and apply them."""

    parse: Parser | None  # None: not written under `events:` (`url:` is a function setting)
    name: Callable[[EventSpec], str]  # the trigger's base name, unique per function and type
    render: Renderer  # its resources: the trigger, its permission on the alias
    kinds: tuple[str, ...]  # keys into fnship.kinds.KINDS
    grants: Callable[[EventSpec], list[Grant]] = no_grants  # what the function's role needs (a poller's reads)
    shared: SharedRenderer | None = None
    samples: Mapping[str, Sample] | None = None  # `fn event NAME` -> its builder
