"""Every input problem found before or while building: bad patterns, missing or bad prebuilt artifacts, handlers
that are not in their package, layers built for another runtime or architecture, native code for the wrong
machine, bootstraps that cannot run, and Lambda's size limit.

Reads files and zip headers: no building, no AWS.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from fnship import runtimes
from fnship.errors import Diagnostic
from fnship.manifest.types import KeyPath, Manifest
from fnship.packaging import compiled, elfcheck, handlers
from fnship.packaging.artifacts import Packaged
from fnship.packaging.diagnostics import located
from fnship.packaging.jobs import Job
from fnship.packaging.patterns import pattern_problem
from fnship.packaging.platforms import MACHINES

# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
UNZIPPED_LIMIT = 250 * 1024 * 1024


def input_problems(manifest: Manifest, keys: list[str], jobs: list[Job]) -> list[Diagnostic]:
    """Every input problem found before any file is written."""
    problems: list[Diagnostic] = []
    pattern_lists: list[tuple[KeyPath, tuple[str, ...]]] = [(("package", "patterns"), manifest.package.patterns)]
    pattern_lists += [(("functions", k, "package", "patterns"), manifest.functions[k].package.patterns) for k in keys]
    for where, patterns in pattern_lists:
        for i, p in enumerate(patterns):
            if problem := pattern_problem(p):
                problems.append(located(manifest, (*where, i), problem))
    for job in jobs:
        if job.kind == "zip" and len(job.function_keys) == 1:
            key = job.function_keys[0]
            if "/" in key or "\\" in key or key in ("", ".", ".."):
                problems.append(located(manifest, ("functions", key), f"function key {key!r} is not a file name"))
        if job.kind == "prebuilt" and not job.path.is_file():
            problems.append(
                located(
                    manifest,
                    job.key,
                    f"the artifact {job.path} does not exist",
                    hint="build the zip first, or remove `artifact` to let fn package the code",
                )
            )
        elif job.kind == "prebuilt" and not zipfile.is_zipfile(job.path):
            problems.append(located(manifest, job.key, f"the artifact {job.path} is not a zip file"))
        if job.kind == "layer":
            spec = manifest.artifacts.layers[job.name]
            if not (manifest.root / spec.path).is_dir():
                problems.append(
                    located(manifest, (*job.key, "path"), f"the layer directory {spec.path} does not exist")
                )
    return problems


def handler_problems(
    manifest: Manifest, jobs: list[Job], selections: dict[Job, list[tuple[str, Path]]]
) -> list[Diagnostic]:
    """Every function's handler file must be in what it ships (its zip, then its layers), and define the named
    function where that can be seen without running it."""
    layer_files = {job.name: dict(selections.get(job, [])) for job in jobs if job.kind == "layer"}
    problems = []
    for job in jobs:
        if job.kind not in ("zip", "prebuilt"):
            continue
        if job.kind == "prebuilt":
            files = {name: job.path for name in _zip_names(job.path)}
        else:
            files = dict(selections.get(job, []))
        for key in job.function_keys:
            fn = manifest.functions[key]
            layered: dict[str, Path] = {}
            for ref in manifest.artifacts.function_layers.get(key, ()):
                layered.update(layer_files.get(ref, {}))
            if runtimes.family(fn.runtime) == "provided" and not job.compiler:
                if job.kind == "prebuilt" and "bootstrap" in files:
                    problem = compiled.header_problem(_zip_head(job.path, "bootstrap"), architecture=fn.architecture)
                else:
                    bootstrap = files.get("bootstrap") or layered.get("bootstrap")
                    problem = compiled.bootstrap_problem(bootstrap, architecture=fn.architecture)
                if problem is not None:
                    problems.append(located(manifest, ("functions", key, "handler"), problem[0], hint=problem[1]))
                continue
            handler_ref = handlers.parse_handler(fn.runtime, fn.handler) if fn.handler else None
            if handler_ref is None or not fn.handler:
                continue
            # A TypeScript handler is found among the sources, before it is bundled.
            sources = {c: manifest.root / c for c in handler_ref.candidates if (manifest.root / c).is_file()}
            if job.kind == "prebuilt":
                found = handlers.check_handler(fn.runtime, fn.handler, files, layer_files=layered, sources={})
                if found is not None and "does not define" in found.message:
                    continue  # a prebuilt zip's sources are not read here
            else:
                found = handlers.check_handler(fn.runtime, fn.handler, files, layer_files=layered, sources=sources)
            if found is not None:
                where: KeyPath = ("functions", key, "handler")
                problems.append(located(manifest, where, found.message, hint=found.hint))
    return problems


def _zip_head(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf, zf.open(name) as member:
        return member.read(20)


def _zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [info.filename for info in zf.infolist() if not info.is_dir()]


def layer_fit(manifest: Manifest, keys: list[str], jobs: list[Job]) -> list[Diagnostic]:
    """A layer carrying native dependencies runs only on the runtime and architecture it was built for."""
    problems = []
    for job in jobs:
        if job.kind != "layer" or job.target is None:
            continue
        spec = manifest.artifacts.layers[job.name]
        for key in keys:
            if job.name not in manifest.artifacts.function_layers.get(key, ()):
                continue
            fn = manifest.functions[key]
            declared = spec.compatible_architectures
            wrong_arch = fn.architecture not in declared if declared else (
                job.requirements is not None and fn.architecture != job.target.architecture
            )  # fmt: skip
            wrong_python = job.requirements is not None and fn.runtime != job.target.runtime
            if wrong_arch or wrong_python:
                problems.append(
                    located(
                        manifest, ("functions", key, "layers"),
                        f"function {key} ({fn.runtime} {fn.architecture}) uses layer {job.name}, built for "
                        f"{job.target.runtime} {job.target.architecture}",
                        hint=f"set layers.{job.name}.compatibleRuntimes/compatibleArchitectures to match, or use "
                        "a layer per architecture",
                    )
                )  # fmt: skip
    return problems


def wrong_architecture(
    manifest: Manifest, keys: list[str], jobs: list[Job], selections: dict[Job, list[tuple[str, Path]]]
) -> list[Diagnostic]:
    """Never ship the wrong architecture: every native extension going into an artifact from the service
    directory (code, a layer's directory, a prebuilt zip) must be built for each architecture that runs it.
    Installed dependencies are checked as they are installed (deps.install). Reads headers only, so it runs on
    every build, cache hits included (a zip's cache key does not include the architecture)."""
    problems = []
    for job in jobs:
        if job.kind == "layer":
            spec = manifest.artifacts.layers[job.name]
            users = [k for k in keys if job.name in manifest.artifacts.function_layers.get(k, ())]
            architectures = set(spec.compatible_architectures) or {manifest.functions[k].architecture for k in users}
            what = f"layer {job.name}"
        else:
            architectures = {manifest.functions[k].architecture for k in job.function_keys}
            what = f"function{'s' if len(job.function_keys) > 1 else ''} {', '.join(job.function_keys)}"
        natives = _prebuilt_natives(job.path) if job.kind == "prebuilt" else [
            (rel, elfcheck.machine_of(path)) for rel, path in selections.get(job, []) if elfcheck.is_native(rel)
        ]  # fmt: skip
        for architecture in sorted(architectures & set(MACHINES)):
            machine = MACHINES[architecture]
            wrong = [(rel, found) for rel, found in natives if found != machine]
            if not wrong:
                continue
            listed = "; ".join(f"{rel} ({found})" for rel, found in wrong[:10])
            where = job.key if job.kind in ("layer", "prebuilt") else ("functions", job.function_keys[0])
            problems.append(
                located(
                    manifest, where,
                    f"{what} runs on {architecture} ({machine}) but would ship native extensions built for "
                    f"another machine: {listed}",
                    hint="list the package in requirements.txt so fn installs it for the function's architecture, "
                    "or exclude the file with a `!` pattern",
                )
            )  # fmt: skip
    return problems


def _prebuilt_natives(path: Path) -> list[tuple[str, str]]:
    with zipfile.ZipFile(path) as zf:
        return [
            (info.filename, elfcheck.machine_of_header(zf.open(info).read(20)))
            for info in zf.infolist()
            if not info.is_dir() and elfcheck.is_native(info.filename)
        ]


def bootstrap_problems(manifest: Manifest, job: Job, entries: list[tuple[str, Path]]) -> list[Diagnostic]:
    """A compiled bootstrap must be an ELF executable (or a script) for the function's architecture."""
    if job.kind != "zip" or not job.executables:
        return []
    problems = []
    files = dict(entries)
    for key in job.function_keys:
        fn = manifest.functions[key]
        problem = compiled.bootstrap_problem(files.get("bootstrap"), architecture=fn.architecture)
        if problem is not None:
            problems.append(located(manifest, ("functions", key, "handler"), problem[0], hint=problem[1]))
    return problems


def size_limits(manifest: Manifest, packaged: Packaged, keys: list[str]) -> list[Diagnostic]:
    """Lambda's 250 MB unzipped limit for a function and its layers, checked before any AWS call."""
    problems = []
    for key in keys:
        artifact = packaged.functions[key]
        if artifact.kind == "image":
            continue
        layers = [packaged.layers[r] for r in manifest.artifacts.function_layers.get(key, ()) if r in packaged.layers]
        total = artifact.unzipped_size + sum(layer.unzipped_size for layer in layers)
        if total > UNZIPPED_LIMIT:
            zips = [a.path for a in (artifact, *layers) if zipfile.is_zipfile(a.path)]
            dirs = sorted((d for path in zips for d in _top_dirs(path)), key=lambda d: -d[1])
            largest = ", ".join(f"{name} {_mb(size)}" for name, size in dirs[:5])
            problems.append(
                located(
                    manifest, ("functions", key),
                    f"function {key} is {_mb(total)} unzipped with its layers, above the Lambda limit of 250 MB; "
                    f"largest: {largest}",
                    hint="exclude what the function does not need with package.patterns or "
                    "custom.pythonRequirements.noDeploy, or use a container image (up to 10 GB)",
                )
            )  # fmt: skip
    return problems


def _top_dirs(path: Path) -> list[tuple[str, int]]:
    """The biggest top-level directories of a zip (under python/ for a layer), by unzipped size."""
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            parts = info.filename.split("/")
            top = "/".join(parts[:2]) if parts[0] == "python" and len(parts) > 2 else parts[0]
            sizes[top] = sizes.get(top, 0) + info.file_size
    return sorted(sizes.items(), key=lambda kv: -kv[1])[:5]


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
