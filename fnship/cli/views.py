"""Text views: the plan as Terraform prints it, apply progress, `fn info`. Plain text, pinned by golden files."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from fnship.manifest.intrinsics import shown
from fnship.model.address import Address
from fnship.plan.diff import CREATE, DELETE, REPLACE, UPDATE
from fnship.plan.serialize import jsonable

SYMBOLS = {CREATE: "+", UPDATE: "~", DELETE: "-", REPLACE: "-/+"}
VERBS = {CREATE: "create", UPDATE: "update", DELETE: "destroy", REPLACE: "replace"}
FORCES = "  # forces replacement"


def show_value(value: Any) -> str:
    plain = jsonable(value)
    if plain in ("(sensitive)", "(known after apply)"):
        return plain
    return json.dumps(plain, sort_keys=True)


# A document (policy, list) longer than this is shown as indented JSON, and an update as a line diff.
INLINE_LIMIT = 80


def _is_document(value: Any) -> bool:
    plain = jsonable(value)
    return isinstance(plain, (dict, list)) and len(json.dumps(plain)) > INLINE_LIMIT


def _document_lines(value: Any) -> list[str]:
    return json.dumps(jsonable(value), indent=2, sort_keys=True).splitlines() if value is not None else ["null"]


def _field_lines(action: str, field: Any, *, forces: bool = False) -> list[str]:
    lines = _plain_field_lines(action, field)
    return [lines[0] + FORCES, *lines[1:]] if forces else lines


def _plain_field_lines(action: str, field: Any) -> list[str]:
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


def render_warnings(plan: Any) -> list[str]:
    return [f"Warning: {warning}" for warning in plan.warnings]


def render_plan(plan: Any) -> str:
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
        shift = next((s for s in plan.steps if s.type == "release.shift"), None)
        if shift is not None and change.address in shift.detail["aliases"]:
            detail = shift.detail["aliases"][change.address]
            lines.append(f"      strategy: {detail['strategy']} ({detail['schedule']})")
            if detail.get("errors_alarm"):
                lines.append(f"      errors alarm: {detail['errors_alarm']} (removed when the shift ends)")
            if detail.get("prune"):
                lines.append(f"      prune versions: {', '.join(detail['prune'])} (after the release)")
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


def render_recorded(plan: Any) -> str:
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


def render_removal(plan: Any) -> str:
    """`fn remove`'s plan: as render_plan, but an empty one says there is nothing to remove (not that live state
    matches the manifest: removal ignores what the manifest asks for)."""
    if not plan.empty:
        return render_plan(plan)
    return (
        f"{plan.service} · stage {plan.stage} · {plan.region}\n\nNothing to remove: no resource carries the tags "
        f"fnship:service={plan.service} and fnship:stage={plan.stage} in {plan.region}.\n"
    )


def render_step(event: str, step: Any) -> str | None:
    if event == "done":
        return f"  ✓ {step.type} {step.address}"
    if event == "failed":
        return f"  ✗ {step.type} {step.address}"
    if event == "progress":  # a long step's news (a stack's events)
        return f"    {step.address}: {step.detail.get('message', '')}"
    return None


def render_info(info: dict[str, Any]) -> str:
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
        lines += [f"      {key}: {value}" for key, value in sorted((stack.get("outputs") or {}).items())]
    lines += render_endpoints(info.get("endpoints") or {})
    return "\n".join(lines) + "\n"


# Beyond this many aliases, the versions they now serve are told per version, not per alias.
VERSION_LINES_MAX = 40


def render_versions(outputs: dict[str, dict[str, Any]]) -> list[str]:
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


def render_endpoints(endpoints: Mapping[str, Any]) -> list[str]:
    """The ways in: HTTP API routes, REST API methods, function URLs. [] when there are none."""
    lines: list[str] = []
    for key, title in (("http_api", "HTTP API"), ("rest_api", "REST API")):
        api = endpoints.get(key)
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


def render_plan_cost(cost: dict[str, Any] | None) -> str:
    """The plan's cost lines (Infracost style): per function before -> after a month, and the total."""
    if not cost:
        return ""
    lines = ["", f"Cost (a month, at the traffic of the last {cost['days']} days):"]
    for entry in cost["functions"]:
        head = f"  ~ function.{entry['function']}  "
        if entry["before"] is None:
            lines.append(head + str(entry["reason"]))
            continue
        sign = "+" if entry["delta"] >= 0 else "-"
        changed = ", ".join(entry["fields"])
        lines.append(
            head + f"{_usd(entry['before'])} -> {_usd(entry['after'])} ({sign}{_usd(abs(entry['delta']))}; {changed})"
        )
    total = cost["total"]
    if total is not None:
        sign = "+" if total["delta"] >= 0 else "-"
        lines.append(
            f"Monthly cost: {_usd(total['before'])} -> {_usd(total['after'])} ({sign}{_usd(abs(total['delta']))})"
        )
    lines += [f"  {note}" for note in cost["notes"]]
    return "\n".join(lines) + "\n"
