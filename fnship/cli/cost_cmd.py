"""`fn cost`: each function's monthly cost, projected from the period's CloudWatch metrics or the given traffic."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fnship.cli import console
from fnship.cli.options import Config, Debug, Functions, Json, Local, NoColor, Profile, Region, Stage, load_service

if TYPE_CHECKING:
    from fnship.cost.calc import FunctionCostDoc
    from fnship.cost.service import CostDoc


def cost(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    functions: Functions = None,
    days: Annotated[int, typer.Option("--days", help="Read this many days of metrics.")] = 30,
    invocations: Annotated[
        float | None, typer.Option("--invocations", help="Price this many invocations a month instead of metrics.")
    ] = None,
    duration: Annotated[
        str | None, typer.Option("--duration", help="Average duration with --invocations (200ms, 1.5s).")
    ] = None,
    init_duration: Annotated[
        str | None, typer.Option("--init-duration", help="Average INIT duration of a cold start (e.g. 300ms).")
    ] = None,
    cold_starts: Annotated[
        str, typer.Option("--cold-starts", help="Share of on-demand invocations that start cold.")
    ] = "1%",
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Monthly cost per function and in total: requests, duration, INIT, ephemeral storage, provisioned
    concurrency; the free tier apart (it is per account)."""

    def job() -> int:
        from fnship.cost import service, traffic
        from fnship.errors import InputError

        if invocations is not None and (invocations < 0 or duration is None):
            raise InputError(
                "--invocations needs --duration (and a count of 0 or more)",
                hint="e.g. --invocations 1e6 --duration 200ms",
            )
        if duration is not None and invocations is None:
            raise InputError("--duration needs --invocations", hint="e.g. --invocations 1e6 --duration 200ms")
        duration_ms = traffic.parse_duration_ms(duration, option="--duration") if duration is not None else None
        init_ms = traffic.parse_duration_ms(init_duration, option="--init-duration") if init_duration else 0.0
        share = traffic.parse_share(cold_starts, option="--cold-starts")
        loaded = load_service(
            config=config, stage=stage, region=region, profile=profile, local=local, functions=functions
        )
        document = service.service_cost(
            loaded,
            only=functions or (),
            days=days,
            invocations=invocations,
            duration_ms=duration_ms,
            init_ms=init_ms,
            cold_share=share,
        )
        if json_out:
            console.emit_json("cost", {"ok": True, **document})
        else:
            console.out(render_cost(document))
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="cost", no_color=no_color)


def money(value: float | None) -> str:
    if value is None:
        return "?"
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.6f}"


def render_cost(doc: CostDoc) -> str:
    source = doc["traffic"]
    basis = (
        f"traffic of the last {source['days']} days, projected to a month"
        if source["kind"] == "metrics"
        else f"{source['invocations']:,.0f} invocations a month of {source['duration_ms']:g} ms"
    )
    lines = [f"{doc['service']} · stage {doc['stage']} · {doc['region']}", f"monthly cost from {basis}", ""]
    header = ("function", "arch", "memory", "invocations", "avg ms", "requests", "duration", "init", "storage",
              "provisioned", "total")  # fmt: skip
    rows = [header]
    for f in doc["functions"]:
        c = f["cost"]
        pc = c["provisioned_concurrency"] + c["provisioned_duration"] if c else None
        rows.append(
            (
                f["function"],
                f["architecture"],
                f"{f['memory_size']} MB",
                f"{f['invocations']:,.0f}",
                f"{f['duration_ms']:,.1f}",
                money(c["requests"] if c else None),
                money(c["duration"] if c else None),
                money(c["init"] if c else None),
                money(c["ephemeral_storage"] if c else None),
                money(pc),
                money(c["total"] if c else None),
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    for row in rows:
        lines.append("  " + "  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    for f in doc["functions"]:
        line = _provisioned_line(f)
        if line:
            lines.append(line)
    free = doc["free_tier"]
    lines += [
        "",
        f"Total: {money(doc['total'])} a month",
        f"Free tier (per account, if nothing else uses it): -{money(free['value'])} "
        f"({free['requests']:,} requests, {free['gb_seconds']:,.0f} GB-s)",
        f"Total after the free tier: {money(doc['total_after_free_tier'])} a month",
    ]
    for skipped in doc["skipped"]:
        lines.append(f"  {skipped['function']}: not priced ({skipped['reason']})")
    for note in doc["notes"]:
        lines.append(f"Note: {note}")
    return "\n".join(lines) + "\n"


def _provisioned_line(function: FunctionCostDoc) -> str | None:
    """What provisioned concurrency a function has configured and what its metrics say of its use."""
    used = function["provisioned_used"] or {}
    if not function.get("provisioned_concurrency") and not used:
        return None
    parts = []
    if used.get("peak_concurrent_executions") is not None:
        parts.append(f"peak {used['peak_concurrent_executions']:g} busy")
    if used.get("utilization") is not None:
        parts.append(f"{used['utilization']:.0%} used on average")
    if used.get("invocations") is not None:
        parts.append(f"{used['invocations']:,.0f} invocations on it")
    if used.get("spillover_invocations") is not None:
        parts.append(f"{used['spillover_invocations']:,.0f} spilled over to on-demand")
    detail = f" ({'; '.join(parts)})" if parts else " (no use in the metrics)"
    return f"  {function['function']}: provisioned {function['provisioned_concurrency']}{detail}"
