"""`fn invoke`: call a function's alias on AWS, or run its handler on this machine with --local."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from fnship.cli import console
from fnship.cli.options import Config, Debug, Json, NoColor, Profile, Region, Stage, load_service

_RED, _DIM, _RESET = "\x1b[31m", "\x1b[2m", "\x1b[0m"


def _log_line(message: str) -> str:
    if not console.color_allowed():
        return message
    if message.startswith(("[ERROR]", "Traceback")) or "Task timed out after" in message:
        return f"{_RED}{message}{_RESET}"
    if message.startswith(("START RequestId", "END RequestId", "REPORT RequestId")):
        return f"{_DIM}{message}{_RESET}"
    return message


def invoke(
    source: Annotated[
        str | None, typer.Argument(metavar="[-]", help="`-` reads the event from stdin.", show_default=False)
    ] = None,
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Annotated[
        bool,
        typer.Option(
            "--local",
            help="Run the handler on this machine; with the embedded emulator its logs go to its CloudWatch Logs.",
        ),
    ] = False,
    function: Annotated[
        str | None, typer.Option("-f", "--function", help="The function (optional if only one).")
    ] = None,
    data: Annotated[str | None, typer.Option("-d", "--data", help="The event, as JSON text.")] = None,
    path: Annotated[str | None, typer.Option("-p", "--path", help="A JSON file with the event (- for stdin).")] = None,
    event: Annotated[
        str | None,
        typer.Option("-e", "--event", help="A sample event: s3, sqs, sns, http, httpApi, schedule, dynamodb."),
    ] = None,
    qualifier: Annotated[
        str | None, typer.Option("-q", "--qualifier", help="Alias or version to invoke (default: the release alias).")
    ] = None,
    log: Annotated[
        bool, typer.Option("-l", "--log", help="Print the log tail AWS returns and the executed version.")
    ] = False,
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", help="The tenant to run a tenant-isolated function (tenancy: per_tenant) for."),
    ] = None,
    stream: Annotated[
        bool | None,
        typer.Option(
            "--stream/--no-stream",
            help="Print the response as it arrives (InvokeWithResponseStream); default: when the function streams "
            "(url invokeMode RESPONSE_STREAM, http response.transferMode STREAM).",
            show_default=False,
        ),
    ] = None,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Invoke a function and print its response; a function error exits 1 with its type, message and trace."""

    def job() -> int:
        from fnship import invoke as core
        from fnship.errors import InputError

        if source not in (None, "-"):
            raise InputError(
                f"unexpected argument {source!r}", hint="pass the event with --data, --path or `-` (stdin)"
            )
        if source == "-" and path is not None:
            raise InputError("`-` and --path both give the event: pass only one")
        # --local runs the handler here. With the emulator up, everything (variables, logs, the handler's own AWS
        # calls) uses it; without it, as `sam local invoke` does, variables resolve against your AWS account.
        use_emulator = local and core.emulator_listening()
        notes = []
        if local and not use_emulator:
            notes.append(
                "the local emulator is not running: the handler runs here, its logs are not stored "
                "(`fn local start` to keep them for `fn logs --local`)"
            )
            if not json_out:  # with --json the document carries it (stderr stays silent on success)
                console.err(f"info: {notes[-1]}")
        loaded = load_service(config=config, stage=stage, region=region, profile=profile, local=use_emulator)
        key = core.choose_function(loaded.manifest, function)
        payload = core.read_payload(
            data=data, path="-" if source == "-" else path, event=event, region=loaded.manifest.region
        )
        # Without --local, the deployed function runs where it is deployed: on AWS, or in the embedded emulator
        # (FN_LOCAL=1), which runs the invoked version's code itself.
        if local:
            if qualifier not in (None, "$LATEST"):
                raise InputError("--qualifier names a published version or alias: --local runs the code on disk")
            # Locally the handler runs once, in this process: there is no tenant's environment to pick.
            core.check_tenant(loaded.manifest.functions[key], key, tenant)
            lines: list[str] = []

            def on_log(_stamp: int, message: str) -> None:
                lines.append(message)
                if not json_out:
                    console.err(_log_line(message))

            result = core.invoke_local(loaded, key, payload, on_log=on_log)
        else:
            lines = []
            streaming = stream if stream is not None else core.streams_response(loaded.manifest.functions[key])
            shown: list[bytes] = []

            def on_chunk(chunk: bytes) -> None:
                shown.append(chunk)
                if not json_out:  # as it arrives: a streamed response may take long to finish
                    sys.stdout.buffer.write(chunk)
                    sys.stdout.buffer.flush()

            result = core.invoke_remote(
                loaded,
                key,
                payload,
                qualifier=qualifier,
                log_tail=log or json_out,
                tenant=tenant,
                on_chunk=on_chunk if streaming else None,
            )
            if streaming and not json_out:
                if shown and not b"".join(shown).endswith(b"\n"):
                    print(flush=True)
                if result.ok:  # already printed
                    result.payload = b""
        if json_out:
            document = {
                "ok": result.ok,
                "function": result.function,
                "function_name": result.function_name,
                "qualifier": result.qualifier,
                "local": result.local,
                "status_code": result.status_code,
                "executed_version": result.executed_version,
                "payload": result.payload_value() if result.ok else None,
                "error": None if result.ok else result.error(),
                "log": "\n".join(lines) if result.local else result.log,
                "request_id": result.request_id,
                "log_stream": result.log_stream,
                "report": result.report or None,
                "warnings": result.warnings,
                "notes": notes,
            }
            console.emit_json("invoke", document)
            return 0 if result.ok else 1
        for warning in result.warnings:
            console.err(f"warning: {warning}")
        if log and not result.local:
            if result.log:
                for line in result.log.rstrip("\n").split("\n"):
                    console.err(_log_line(line))
            console.err(f"Executed version: {result.executed_version}")
        if not result.ok:
            error = result.error()
            console.err(f"Error: {error['type']}: {error['message']}")
            for line in error["trace"]:
                console.err(line.rstrip("\n"))
            return 1
        if result.payload.strip():
            value = result.payload_value()
            print(value if isinstance(value, str) else json.dumps(value, indent=2), flush=True)
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="invoke", no_color=no_color)
