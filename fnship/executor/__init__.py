"""Apply a plan: run its steps, each with its kind's handler (fnship/kinds), the only code that mutates AWS.

A step runs once every step it waits for (`Step.after`) has completed; steps with nothing between them run at the
same time, a few at once. At the first failure nothing new starts: the steps already running finish, and the
result says what completed, what failed and what did not run. Because the plan diffs honest state, a re-run
converges. Handlers do what the plan says and nothing else: no second diff, no silent skip.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fnship.errors import EXIT_INTERRUPTED, FnError
from fnship.kinds import HANDLERS
from fnship.kinds.base import Context, Outputs
from fnship.model.address import Address
from fnship.plan.diff import Plan, Step

if TYPE_CHECKING:
    from fnship.aws import Aws
    from fnship.strategies.shifter import Runtime

Reporter = Callable[[str, Step], None]  # ("start" | "done" | "failed", step)

# How many steps run at once. The AWS layer paces calls per API family (fnship/aws/limits.py); this only bounds
# the threads, and is large enough that steps waiting on one family's budget (log groups at 5 writes/s) leave
# threads for the others (Lambda's 15 writes/s), so the families' budgets are spent at the same time.
MAX_PARALLEL_STEPS = 16
# The release shift waits and watches for Ctrl-C: it runs on the main thread, with nothing else running.
MAIN_THREAD_STEPS = frozenset({"release.shift"})


@dataclass
class ApplyResult:
    completed: list[Step] = field(default_factory=list)
    failed: Step | None = None
    error: FnError | None = None
    not_run: list[Step] = field(default_factory=list)
    interrupted: bool = False  # Ctrl-C or SIGTERM: `failed` (and `also_failed`) were cut short
    outputs: Outputs = field(default_factory=dict)
    also_failed: list[tuple[Step, FnError]] = field(default_factory=list)  # failed while the first failure ran

    @property
    def ok(self) -> bool:
        return self.failed is None and not self.interrupted


def by_function(steps: tuple[Step, ...] | list[Step]) -> list[Step]:
    """The order in which ready steps are started: shared resources first, then function by function (a function's
    log group, role, function, version, alias, triggers), each in plan order. Started kind by kind instead, every
    log group would go first at the Logs write rate, then every role at IAM's, and Lambda's budget would sit idle
    until then; function by function, the first functions' Lambda writes start while later roles are made."""
    rank: dict[str | None, int] = {None: -1}
    for step in steps:
        rank.setdefault(Address(step.address).function_key, len(rank))
    position = {step.key: index for index, step in enumerate(steps)}
    return sorted(steps, key=lambda step: (rank[Address(step.address).function_key], position[step.key]))


def apply_plan(
    plan: Plan,
    aws: Aws,
    *,
    description: str,
    reporter: Reporter | None = None,
    release: Mapping[str, str | None] | None = None,
    runtime: Runtime | None = None,
    parallel: int = MAX_PARALLEL_STEPS,
    beside_last: Callable[[tuple[Step, ...], Outputs], None] | None = None,
) -> ApplyResult:
    """`release` (id, commit, who) is what hooks are told; `runtime` drives traffic shifts (strategies.shifter).
    `beside_last` is told, once, when every step has started and none has failed: the steps still running and the
    outputs so far (what a caller may do beside the last round of calls instead of after it; it must not block)."""
    lock = threading.Lock()

    def report(event: str, step: Step) -> None:
        if reporter is not None:
            with lock:  # progress views are not thread-safe
                reporter(event, step)

    context = Context(aws=aws, plan=plan, description=description, release=dict(release or {}), runtime=runtime,
                      report=report)  # fmt: skip
    result = ApplyResult(outputs=context.outputs)
    unknown = sorted({step.type for step in plan.steps} - set(HANDLERS))
    if unknown:
        raise AssertionError(f"no executor handler for step types {unknown}")
    completed: set[str] = set()
    finished: set[str] = set()  # completed or failed

    def run(step: Step) -> None:
        report("start", step)
        HANDLERS[step.type](context, step)

    def settle(step: Step, error: BaseException | None) -> None:
        finished.add(step.key)
        if error is None:
            completed.add(step.key)
            result.completed.append(step)
            report("done", step)
            return
        if not isinstance(error, FnError):
            raise error
        report("failed", step)
        if result.failed is None:
            result.failed, result.error = step, error
        else:
            result.also_failed.append((step, error))

    running: dict[Future[None], Step] = {}
    inline: Step | None = None  # a main-thread step while it runs
    slots = max(1, parallel)
    candidates = by_function(plan.steps)
    with ThreadPoolExecutor(max_workers=slots, thread_name_prefix="fnship-apply") as pool:
        try:
            while True:
                started = False
                busy = {step.key for step in running.values()}
                for step in candidates if result.failed is None else ():
                    if step.key in finished or step.key in busy or not all(k in completed for k in step.after):
                        continue
                    if len(running) >= slots:
                        break  # queued work would start after a failure: submit only what can run now
                    if step.type in MAIN_THREAD_STEPS:
                        if running:
                            continue  # it runs alone, once the others finish
                        inline = step
                        try:
                            run(step)
                        except KeyboardInterrupt:
                            raise
                        except BaseException as exc:  # noqa: BLE001 - an FnError is a result; the rest re-raised
                            settle(step, exc)
                        else:
                            settle(step, None)
                        inline = None
                        started = True
                        break  # what it unblocked is found on the next pass
                    running[pool.submit(run, step)] = step
                    started = True
                nothing_left = len(finished) + len(running) == len(plan.steps)
                if beside_last is not None and running and result.failed is None and nothing_left:
                    beside_last(tuple(running.values()), context.outputs)
                    beside_last = None
                if not running:
                    if started:
                        continue
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    settle(running.pop(future), future.exception())
        except KeyboardInterrupt:
            # Ctrl-C (or SIGTERM, see cli.release_view): nothing new starts, and the steps in flight are cut short
            # (their calls may or may not have reached AWS; they are waited for, so no thread is left behind). The
            # result says what completed, what was cut short and what did not run; a re-run converges.
            result.interrupted = True
            cut = [step for step in plan.steps if step in running.values() or step == inline]
            wait(running)
            running.clear()
            for step in cut:
                finished.add(step.key)
                report("failed", step)
                error = FnError(
                    f"interrupted (Ctrl-C or SIGTERM) during {step.type} {step.address}",
                    hint="run the same command again: it plans from live state and converges",
                )
                error.exit_code = EXIT_INTERRUPTED
                if result.failed is None:
                    result.failed, result.error = step, error
                else:
                    result.also_failed.append((step, error))
            if result.failed is None:  # between two steps
                error = FnError("interrupted (Ctrl-C or SIGTERM)", hint="run the same command again: it converges")
                error.exit_code = EXIT_INTERRUPTED
                result.error = error
        except BaseException:
            for future in running:
                future.cancel()
            raise
    result.not_run = [step for step in plan.steps if step.key not in finished]
    return result
