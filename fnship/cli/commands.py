"""The spine's commands: validate, package, plan, deploy, info, remove. Each parses options, calls one core
function in fnship.pipeline, renders the result and maps errors to exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fnship.cli import console, progress
from fnship.cli.options import (
    Config,
    Debug,
    Functions,
    Json,
    Local,
    NoColor,
    Profile,
    Refresh,
    Region,
    Stage,
    Yes,
    load_service,
)
from fnship.cli.release_options import OnInterrupt, Strategy, WaitLock, check_on_interrupt, lock_waiting
from fnship.errors import EXIT_CHANGES


def _step_labels(steps) -> list[str]:
    """Steps as the JSON documents of deploy and remove name them: `ADDRESS TYPE`."""
    return [s.address + " " + s.type for s in steps]


def validate(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Check the manifest: syntax, variables, types and Lambda's limits.

    No AWS call unless the manifest uses a variable that reads AWS: ${ssm:} (SSM Parameter Store, and Secrets
    Manager through /aws/reference/secretsmanager/), ${aws:accountId} (STS), ${cf:} (CloudFormation stack
    outputs) or ${s3:} (an S3 object): read-only, in the deploy region with the profile (the emulator with --local).
    """

    def job() -> int:

        loaded = load_service(config=config, stage=stage, region=region, profile=profile, local=local)
        manifest = loaded.manifest
        from fnship import pipeline

        pipeline.check_code(loaded)
        if json_out:
            console.emit_json(
                "validate",
                {
                    "ok": True,
                    "service": manifest.service,
                    "stage": manifest.stage,
                    "region": manifest.region,
                    "functions": list(manifest.functions),
                    "notes": list(manifest.notes),
                },
            )
        else:
            for note in manifest.notes:
                console.err(f"info: {note}")
            console.out(
                f"{config}: valid ({manifest.service}, stage {manifest.stage}, {len(manifest.functions)} function(s))"
            )
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="validate", no_color=no_color)


def package(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    functions: Functions = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Directory for the artifacts (default .fn/build/STAGE).")
    ] = None,
    use_container: Annotated[
        str | None,
        typer.Option(
            "--use-container",
            help="Build dependencies in the Lambda build image: auto (when a package has no wheel), always, never. "
            "Default: provider.build.container, else auto.",
        ),
    ] = None,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Build the deployment artifacts without deploying: functions, layers, images, with sizes and cache hits."""

    def job() -> int:
        from fnship import pipeline
        from fnship.cli import artifacts_view
        from fnship.errors import InputError

        if use_container is not None and use_container not in ("auto", "always", "never"):
            raise InputError(f"--use-container must be auto, always or never, got {use_container!r}")
        loaded = load_service(
            config=config, stage=stage, region=region, profile=profile, local=local, functions=functions
        )
        with progress.building(mode=progress.mode_for(json_mode=json_out)) as reporter:
            packaged = pipeline.package_artifacts(
                loaded, out_dir=out, only=functions or (), reporter=reporter, container=use_container
            )
        rows = artifacts_view.artifact_rows(packaged)
        if json_out:
            console.emit_json("package", {"ok": True, "artifacts": rows})
        else:
            console.out(artifacts_view.render_artifacts(rows))
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="package", no_color=no_color)


def plan(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    functions: Functions = None,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 4 when there are changes.")] = False,
    strategy: Strategy = None,
    refresh: Refresh = False,
    no_cost: Annotated[
        bool, typer.Option("--no-cost", help="Do not price the changes (no CloudWatch metric reads).")
    ] = False,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Show what `fn deploy` would change, without changing anything."""

    def job() -> int:
        from fnship import pipeline
        from fnship.cli import views
        from fnship.plan.serialize import plan_to_dict

        loaded = load_service(
            config=config, stage=stage, region=region, profile=profile, local=local, functions=functions
        )
        with progress.working("Building and reading live state", mode=progress.mode_for(json_mode=json_out)):
            the_plan = pipeline.make_plan(
                loaded, only=functions or (), strategy=strategy, cache_writes=False, refresh=refresh
            )
            cost = None if no_cost else pipeline.plan_cost(loaded, the_plan)
        if json_out:
            document = {"ok": True, "has_changes": not the_plan.empty, "plan": plan_to_dict(the_plan), "cost": cost}
            console.emit_json("plan", document)
        else:
            console.out_plan(views.render_plan(the_plan) + views.render_plan_cost(cost))
        return EXIT_CHANGES if exit_code and not the_plan.empty else 0

    console.run(job, debug=debug, json_mode=json_out, command="plan", no_color=no_color)


