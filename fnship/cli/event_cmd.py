"""`fn event TYPE`: print a sample event for a trigger type, to edit or to pipe into `fn invoke -`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from fnship.cli import console
from fnship.cli.options import Debug


def event(
    kind: Annotated[str, typer.Argument(metavar="TYPE", help="s3, sqs, sns, http, httpApi, schedule or dynamodb.")],
    region: Annotated[str, typer.Option("-r", "--region", help="The region the sample names.")] = "us-east-1",
    debug: Debug = False,
) -> None:
    """Print a realistic sample event for a trigger type (JSON on stdout)."""

    def job() -> int:
        from fnship.local.events import Where, sample_event

        console.out(json.dumps(sample_event(kind, Where(region=region)), indent=2))
        return 0

    console.run(job, debug=debug, command="event")
