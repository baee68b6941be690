"""Text views: the plan as Terraform prints it, apply progress, `fn info`. Plain text, pinned by golden files."""

from __future__ import annotations

import json
from typing import Any

from fnship.plan.diff import CREATE, DELETE, UPDATE
from fnship.plan.serialize import jsonable

SYMBOLS = {CREATE: "+", UPDATE: "~", DELETE: "-"}
VERBS = {CREATE: "create", UPDATE: "update", DELETE: "destroy"}


def show_value(value: Any) -> str:
    plain = jsonable(value)
    if plain in ("(sensitive)", "(known after apply)"):
        return plain
    return json.dumps(plain, sort_keys=True)


def render_warnings(plan: Any) -> list[str]:
    return [f"Warning: {warning}" for warning in plan.warnings]


def render_plan(plan: Any) -> str:
    head = f"{plan.service} · stage {plan.stage} · {plan.region}"
    warnings = "".join(f"{line}\n" for line in render_warnings(plan))
    if plan.empty:
        return f"{head}\n\nNo changes. Live state matches the manifest.\n" + (f"\n{warnings}" if warnings else "")
    lines = [head, "", "fnship will:", ""]
    for change in plan.changes:
        lines.append(f"  {SYMBOLS[change.action]} {change.address}  ({VERBS[change.action]} {change.name})")
        for field in change.fields:
            if change.action == CREATE:
                lines.append(f"      {field.path}: {show_value(field.after)}")
            elif change.action == UPDATE:
                lines.append(f"      {field.path}: {show_value(field.before)} -> {show_value(field.after)}")
        lines.append("")
    counts = plan.counts()
    lines.append(f"Plan: {counts[CREATE]} to add, {counts[UPDATE]} to change, {counts[DELETE]} to destroy.")
    if warnings:
        lines += ["", *render_warnings(plan)]
    return "\n".join(lines) + "\n"


def render_step(event: str, step: Any) -> str | None:
    if event == "done":
        return f"  ✓ {step.type} {step.address}"
    if event == "failed":
        return f"  ✗ {step.type} {step.address}"
    return None


def render_info(info: dict[str, Any]) -> str:
    lines = [f"{info['service']} · stage {info['stage']} · {info['region']}", ""]
    for fn in info["functions"]:
        if not fn["deployed"]:
            lines.append(f"  {fn['key']}: {fn['name']} (not deployed)")
            continue
        weights = fn.get("weights") or {}
        shift = "" if not weights else " shifting: " + ", ".join(f"v{v} {w:.0%}" for v, w in weights.items())
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
    lines += render_endpoints(info.get("endpoints") or {})
    return "\n".join(lines) + "\n"


def render_endpoints(endpoints: dict[str, Any]) -> list[str]:
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
