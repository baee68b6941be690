"""Release progress for `fn deploy`: shift events as text lines (stderr) or collected for `--json`, and SIGTERM
treated like Ctrl-C while a release runs, so the shifter restores the old versions on both."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from fnship.cli import console
from fnship.jsonvalue import JsonValue

if TYPE_CHECKING:
    from fnship.strategies.shifter import Runtime

WAIT_LINE_EVERY_S = 60.0  # a baking step prints one line per minute (and whenever an alarm state changes)


def _clock_text(value: JsonValue) -> str:
    seconds = int(round(_seconds(value)))
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _seconds(value: JsonValue) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


class Progress:
    def __init__(self, *, json_mode: bool, write: Callable[[str], None] = console.err) -> None:
        self.json_mode = json_mode
        self.write = write
        self.events: list[dict[str, JsonValue]] = []
        self._lock = threading.Lock()
        self._last_wait: dict[str, tuple[float, JsonValue]] = {}

    def __call__(self, event: dict[str, JsonValue]) -> None:
        # Written under the lock: functions shift in parallel threads, and a print's text and newline are two
        # writes that would otherwise interleave.
        with self._lock:
            self.events.append(event)
            line = self.line(event)
            if line and not self.json_mode:
                self.write(line)

    def line(self, event: Mapping[str, JsonValue]) -> str | None:
        kind, fn = event["event"], str(event.get("function", ""))
        if kind == "shift":
            return (
                f"  ~ {fn}: {event['weight']:.0%} of {event['alias']} on the new version "
                f"(step {event['step']}/{event['steps']}, {_clock_text(event['remaining'])} left)"
            )
        if kind == "wait":
            alarms = event.get("alarms") or {}
            alarms = alarms if isinstance(alarms, Mapping) else {}
            remaining = _seconds(event["remaining"])
            last = self._last_wait.get(fn)
            due = last is None or last[0] - remaining >= WAIT_LINE_EVERY_S or last[1] != alarms
            if not due:
                return None
            self._last_wait[fn] = (remaining, alarms)
            states = ", ".join(f"{name} {state or 'missing'}" for name, state in alarms.items()) or "no alarms"
            return f"    {fn}: {event['weight']:.0%}, {_clock_text(event['remaining'])} left; {states}"
        if kind == "hook":
            return f"  · {fn}: {event['phase']} hook {event['target']}"
        if kind == "already_firing":
            return (
                f"  ! {fn}: alarm {', '.join(_names(event['alarms']))} already in ALARM before any traffic moved "
                "(the old version): it rolls back this release only if it recovers and fires again"
            )
        if kind == "released":
            return f"  ✓ {fn}: {event['alias']} -> version {event['version']} (100%)"
        if kind in ("rolled_back", "interrupted"):
            reason = f": {event['reason']}" if event.get("reason") else ""
            return f"  ↩ {fn}: {kind.replace('_', ' ')}{reason}; {event.get('alias', 'alias')} back on version " + str(
                event.get("version")
            )
        if kind == "failed":
            return f"  ✗ {fn}: {event.get('reason', 'failed')}"
        if kind == "interrupt":
            return f"Interrupted: {event['action']}..."
        return None


def _names(value: JsonValue) -> list[str]:
    return [str(name) for name in value] if isinstance(value, (list, tuple)) else [str(value)]


def runtime(*, json_mode: bool, on_interrupt: str) -> tuple[Runtime, Progress]:
    from fnship.strategies.shifter import Runtime

    progress = Progress(json_mode=json_mode)
    return Runtime(progress=progress, on_interrupt=on_interrupt), progress


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (CI cancelling a job) takes the same path as Ctrl-C: the shift restores the old versions."""

    def raise_interrupt(_signum, _frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, raise_interrupt)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
