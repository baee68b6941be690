"""The spine's commands: validate, package, plan, deploy, info, remove. Each parses options, calls one core
function in fnship.pipeline, renders the result and maps errors to exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fnship.cli import console, views
from fnship.cli.options import Config, Debug, Functions, Json, Local, Profile, Region, Stage, Yes
from fnship.errors import EXIT_CHANGES


def _options(config: Path, stage, region, profile, local, functions=None):
    from fnship.pipeline import Options

    return Options(
        config=config, stage=stage, region=region, profile=profile, local=local, functions=tuple(functions or ())
    )


def validate(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    json_out: Json = False,
    debug: Debug = False,
) -> None:
    """Check the manifest: syntax, variables, types and Lambda's limits. No AWS call unless ${ssm:} is used."""

    def job() -> int:
        from fnship import pipeline

        loaded = pipeline.load(_options(config, stage, region, profile, local))
        manifest = loaded.manifest
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

    console.run(job, debug=debug, json_mode=json_out, command="validate")


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
    json_out: Json = False,
    debug: Debug = False,
) -> None:
    """Build the deployment artifacts without deploying."""

    def job() -> int:
        from fnship import pipeline

        loaded = pipeline.load(_options(config, stage, region, profile, local, functions))
        artifacts = pipeline.package(loaded, out_dir=out, only=functions or ())
        rows = [
            {
                "function": key,
                "kind": "zip",
                "path": str(a.path),
                "sha256": a.sha256_hex,
                "code_sha256": a.code_sha256,
                "size": a.size,
                "unzipped_size": a.unzipped_size,
            }
            for key, a in artifacts.items()
        ]
        if json_out:
            console.emit_json("package", {"ok": True, "artifacts": rows})
        else:
            for row in rows:
                console.out(f"{row['function']}: {row['path']} {row['size']} bytes sha256 {row['sha256'][:12]}")
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="package")


def plan(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    functions: Functions = None,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 4 when there are changes.")] = False,
    json_out: Json = False,
    debug: Debug = False,
) -> None:
    """Show what `fn deploy` would change, without changing anything."""

    def job() -> int:
        from fnship import pipeline
        from fnship.plan.serialize import plan_to_dict

        loaded = pipeline.load(_options(config, stage, region, profile, local, functions))
        the_plan = pipeline.make_plan(loaded, only=functions or ())
        if json_out:
            console.emit_json("plan", {"ok": True, "plan": plan_to_dict(the_plan)})
        else:
            console.out(views.render_plan(the_plan))
        return EXIT_CHANGES if exit_code and not the_plan.empty else 0

    console.run(job, debug=debug, json_mode=json_out, command="plan")


def deploy(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    functions: Functions = None,
    yes: Yes = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and stop.")] = False,
    json_out: Json = False,
    debug: Debug = False,
) -> None:
    """Build, plan and apply: publish a version and point the alias at it."""

    def job() -> int:
        from fnship import pipeline
        from fnship.aws.session import local_requested
        from fnship.plan.serialize import plan_to_dict

        if local_requested(local):
            from fnship.local import emulator

            emulator.start()
        loaded = pipeline.load(_options(config, stage, region, profile, local, functions))
        the_plan = pipeline.make_plan(loaded, only=functions or ())
        text = views.render_plan(the_plan)
        if not json_out:
            console.out(text)
        if the_plan.empty or dry_run:
            endpoints = pipeline.endpoints(loaded) if the_plan.empty else None
            if json_out:
                payload = {"ok": True, "applied": False, "plan": plan_to_dict(the_plan)}
                console.emit_json("deploy", {**payload, **({"endpoints": endpoints} if endpoints else {})})
            elif endpoints:
                for line in views.render_endpoints(endpoints)[1:]:
                    console.out(line)
            return 0
        if not console.confirm("Apply these changes?", yes=yes):
            console.err("Nothing changed.")
            return 0

        def report(event, step):
            line = views.render_step(event, step)
            if line and not json_out:
                console.err(line)

        result = pipeline.apply(loaded, the_plan, reporter=report)
        endpoints = pipeline.endpoints(loaded) if result.ok else None
        if json_out:
            console.emit_json(
                "deploy",
                {
                    "ok": result.ok,
                    "applied": True,
                    "plan": plan_to_dict(the_plan),
                    "completed": [s.address + " " + s.type for s in result.completed],
                    "failed": None
                    if result.ok
                    else {"step": result.failed.type, "address": result.failed.address, "error": result.error.message},
                    "not_run": [s.address + " " + s.type for s in result.not_run],
                    "versions": {a: o["version"] for a, o in result.outputs.items() if "version" in o},
                    "endpoints": endpoints,
                },
            )
        if not result.ok:
            error = pipeline.failure_error(result)
            if json_out:
                console.fail(error, debug=debug)
            raise error
        if not json_out:
            counts = the_plan.counts()
            console.out(
                f"Deployed {the_plan.service} ({the_plan.stage}): {counts['create']} added, "
                f"{counts['update']} changed, {counts['delete']} destroyed."
            )
            for address, output in sorted(result.outputs.items()):
                if address.startswith("alias.") and "version" in output:
                    console.out(f"  {address} -> version {output['version']}")
            for line in views.render_endpoints(endpoints or {})[1:]:
                console.out(line)
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="deploy")


def info(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    json_out: Json = False,
    debug: Debug = False,
) -> None:
    """Show what is deployed: functions, versions, the alias target, the role."""

    def job() -> int:
        from fnship import pipeline

        loaded = pipeline.load(_options(config, stage, region, profile, local))
        data = pipeline.info(loaded)
        if json_out:
            console.emit_json("info", {"ok": True, **data})
        else:
            console.out(views.render_info(data))
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="info")


def remove(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    yes: Yes = False,
    json_out: Json = False,
    debug: Debug = False,
) -> None:
    """Delete everything this service and stage owns (resources carrying both ownership tags)."""

    def job() -> int:
        from fnship import pipeline
        from fnship.plan.serialize import plan_to_dict

        loaded = pipeline.load(_options(config, stage, region, profile, local))
        the_plan = pipeline.removal_plan(loaded)
        if not json_out:
            console.out(views.render_plan(the_plan))
        if the_plan.empty:
            if json_out:
                console.emit_json("remove", {"ok": True, "applied": False, "plan": plan_to_dict(the_plan)})
            return 0
        if not console.confirm(f"Remove {the_plan.service} ({the_plan.stage})?", yes=yes):
            console.err("Nothing removed.")
            return 0
        result = pipeline.apply(loaded, the_plan)
        if json_out:
            console.emit_json("remove", {"ok": result.ok, "applied": True, "plan": plan_to_dict(the_plan)})
        if not result.ok:
            raise pipeline.failure_error(result)
        if not json_out:
            console.out(f"Removed {the_plan.service} ({the_plan.stage}): {len(the_plan.changes)} resource(s).")
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="remove")
