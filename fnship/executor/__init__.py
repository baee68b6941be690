"""Apply a plan: the only code that mutates AWS.

One handler per step type, run in the plan's order. It stops at the first failure and reports what
completed, what failed and what did not run; because the plan diffs honest state, a re-run converges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fnship.errors import EXIT_INTERRUPTED, FnError
from fnship.executor import handlers, trigger_handlers
from fnship.executor.handlers import Context
from fnship.plan.diff import Plan, Step

# Step type -> handler: the spine's, then the triggers'. Merged here, explicitly, so a clash is visible.
HANDLERS = {**handlers.HANDLERS, **trigger_handlers.HANDLERS}
assert len(HANDLERS) == len(handlers.HANDLERS) + len(trigger_handlers.HANDLERS), "a step type has two handlers"

Reporter = Callable[[str, Step], None]  # ("start" | "done" | "failed", step)


@dataclass
class ApplyResult:
    completed: list[Step] = field(default_factory=list)
    failed: Step | None = None
    error: FnError | None = None
    not_run: list[Step] = field(default_factory=list)
    interrupted: bool = False  # `failed` was cut short by Ctrl-C or SIGTERM
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed is None


def apply_plan(
    plan: Plan,
    aws: Any,
    *,
    description: str,
    reporter: Reporter | None = None,
    release: dict[str, Any] | None = None,
    runtime: Any = None,
) -> ApplyResult:
    """`release` (id, commit, who) is what hooks are told; `runtime` drives traffic shifts (strategies.shifter)."""
    report = reporter or (lambda _event, _step: None)
    context = Context(aws=aws, plan=plan, description=description, release=dict(release or {}), runtime=runtime)
    result = ApplyResult(outputs=context.outputs)
    unknown = sorted({step.type for step in plan.steps} - set(HANDLERS))
    if unknown:
        raise AssertionError(f"no executor handler for step types {unknown}")
    for index, step in enumerate(plan.steps):
        report("start", step)
        try:
            HANDLERS[step.type](context, step)
        except FnError as exc:
            report("failed", step)
            result.failed, result.error = step, exc
            result.not_run = list(plan.steps[index + 1 :])
            return result
        except KeyboardInterrupt:
            # Ctrl-C (or SIGTERM, see cli.release_view): stop here and say what completed, what was cut short (its
            # call may or may not have reached AWS) and what did not run. A re-run converges.
            report("failed", step)
            interrupted = FnError(
                f"interrupted (Ctrl-C or SIGTERM) during {step.type} {step.address}",
                hint="run the same command again: it plans from live state and converges",
            )
            interrupted.exit_code = EXIT_INTERRUPTED
            result.failed, result.error, result.interrupted = step, interrupted, True
            result.not_run = list(plan.steps[index + 1 :])
            return result
        result.completed.append(step)
        report("done", step)
    return result
