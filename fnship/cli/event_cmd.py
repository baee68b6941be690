"""`fn event TYPE`: print a sample event for a trigger type, to edit or to pipe into `fn invoke -`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from fnship.cli import console
from fnship.cli.options import Debug, Json, NoColor


def event(
    kind: Annotated[str, typer.Argument(metavar="TYPE", help="s3, sqs, sns, http, httpApi, schedule or dynamodb.")],
    region: Annotated[str, typer.Option("-r", "--region", help="The region the sample names.")] = "us-east-1",
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Print a realistic sample event for a trigger type: the event itself (JSON), or with --json the usual
    document carrying it in `event`."""

    def job() -> int:
        from fnship.local.events import Where, sample_event

        sample = sample_event(kind, Where(region=region))
        if json_out:
            console.emit_json("event", {"ok": True, "type": kind, "event": sample})
        else:
            console.out(json.dumps(sample, indent=2))
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="event", no_color=no_color)
