"""Text views: the plan as Terraform prints it, apply progress, `fn info`. Plain text, pinned by golden files."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from fnship.manifest.intrinsics import shown
from fnship.model.address import Address
from fnship.plan.diff import CREATE, DELETE, REPLACE, UPDATE
from fnship.plan.serialize import jsonable

if TYPE_CHECKING:
    from fnship.cost.plan_cost import PlanCost
    from fnship.jsonvalue import JsonValue
    from fnship.pipeline import ServiceInfo
    from fnship.plan.diff import FieldChange, Plan, Step
    from fnship.plan.endpoints import Endpoints

SYMBOLS = {CREATE: "+", UPDATE: "~", DELETE: "-", REPLACE: "-/+"}
VERBS = {CREATE: "create", UPDATE: "update", DELETE: "destroy", REPLACE: "replace"}
FORCES = "  # forces replacement"


def show_value(value: object) -> str:
    plain = jsonable(value)
    if plain in ("(sensitive)", "(known after apply)"):
        return plain
    return json.dumps(plain, sort_keys=True)


# A document (policy, list) longer than this is shown as indented JSON, and an update as a line diff.
INLINE_LIMIT = 80


def _is_document(value: object) -> bool:
    plain = jsonable(value)
    return isinstance(plain, (dict, list)) and len(json.dumps(plain)) > INLINE_LIMIT


def _document_lines(value: object) -> list[str]:
    return json.dumps(jsonable(value), indent=2, sort_keys=True).splitlines() if value is not None else ["null"]


def _field_lines(action: str, field: FieldChange, *, forces: bool = False) -> list[str]:
    lines = _plain_field_lines(action, field)
    return [lines[0] + FORCES, *lines[1:]] if forces else lines


def _plain_field_lines(action: str, field: FieldChange) -> list[str]:
    indent = " " * 6
    if action == CREATE:
        if _is_document(field.after):
            return [f"{indent}{field.path}:"] + [f"{indent}    {line}" for line in _document_lines(field.after)]
        return [f"{indent}{field.path}: {show_value(field.after)}"]
    if _is_document(field.before) or _is_document(field.after):
        diff = difflib.unified_diff(_document_lines(field.before), _document_lines(field.after), lineterm="", n=2)
        body = [line for line in diff if not line.startswith(("---", "+++", "@@"))]
        return [f"{indent}{field.path}:"] + [f"{indent}  {line[0]} {line[1:]}" for line in body]
    return [f"{indent}{field.path}: {show_value(field.before)} -> {show_value(field.after)}"]


def render_warnings(plan: Plan) -> list[str]:
    return [f"Warning: {warning}" for warning in plan.warnings]


def render_plan(plan: Plan) -> str:
    head = f"{plan.service} · stage {plan.stage} · {plan.region}"
    warnings = "".join(f"{line}\n" for line in render_warnings(plan))
    recorded = render_recorded(plan)
    if plan.empty:
        return (
            f"{head}\n\nNo changes. Live state matches the manifest.\n"
            + (f"\n{recorded}\n" if recorded else "")
            + (f"\n{warnings}" if warnings else "")
        )
    lines = [head, "", "fnship will:", ""]
    for change in plan.changes:
        carried = f", with {change.deleted_with}" if change.deleted_with else ""
        name = shown(change.name)
        lines.append(f"  {SYMBOLS[change.action]} {change.address}  ({VERBS[change.action]} {name}{carried})")
        detail = _shift_of(plan, change.address)
        if detail is not None:
            lines.append(f"      strategy: {detail.get('strategy')} ({detail.get('schedule')})")
            if detail.get("errors_alarm"):
                lines.append(f"      errors alarm: {detail['errors_alarm']} (removed when the shift ends)")
            prune = detail.get("prune")
            if prune and isinstance(prune, (list, tuple)):
                lines.append(f"      prune versions: {', '.join(str(v) for v in prune)} (after the release)")
        publish = next((s for s in plan.steps if s.type == "version.publish" and s.address == change.address), None)
        if publish is not None and publish.detail.get("snapstart"):
            lines.append(f"      version publish: SnapStart {publish.detail['snapstart']}")
        if change.action != DELETE:
            for field in change.fields:
                forces = field.path.split(".", 1)[0] in change.forces_replacement
                lines.extend(_field_lines(change.action, field, forces=forces))
        lines.append("")
    counts = plan.counts()
    lines.append(f"Plan: {counts[CREATE]} to add, {counts[UPDATE]} to change, {counts[DELETE]} to destroy.")
    if recorded:
        lines += ["", recorded]
    if warnings:
        lines += ["", *render_warnings(plan)]
    return "\n".join(lines) + "\n"


def _shift_of(plan: Plan, address: str) -> Mapping[str, object] | None:
    """What the release shift does to the alias at `address` (strategy, schedule, alarm, prune), if it moves it."""
    shift = next((s for s in plan.steps if s.type == "release.shift"), None)
    aliases = shift.detail.get("aliases") if shift is not None else None
    detail = aliases.get(address) if isinstance(aliases, Mapping) else None
    return detail if isinstance(detail, Mapping) else None


def render_recorded(plan: Plan) -> str:
    """What the plan took from the last deploy's record instead of reading it (fnship/deploy_record.py)."""
    recorded = getattr(plan, "recorded", ())
    if not recorded:
        return ""
    functions = {Address(address).function_key for address in recorded}
    return (
        f"{len(recorded)} resources on the aliases of {len(functions)} function(s) (alias routing, policy statements, "
        "URLs, async configs, event source mappings) were taken from the last deploy's record, not read; "
        "`--refresh` reads them all."
    )


