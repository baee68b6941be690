"""`fn tune`: measure a deployed function at several memory sizes (and architectures); say which is best."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fnship.cli import console
from fnship.cli.options import Config, Debug, Json, Local, NoColor, Profile, Region, Stage, Yes, load_service
from fnship.cli.release_options import WaitLock, lock_waiting

if TYPE_CHECKING:
    from fnship.tune import OutcomeDoc


def tune(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    function: Annotated[
        str | None, typer.Option("-f", "--function", help="The function (optional if only one).")
    ] = None,
    memory: Annotated[
        str, typer.Option("--memory", help="Memory sizes to measure, in MB.")
    ] = "128,256,512,1024,1536,2048,3008",
    invocations: Annotated[int, typer.Option("--invocations", help="Invocations per configuration.")] = 10,
    data: Annotated[str | None, typer.Option("-d", "--data", help="The event, as JSON text.")] = None,
    path: Annotated[str | None, typer.Option("-p", "--path", help="A JSON file with the event (- for stdin).")] = None,
    event: Annotated[
        str | None,
        typer.Option("-e", "--event", help="A sample event: s3, sqs, sns, http, httpApi, schedule, dynamodb."),
    ] = None,
    strategy: Annotated[str, typer.Option("--strategy", help="cost, speed or balanced.")] = "cost",
    weight: Annotated[float, typer.Option("--weight", help="balanced: 1 weighs cost only, 0 speed only.")] = 0.5,
    parallel: Annotated[bool, typer.Option("--parallel", help="Invoke each configuration concurrently.")] = False,
    architecture: Annotated[
        str | None, typer.Option("--architecture", help="Architectures to measure: x86_64,arm64 (default: its own).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report with a chart.")
    ] = None,
    yes: Yes = False,
    wait_lock: WaitLock = 0,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Publish a version per memory size, invoke each, and say which memorySize is cheapest, fastest or balanced.
    Holds the deploy lock; leaves $LATEST and the alias as they were and deletes the versions it published."""

    def job() -> int:
        from fnship import invoke as invoking
        from fnship import pipeline
        from fnship import tune as core
        from fnship.cost.service import price_book
        from fnship.errors import FnError

        sizes = core.parse_memory(memory)
        core.check_request(core.Request(sizes, ("x86_64",), invocations, b"", strategy, weight, parallel))
        loaded = load_service(config=config, stage=stage, region=region, profile=profile, local=local)
        manifest, aws = loaded.manifest, loaded.aws
        key = invoking.choose_function(manifest, function)
        spec = manifest.functions[key]
        payload = invoking.read_payload(data=data, path=path, event=event, region=manifest.region)
        live = aws.lambda_.get_function_or_none(spec.name)
        if live is None:
            raise FnError(f"function {key} ({spec.name}) is not deployed in {manifest.region}",
                          hint="`fn deploy` it first: fn tune measures the deployed code")  # fmt: skip
        live_config = live["Configuration"]
        current_arch = (live_config.get("Architectures") or ["x86_64"])[0]
        archs = core.parse_architectures(
            architecture,
            runtime=live_config.get("Runtime") or spec.runtime,
            current=current_arch,
            image=live_config.get("PackageType") == "Image",
        )
        request = core.Request(sizes, archs, invocations, payload, strategy, weight, parallel)
        core.check_request(request)
        book = price_book(aws)

        def prices_for(arch: str):
            return book.prices(manifest.region, arch)

        timeout = int(live_config.get("Timeout") or 3)
        ephemeral = int((live_config.get("EphemeralStorage") or {}).get("Size") or 512)
        bound = core.tuning_cost_bound(request, prices_for=prices_for, timeout_s=timeout, ephemeral_mb=ephemeral)
        total = invocations * len(request.configurations)
        at_most = "an unknown amount (no prices for the region)" if bound is None else f"at most ${bound:.4f}"
        if not json_out:
            console.err(
                f"Tuning {key} ({spec.name}): {len(request.configurations)} configuration(s) x {invocations} "
                f"invocation(s) = {total} invocations, costing {at_most} (if every one ran to the {timeout} s timeout)."
            )
        if not console.confirm("Publish the versions and invoke them?", yes=yes):
            console.err("Nothing published.")
            return 0
        target = core.Target(manifest.service, manifest.stage, key, spec.name)
        sha = live_config.get("CodeSha256")

        def code_for(architecture: str) -> bytes:
            return core.zip_for(loaded, key, architecture=architecture, code_sha256=sha)

        progress = (lambda _line: None) if json_out else (lambda line: console.err(f"  {line}"))
        with pipeline.deploy_lock(
            loaded, command="fn tune", wait=wait_lock, on_wait=None if json_out else lock_waiting
        ):
            cleaned = pipeline.clean_tune_leftovers_locked(loaded)
            for line in cleaned:
                progress(line)
            # Read again under the lock: the clean-up or a deploy may have changed $LATEST since.
            live = aws.lambda_.get_function_or_none(spec.name) or live
            results, _run = core.run(
                aws, target, request, live=live, prices_for=prices_for, code_for=code_for, progress=progress
            )
        failures = [s.error for r in results for s in r.samples if s.error]
        if all(r.failed for r in results):
            raise FnError(
                f"every invocation of {key} failed: {failures[0] if failures else 'no answer'}",
                hint="check the event (--data, --path, --event); `fn invoke` shows the whole error. "
                "Nothing was left behind.",
            )
        best = core.choose(results, strategy=strategy, weight=weight)
        notes = list(dict.fromkeys(n for r in results if r.prices for n in r.prices.notes))
        if any(r.prices is None for r in results):
            notes.append(book.problem(manifest.region) or "no prices: configurations compared by GB-seconds")
        failed = [r for r in results if r.failed]
        for r in failed:
            first = next(s.error for s in r.samples if s.error)
            notes.append(f"{r.architecture} {r.memory} MB: every invocation failed ({first})")
        if failures and not failed:
            notes.append(f"{len(failures)} invocation(s) failed and were left out: {failures[0]}")
        if local or loaded.aws.target.local:
            notes.append("measured on the local emulator: tuning is meaningful on AWS only")
        outcome = core.Outcome(
            target=target,
            request=request,
            results=results,
            best=best,
            current_memory=int(live_config.get("MemorySize") or 128),
            current_architecture=current_arch,
            manifest_memory=spec.memory_size,
            manifest_architecture=spec.architecture,
            notes=notes,
            cleaned=cleaned,
        )
        document = outcome.to_dict()
        document["estimated_tuning_cost"] = None if bound is None else round(bound, 9)  # the bound shown before
        if report is not None:
            from fnship.tune_report import render

            report.write_text(render(document, service=manifest.service, stage=manifest.stage, region=manifest.region))
            document["report"] = str(report)
        if json_out:
            console.emit_json("tune", {"ok": True, **document})
        else:
            console.out(render_tune(document))
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="tune", no_color=no_color)


