"""Progress for long work: on a terminal a rich spinner or bar with elapsed time; otherwise plain lines on
stderr (one per finished step, so CI logs say what happened); nothing at all in JSON mode."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING

from fnship.cli import console

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, TaskID

    from fnship.plan.diff import Step

RICH, LINES, QUIET = "rich", "lines", "quiet"


def mode_for(*, json_mode: bool) -> str:
    if json_mode:
        return QUIET
    return RICH if console.live_output() else LINES


def _progress(rich_console: Console, *, bar: bool) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns: list[ProgressColumn] = [SpinnerColumn(), TextColumn("{task.description}")]
    if bar:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    return Progress(*columns, console=rich_console, transient=False)


@contextlib.contextmanager
def working(label: str, *, mode: str, rich_console: Console | None = None) -> Iterator[None]:
    """A spinner with elapsed time around work of unknown length (building, reading live state)."""
    if mode != RICH:
        yield
        return
    with _progress(rich_console or console.rich_console(), bar=False) as progress:
        task = progress.add_task(label, total=None)
        yield
        progress.update(task, description=f"{label} done", total=1, completed=1)


# Beyond this many steps or artifacts a terminal shows one bar and what is in flight, not a line (or a spinner) per
# item: 100 functions make 600 steps, which would scroll the plan away. Failures are always printed.
ITEM_LINES_MAX = 40
IN_FLIGHT_SHOWN = 3
LOG_EVERY = 10  # a log (no terminal) of a larger plan says how far it got ten times


def _in_flight(names: list[str]) -> str:
    """`a, b, c +4 more`: what is under way, in a line that stays short."""
    shown = ", ".join(names[:IN_FLIGHT_SHOWN])
    return shown + (f" +{len(names) - IN_FLIGHT_SHOWN} more" if len(names) > IN_FLIGHT_SHOWN else "")


class StepReporter:
    """The executor's reporter (`(event, step)`), safe to call from the threads of concurrent steps: a bar over
    the plan's steps on a terminal, naming the steps in flight, with a line per finished step while the plan is
    small (ITEM_LINES_MAX) and a count per step type at the end when it is not. Without a terminal (CI logs), a
    line per finished step while the plan is small; for a larger one a line at every tenth of the steps, then
    the count per step type (failures are always named). Use as a context manager around `pipeline.apply`."""

    def __init__(self, total: int, *, mode: str, label: str = "Applying", rich_console: Console | None = None) -> None:
        self.total = total
        self.mode = mode
        self.label = label
        self._rich_console = rich_console
        self._bar: tuple[Progress, TaskID] | None = None  # on a terminal, between __enter__ and __exit__
        self._lock = threading.Lock()
        self._running: dict[int, str] = {}
        self._done: Counter[str] = Counter()
        self._lines = total <= ITEM_LINES_MAX

    def __enter__(self) -> StepReporter:
        if self.mode == RICH:
            progress = _progress(self._rich_console or console.rich_console(), bar=True)
            progress.__enter__()
            self._bar = (progress, progress.add_task(self.label, total=self.total))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        summary = ", ".join(f"{kind} {count}" for kind, count in sorted(self._done.items()))
        if self._bar is not None:
            progress, task = self._bar
            progress.update(task, description=self.label + (" stopped" if exc_type else " done"))
            progress.__exit__(exc_type, exc, tb)
            if not self._lines and self._done:
                progress.console.print(f"  ✓ {summary}", markup=False, highlight=False)
        elif self.mode == LINES and not self._lines and self._done:
            console.err(f"  ✓ {summary}")

    def __call__(self, event: str, step: Step) -> None:
        if self.mode == QUIET:
            return
        from fnship.cli.views import render_step  # the plan views cost imports `fn package` does not need

        line = render_step(event, step)
        with self._lock:
            if self.mode != RICH:
                if event == "done":
                    self._done[step.type] += 1
                if self._lines or event != "done":
                    if line:
                        console.err(line)
                    return
                # A large plan in a log: a line at every tenth of the steps, then the count per step type.
                done = sum(self._done.values())
                if done * LOG_EVERY // self.total != (done - 1) * LOG_EVERY // self.total:
                    console.err(f"  {self.label}: {done}/{self.total} steps done")
                return
            if self._bar is None:
                return  # (not entered)
            progress, task = self._bar
            if event == "start":
                self._running[id(step)] = f"{step.type} {step.address}"
            else:
                self._running.pop(id(step), None)
                if event == "done":
                    self._done[step.type] += 1
                    progress.advance(task)
                if line and (self._lines or event != "done"):
                    progress.console.print(line, markup=False, highlight=False)
            running = list(self._running.values())
            progress.update(task, description=f"{self.label}: {_in_flight(running)}" if running else self.label)


@contextlib.contextmanager
def building(*, mode: str, rich_console: Console | None = None) -> Iterator[Callable[[str, str], None]]:
    """A reporter for packaging (`(event, label)`, called from build threads): on a terminal one line naming what
    is being built and how many are done (cached ones counted apart), a line per finished artifact otherwise,
    nothing in JSON mode."""
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
    lock = threading.Lock()
    building_now: dict[str, None] = {}
    counts = {"built": 0, "cached": 0}
    with _progress(rich_console or console.rich_console(), bar=False) as progress:
        task = progress.add_task("Building", total=None)

        def live(event: str, label: str) -> None:
            base = label.removesuffix(" (cached)")
            with lock:
                if event == "warning":
                    progress.console.print(f"warning: {label}", style="yellow", markup=False, highlight=False)
                    return
                if event == "start":
                    building_now[base] = None
                else:
                    building_now.pop(base, None)
                    counts["cached" if label.endswith(" (cached)") else "built"] += 1
                done = f"{counts['built']} built, {counts['cached']} cached"
                now = f"; building {_in_flight(list(building_now))}" if building_now else ""
                progress.update(task, description=f"Building artifacts: {done}{now}")

        yield live
        progress.update(task, description=f"Built artifacts: {counts['built']} built, {counts['cached']} cached",
                        total=1, completed=1)  # fmt: skip