def deploy(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    functions: Functions = None,
    yes: Yes = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and stop.")] = False,
    strategy: Strategy = None,
    refresh: Refresh = False,
    on_interrupt: OnInterrupt = "rollback",
    wait_lock: WaitLock = 0,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Build, plan and apply: publish a version and shift the alias to it (canary, linear or all at once)."""

    def job() -> int:
        from fnship import pipeline
        from fnship.aws.session import local_requested
        from fnship.cli import release_view, views
        from fnship.plan.serialize import plan_to_dict

        if local_requested(local):
            from fnship.local import emulator

            emulator.start()
        check_on_interrupt(on_interrupt)
        loaded = load_service(
            config=config, stage=stage, region=region, profile=profile, local=local, functions=functions
        )
        mode = progress.mode_for(json_mode=json_out)
        shift_runtime, shift_progress = release_view.runtime(json_mode=json_out, on_interrupt=on_interrupt)
        hooks = pipeline.Hooks(
            show_plan=lambda plan: None if json_out else console.out_plan(views.render_plan(plan)),
            confirm=lambda _plan: console.confirm("Apply these changes?", yes=yes),
            working=lambda label: progress.working(label, mode=mode),
            reporter=lambda plan: progress.StepReporter(len(plan.steps), mode=mode, label="Deploying"),
            on_lock_wait=None if json_out else lock_waiting,
            guard=release_view.sigterm_as_interrupt,
            note=(lambda _line: None) if json_out else (lambda line: console.err(f"note: {line}")),
            confirms_without_asking=yes,
        )
        outcome = pipeline.deploy(
            loaded,
            hooks,
            only=functions or (),
            strategy=strategy,
            dry_run=dry_run,
            wait_lock=wait_lock,
            runtime=shift_runtime,
            refresh=refresh,
        )
        the_plan, result, endpoints = outcome.plan, outcome.result, outcome.endpoints
        if not outcome.applied:
            if outcome.declined:
                console.err("Nothing changed.")
            elif json_out:
                payload = {"ok": True, "applied": False, "plan": plan_to_dict(the_plan)}
                console.emit_json("deploy", {**payload, **({"endpoints": endpoints} if endpoints else {})})
            elif endpoints:
                for line in views.render_endpoints(endpoints)[1:]:
                    console.out(line)
            return 0
        assert result is not None  # applied
        error = outcome.error
        if json_out:
            console.emit_json(
                "deploy",
                {
                    "ok": result.ok,
                    "applied": True,
                    "plan": plan_to_dict(the_plan),
                    "completed": _step_labels(result.completed),
                    "failed": None
                    if result.failed is None or result.error is None  # (a failed step has its error)
                    else {"step": result.failed.type, "address": result.failed.address, "error": result.error.message},
                    "not_run": _step_labels(result.not_run),
                    "versions": {a: o["version"] for a, o in result.outputs.items() if "version" in o},
                    "endpoints": endpoints,
                    "release": {**result.outputs.get("release", {"functions": []}), "events": shift_progress.events},
                    **({} if error is None else {"error": console.error_payload(error)}),
                },
            )
        if error is not None:
            console.fail_after_json(error, json_mode=json_out, debug=debug)
        if not json_out:
            counts = the_plan.counts()
            console.out(
                f"Deployed {the_plan.service} ({the_plan.stage}): {counts['create']} added, "
                f"{counts['update']} changed, {counts['delete']} destroyed."
            )
            for line in views.render_versions(result.outputs):
                console.out(line)
            for line in views.render_endpoints(endpoints)[1:]:
                console.out(line)
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="deploy", no_color=no_color)


def info(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Show what is deployed: functions, versions, the alias target, the role."""

    def job() -> int:
        from fnship import pipeline
        from fnship.cli import views

        loaded = load_service(config=config, stage=stage, region=region, profile=profile, local=local)
        data = pipeline.info(loaded)
        if json_out:
            console.emit_json("info", {"ok": True, **data})
        else:
            console.out(views.render_info(data))
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="info", no_color=no_color)


def remove(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    yes: Yes = False,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Delete everything this service and stage owns (resources carrying both ownership tags)."""

    def job() -> int:
        from fnship import pipeline
        from fnship.cli import views
        from fnship.plan.serialize import plan_to_dict

        loaded = load_service(config=config, stage=stage, region=region, profile=profile, local=local)
        mode = progress.mode_for(json_mode=json_out)
        hooks = pipeline.Hooks(
            show_plan=lambda plan: None if json_out else console.out_plan(views.render_removal(plan)),
            confirm=lambda plan: console.confirm(f"Remove {plan.service} ({plan.stage})?", yes=yes),
            working=lambda label: progress.working(label, mode=mode),
            reporter=lambda plan: progress.StepReporter(len(plan.steps), mode=mode, label="Removing"),
        )
        outcome = pipeline.remove(loaded, hooks)
        the_plan, result, error = outcome.plan, outcome.result, outcome.error
        if not outcome.applied:
            if outcome.declined:
                console.err("Nothing removed.")
            elif json_out:
                console.emit_json("remove", {"ok": True, "applied": False, "plan": plan_to_dict(the_plan)})
            return 0
        assert result is not None  # applied
        if json_out:
            console.emit_json(
                "remove",
                {
                    "ok": result.ok,
                    "applied": True,
                    "plan": plan_to_dict(the_plan),
                    "completed": _step_labels(result.completed),
                    "not_run": _step_labels(result.not_run),
                    **({} if error is None else {"error": console.error_payload(error)}),
                },
            )
        if error is not None:
            console.fail_after_json(error, json_mode=json_out, debug=debug)
        if not json_out:
            console.out(f"Removed {the_plan.service} ({the_plan.stage}): {len(the_plan.changes)} resource(s).")
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="remove", no_color=no_color)
