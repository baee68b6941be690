"""Packaging a service: plan the jobs, check the inputs, build every artifact concurrently, check the limits.

Filesystem and the injected tools and clients: no AWS calls of its own (the shared cache and the image client are
injected).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

from fnship.errors import Diagnostic, InputError
from fnship.manifest.types import Manifest
from fnship.packaging import deps
from fnship.packaging.artifacts import Artifact, Packaged, Reporter
from fnship.packaging.build import BUILDERS, BuildContext
from fnship.packaging.cache import RemoteCache
from fnship.packaging.checks import handler_problems, input_problems, layer_fit, size_limits, wrong_architecture
from fnship.packaging.jobs import Job, RequirementsFinder, label, layer_jobs, plan_jobs
from fnship.packaging.selection import select_files
from fnship.packaging.zipper import DEFAULT_LEVEL
from fnship.paths import default_cache_dir

if TYPE_CHECKING:
    from fnship.packaging.images.registry import RegistryClient


def package_service(
    manifest: Manifest,
    *,
    out_dir: Path,
    only: Collection[str] | None = None,
    level: int = DEFAULT_LEVEL,
) -> dict[str, Artifact]:
    """Build (or hash) the artifact of every function; return function key -> Artifact, in manifest order."""
    return package_all(manifest, out_dir=out_dir, only=only, level=level).functions


def package_all(
    manifest: Manifest,
    *,
    out_dir: Path,
    only: Collection[str] | None = None,
    level: int = DEFAULT_LEVEL,
    tools: deps.Tools | None = None,
    cache_dir: Path | None = None,
    remote: RemoteCache | None = None,
    reporter: Reporter | None = None,
    workers: int = 4,
    container: str | None = None,
    image_client: Callable[[str], RegistryClient] | None = None,
) -> Packaged:
    """Build (or reuse) every function's artifact and the layers they use.

    `only` restricts packaging to those function keys. `container` (auto|always|never) overrides
    `provider.build.container`. Raises InputError (every problem at once) for an unknown function, bad patterns,
    a missing prebuilt artifact, an empty package or a size limit; FnError when a build fails.
    """
    if only is not None:
        unknown = sorted(set(only) - set(manifest.functions))
        if unknown:
            known = ", ".join(manifest.functions) or "none"
            raise InputError(
                [Diagnostic(f"unknown function {k!r}", key="functions", hint=f"functions: {known}") for k in unknown]
            )
    report = reporter or (lambda _event, _label: None)
    tools = tools or deps.Tools()
    build = manifest.artifacts.build
    options = deps.BuildOptions(container=container or build.container, build_image=build.build_image,
                                no_deploy=build.no_deploy)  # fmt: skip
    keys = [k for k in manifest.functions if only is None or k in only]
    out_dir = Path(out_dir)
    find = RequirementsFinder(manifest, tools)
    jobs = plan_jobs(manifest, keys, out_dir, find)
    # Every declared layer, as the Serverless Framework publishes them (a layers-only service shares libraries by
    # ARN); with `only` (-f), the layers those functions use.
    used_layers = (
        set(manifest.artifacts.layers)
        if only is None
        else {ref for k in keys for ref in manifest.artifacts.function_layers.get(k, ()) if not ref.startswith("arn:")}
    )
    jobs += layer_jobs(manifest, out_dir, find, used_layers)
    problems = input_problems(manifest, keys, jobs) + layer_fit(manifest, keys, jobs)
    if problems:
        raise InputError(problems)

    selections = select_files(manifest, jobs, out_dir)
    problems = handler_problems(manifest, jobs, selections) + wrong_architecture(manifest, keys, jobs, selections)
    if problems:
        raise InputError(problems)

    out_dir.mkdir(parents=True, exist_ok=True)
    concurrency = build.esbuild.concurrency
    ctx = BuildContext(
        manifest=manifest, selections=selections, level=level, tools=tools,
        cache_dir=cache_dir or default_cache_dir(), remote=remote, options=options,
        image_client=image_client, out_dir=out_dir, report=report, bundle_slots=threading.Semaphore(concurrency),
    )  # fmt: skip

    def build_one(job: Job) -> Artifact:
        what = label(job)
        report("start", what)
        artifact = BUILDERS[job.kind](job, ctx)
        report("done", what + (" (cached)" if artifact.cache_hit else ""))
        return artifact

    if len(jobs) == 1 or workers <= 1:
        built = [build_one(job) for job in jobs]  # no pool to start (nor concurrent.futures and logging to import)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fnship-build") as pool:
            built = list(pool.map(build_one, jobs))

    functions: dict[str, Artifact] = {}
    layers: dict[str, Artifact] = {}
    for job, artifact in zip(jobs, built, strict=True):
        if job.kind == "layer":
            layers[job.name] = artifact
        for key in job.function_keys:
            functions[key] = artifact
    packaged = Packaged({k: functions[k] for k in keys}, layers)
    limits = size_limits(manifest, packaged, keys)
    if limits:
        raise InputError(limits)
    return packaged


def check_handlers(manifest: Manifest, *, out_dir: Path) -> None:
    """What `fn validate` checks of the code without building anything: every handler's file is in its package
    and defines the function. Raises InputError with every problem."""
    keys = [k for k in manifest.functions if k not in manifest.artifacts.function_images]

    def no_requirements(*_directories: Path) -> None:
        return None  # which files ship does not depend on them: nothing is installed here

    jobs = plan_jobs(manifest, keys, out_dir, no_requirements)
    used = {ref for k in keys for ref in manifest.artifacts.function_layers.get(k, ()) if not ref.startswith("arn:")}
    jobs += layer_jobs(manifest, out_dir, no_requirements, used)
    problems = input_problems(manifest, keys, jobs)
    if problems:
        raise InputError(problems)
    problems = handler_problems(manifest, jobs, select_files(manifest, jobs, out_dir, empty_ok=True))
    if problems:
        raise InputError(problems)
