"""Progress for long work: on a terminal a rich spinner or bar with elapsed time; otherwise plain lines on
stderr (one per finished step, so CI logs say what happened); nothing at all in JSON mode."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from fnship.cli import console

RICH, LINES, QUIET = "rich", "lines", "quiet"


def mode_for(*, json_mode: bool) -> str:
    if json_mode:
        return QUIET
    return RICH if console.live_output() else LINES


def _progress(rich_console: Any, *, bar: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if bar:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    return Progress(*columns, console=rich_console, transient=False)


@contextlib.contextmanager
def working(label: str, *, mode: str, rich_console: Any = None) -> Iterator[None]:
    """A spinner with elapsed time around work of unknown length (building, reading live state)."""
    if mode != RICH:
        yield
        return
    with _progress(rich_console or console.rich_console(), bar=False) as progress:
        task = progress.add_task(label, total=None)
        yield
        progress.update(task, description=f"{label} done", total=1, completed=1)


class StepReporter:
    """The executor's reporter (`(event, step)`): a bar over the plan's steps on a terminal, a line per
    finished step otherwise. Use as a context manager around `pipeline.apply`."""

    def __init__(self, total: int, *, mode: str, label: str = "Applying", rich_console: Any = None) -> None:
        self.total = total
        self.mode = mode
        self.label = label
        self._rich_console = rich_console
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> StepReporter:
        if self.mode == RICH:
            self._progress = _progress(self._rich_console or console.rich_console(), bar=True)
            self._progress.__enter__()
            self._task = self._progress.add_task(self.label, total=self.total)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=self.label + (" stopped" if exc[0] else " done"))
            self._progress.__exit__(*exc)

    def __call__(self, event: str, step: Any) -> None:
        if self.mode == QUIET:
            return
        from fnship.cli.views import render_step  # the plan views cost imports `fn package` does not need

        if self.mode == RICH:
            if event == "start":
                self._progress.update(self._task, description=f"{self.label}: {step.type} {step.address}")
                return
            line = render_step(event, step)
            if line:
                self._progress.console.print(line, markup=False, highlight=False)
            if event == "done":
                self._progress.advance(self._task)
            return
        line = render_step(event, step)
        if line:
            console.err(line)


@contextlib.contextmanager
def building(*, mode: str, rich_console: Any = None) -> Iterator[Any]:
    """A reporter for packaging (`(event, label)`, called from build threads): one spinner per artifact on a
    terminal, a line per finished artifact otherwise, nothing in JSON mode."""
    if mode == QUIET:
        yield lambda _event, _label: None
        return
    if mode != RICH:

        def lines(event: str, label: str) -> None:
            if event == "done":
                console.err(f"  built {label}")
            elif event == "warning":
                console.err(f"warning: {label}")

        yield lines
        return
    tasks: dict[str, Any] = {}
    with _progress(rich_console or console.rich_console(), bar=False) as progress:

        def live(event: str, label: str) -> None:
            base = label.removesuffix(" (cached)")
            if event == "start":
                tasks[base] = progress.add_task(f"Building {label}", total=None)
            elif event == "warning":
                progress.console.print(f"warning: {label}", style="yellow", markup=False, highlight=False)
            elif base in tasks:
                progress.update(tasks[base], description=f"Built {label}", total=1, completed=1)

        yield live
