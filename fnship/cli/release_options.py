"""Options of safe releases, shared by `fn deploy`, `fn rollback` and `fn plan`."""

from __future__ import annotations

from typing import Annotated

import typer

Strategy = Annotated[
    str | None,
    typer.Option(
        "--strategy",
        help="Traffic shifting for this deploy: AllAtOnce, Canary10Percent5Minutes, Linear10PercentEvery1Minute, ..., "
        "or 'canary 25% 90s', 'linear 20% every 30s'. Overrides the manifest.",
    ),
]
OnInterrupt = Annotated[
    str,
    typer.Option(
        "--on-interrupt",
        help="Ctrl-C or SIGTERM during a shift: 'rollback' restores the old versions, 'continue' keeps shifting.",
    ),
]
WaitLock = Annotated[
    float,
    typer.Option("--wait-lock", help="Wait up to SECONDS for another deploy's lock instead of failing at once."),
]

ON_INTERRUPT_CHOICES = ("rollback", "continue")


def check_on_interrupt(value: str) -> None:
    from fnship.errors import InputError

    if value not in ON_INTERRUPT_CHOICES:
        raise InputError(f"--on-interrupt {value!r}: use one of {', '.join(ON_INTERRUPT_CHOICES)}")


def lock_waiting(holder) -> None:
    from fnship.cli import console

    console.err(f"Waiting for the deploy lock held by {holder.describe()} ...")