def render_removal(plan: Plan) -> str:
    """`fn remove`'s plan: as render_plan, but an empty one says there is nothing to remove (not that live state
    matches the manifest: removal ignores what the manifest asks for)."""
    if not plan.empty:
        return render_plan(plan)
    return (
        f"{plan.service} · stage {plan.stage} · {plan.region}\n\nNothing to remove: no resource carries the tags "
        f"fnship:service={plan.service} and fnship:stage={plan.stage} in {plan.region}.\n"
    )


def render_step(event: str, step: Step) -> str | None:
    if event == "done":
        return f"  ✓ {step.type} {step.address}"
    if event == "failed":
        return f"  ✗ {step.type} {step.address}"
    if event == "progress":  # a long step's news (a stack's events)
        return f"    {step.address}: {step.detail.get('message', '')}"
    return None


def render_info(info: ServiceInfo) -> str:
    lines = [f"{info['service']} · stage {info['stage']} · {info['region']}", ""]
    for fn in info["functions"]:
        if not fn["deployed"]:
            lines.append(f"  {fn['key']}: {fn['name']} (not deployed)")
            continue
        weights = fn.get("weights") or {}
        shift = (
            ""
            if not weights
            else f" (v{fn['alias_version']} {1 - sum(weights.values()):.0%}); SHIFT IN PROGRESS: "
            + ", ".join(f"v{v} {w:.0%}" for v, w in weights.items())
            + " (`fn rollback` aborts it, `fn deploy` finishes it)"
        )
        lines.append(f"  {fn['key']}: {fn['name']}")
        lines.append(
            f"      {fn['runtime']} {fn['architecture']} {fn['memory_size']} MB {fn['timeout']} s  {fn['handler']}"
        )
        lines.append(f"      alias {fn['alias']} -> version {fn['alias_version']}{shift}")
        versions = fn["versions"][-5:]
        if versions:
            lines.append("      versions: " + ", ".join(v["version"] for v in versions))
            latest = versions[-1]
            lines.append(f"      latest: v{latest['version']} {latest['description']}")
        lines.append(f"      role {fn['role']}")
    stack = info.get("stack")
    if stack:
        lines.append(f"  stack: {stack['name']} ({stack['status'] or 'not deployed'})")
        lines += [f"      {key}: {value}" for key, value in sorted(stack["outputs"].items())]
    lines += render_endpoints(info.get("endpoints"))
    return "\n".join(lines) + "\n"


# Beyond this many aliases, the versions they now serve are told per version, not per alias.
VERSION_LINES_MAX = 40


def render_versions(outputs: Mapping[str, Mapping[str, JsonValue]]) -> list[str]:
    """What each alias an apply moved now serves: a line per alias (`alias.api.live -> version 3`), or, for many
    aliases, a line per version with how many aliases serve it."""
    moved = sorted((address, str(output["version"])) for address, output in outputs.items()
                   if address.startswith("alias.") and "version" in output)  # fmt: skip
    if len(moved) <= VERSION_LINES_MAX:
        return [f"  {address} -> version {version}" for address, version in moved]
    by_version: dict[str, int] = {}
    for _address, version in moved:
        by_version[version] = by_version.get(version, 0) + 1
    return [f"  {count} aliases -> version {version}" for version, count in sorted(by_version.items())]


def render_endpoints(endpoints: Endpoints | None) -> list[str]:
    """The ways in: HTTP API routes, REST API methods, function URLs. [] when there are none."""
    if endpoints is None:
        return []
    lines: list[str] = []
    for api, title in (
        (endpoints.get("http_api"), "HTTP API"),
        (endpoints.get("rest_api"), "REST API"),
        (endpoints.get("websocket_api"), "WebSocket API"),
    ):
        if not api:
            continue
        lines.append(f"  {title}: {api['url']}")
        for route in api["routes"]:
            lines.append(f"      {route['route']}  -> {route['function'] or '?'}")
    urls = endpoints.get("function_urls") or {}
    if urls:
        lines.append("  function URLs:")
        lines += [f"      {key}: {url}" for key, url in sorted(urls.items())]
    return ["", "endpoints:", *lines] if lines else []


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def render_plan_cost(cost: PlanCost | None) -> str:
    """The plan's cost lines (Infracost style): per function before -> after a month, and the total."""
    if not cost:
        return ""
    lines = ["", f"Cost (a month, at the traffic of the last {cost['days']} days):"]
    for entry in cost["functions"]:
        head = f"  ~ function.{entry['function']}  "
        before, after, delta = entry["before"], entry["after"], entry["delta"]
        if before is None or after is None or delta is None:
            lines.append(head + str(entry["reason"]))
            continue
        sign = "+" if delta >= 0 else "-"
        changed = ", ".join(entry["fields"])
        lines.append(head + f"{_usd(before)} -> {_usd(after)} ({sign}{_usd(abs(delta))}; {changed})")
    total = cost["total"]
    if total is not None:
        sign = "+" if total["delta"] >= 0 else "-"
        lines.append(
            f"Monthly cost: {_usd(total['before'])} -> {_usd(total['after'])} ({sign}{_usd(abs(total['delta']))})"
        )
    lines += [f"  {note}" for note in cost["notes"]]
    return "\n".join(lines) + "\n"