def render_tune(doc: OutcomeDoc) -> str:
    best = doc["best"]
    header = ("memory", "arch", "avg ms", "p90 ms", "cold starts", "cost/invocation", "cost/million", "errors")
    rows: list[tuple[str, ...]] = [header]
    for r in doc["results"]:
        mark = " *" if (r["memory_size"], r["architecture"]) == (best["memory_size"], best["architecture"]) else ""
        cost = r["cost_per_invocation"]
        rows.append(
            (
                f"{r['memory_size']} MB{mark}",
                r["architecture"],
                f"{r['average_ms']:.1f}",
                f"{r['p90_ms']:.1f}",
                f"{r['cold_start_share']:.0%}",
                "n/a" if cost is None else f"${cost:.10f}",
                "n/a" if r["cost_per_million"] is None else f"${r['cost_per_million']:.4f}",
                f"{r['errors']}/{r['invocations']}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"fn tune {doc['function']} ({doc['name']}), strategy {doc['strategy']}", ""]
    lines += ["  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.append("")
    lines.append(f"Best for {doc['strategy']}: {best['memory_size']} MB ({best['architecture']}), marked *.")
    if doc["already_best"]:
        lines.append(f"The manifest already has memorySize: {best['memory_size']}.")
    else:
        arch = (
            ""
            if best["architecture"] == doc["manifest"]["architecture"]
            else f" and architecture: {best['architecture']}"
        )
        lines.append(f"Write memorySize: {best['memory_size']}{arch} under functions.{doc['function']}.")
    if doc.get("report"):
        lines.append(f"Report: {doc['report']}")
    lines += [f"Note: {note}" for note in doc["notes"]]
    return "\n".join(lines) + "\n"
