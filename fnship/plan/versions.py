"""The versions a release will prune, read before it runs so the plan names them. Read-only AWS calls.

A release keeps the newest `keepVersions` versions (the one it publishes counts) and never one an alias serves
or weights, nor the version it moves away from (the rollback target). Only functions whose alias shifts in this
plan are asked (ListVersionsByFunction and ListAliases, concurrently): an unchanged service reads nothing here.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from fnship.kinds.alias import Alias
from fnship.manifest.release import default_settings
from fnship.plan.diff import Plan, release_shifts
from fnship.plan.steps import with_pruning
from fnship.releases import prunable

if TYPE_CHECKING:
    from fnship.plan.reads import Reads

READ_WORKERS = 8


def plan_pruning(aws: Reads, plan: Plan) -> Plan:
    """`plan` with each shifting alias's release step naming the versions it will delete afterwards."""
    shift = next((step for step in plan.steps if step.type == "release.shift"), None)
    if shift is None:
        return plan

    def doomed(address: str) -> tuple[str, list[str]]:
        alias, live = plan.desired.get(address), plan.live.get(address)
        assert alias is not None and live is not None
        function = alias.in_scope().function_name
        settings = alias.spec_as(Alias).release_settings or default_settings(alias.name)
        versions = [str(v["Version"]) for v in aws.lambda_.list_versions(function) if str(v["Version"]).isdigit()]
        protected = {str(live.spec_as(Alias).version)}
        for found in aws.lambda_.list_aliases(function):
            protected.add(str(found["FunctionVersion"]))
            protected.update((found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})
        # The version this release publishes is newer than all of these, and counts among those kept.
        upcoming = str(max((int(v) for v in versions), default=0) + 1)
        return address, prunable([*versions, upcoming], keep=settings.keep_versions, protected=protected)

    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
        found = dict(pool.map(doomed, list(release_shifts(shift))))
    return with_pruning(plan, found)
