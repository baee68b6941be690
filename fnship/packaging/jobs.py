"""Which artifact each function gets (see fnship/packaging/__init__.py for the rules), as a list of jobs: the
zips, prebuilt files, layers and images to produce, with what goes into each (patterns, Python requirements,
Node.js dependencies, an esbuild bundle, a compiler).

Reads the service directory only to find requirement files, package.json and handler sources: no building, no AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from fnship import runtimes
from fnship.errors import InputError
from fnship.frozen import frozen
from fnship.manifest.types import EsbuildOptions, FunctionSpec, KeyPath, LayerSpec, Manifest
from fnship.packaging import deps, handlers, node
from fnship.packaging.diagnostics import located
from fnship.packaging.platforms import RUNTIMES, Target


@frozen
class Job:
    """One artifact to produce. `kind` picks the builder in `BUILDERS`."""

    kind: str  # "zip": build from patterns; "prebuilt": use `path` as is; "layer"; "image"
    function_keys: tuple[str, ...]
    path: Path  # where the zip goes ("zip") or is ("prebuilt")
    key: KeyPath  # the manifest key errors point at: the patterns or the artifact
    patterns: tuple[str, ...] = ()
    requirements: deps.Requirements | None = None  # installed into the zip (or the layer's python/)
    target: Target | None = None
    name: str = ""
    node: NodeDeps | None = None  # Node.js dependencies installed into the zip (or the layer's nodejs/)
    bundle: Bundle | None = None  # an esbuild bundle replaces the code
    resolve_from: NodeDeps | None = None  # the bundle's imports resolve in this install (Lambda's platform)
    drop_host_modules: bool = False  # the host's node_modules stay out: Lambda gets its own install (or a layer's)
    modules_dir: str = "node_modules"  # where the host's node_modules of the function's project are
    compiler: str = ""  # go | rust: the zip is the bootstrap fnship compiles
    executables: frozenset[str] = frozenset()  # archive names packaged 0755 whatever their mode on disk


@dataclass(frozen=True, eq=False)
class NodeDeps:
    """A Node.js project's production dependencies, for one runtime and architecture, placed under `prefix`."""

    project: node.NodeProject
    target: node.NodeTarget
    prefix: str  # `node_modules/` goes here: the project's directory in the zip, or `nodejs/` in a layer
    only: tuple[str, ...] = ()  # a bundle's externals: only these are installed

    def ident(self) -> tuple[str, ...]:
        return ("node", str(self.project.directory), *self.project.key_material(), self.target.runtime,
                self.target.architecture, *self.only)  # fmt: skip


@frozen
class Bundle:
    """esbuild bundles the handler's module (`entry`, relative to the service) into `output` in the zip."""

    entry: str
    output: str
    runtime: str
    options: EsbuildOptions
    inputs: tuple[str, ...] = ()  # package.json and lockfile digests: the dependencies the bundle takes in


def _individual(manifest: Manifest, fn: FunctionSpec) -> bool:
    return manifest.package.individually or fn.package.individually or bool(fn.package.patterns)


def code_dir(manifest: Manifest, fn: FunctionSpec) -> Path:
    """The directory of the handler's module (`src/app.handler` -> src/), where its requirements may live."""
    handler = fn.handler or ""
    module = handler.rsplit(".", 1)[0]
    parent = Path(module).parent if "/" in module else Path(*module.split(".")[:-1]) if "." in module else Path()
    return manifest.root / parent


def _target(runtime: str, architecture: str) -> Target | None:
    return Target(runtime, architecture) if runtime in RUNTIMES else None


Finder = Callable[..., "deps.Requirements | None"]  # directories -> the first requirements found


class RequirementsFinder:
    """find_requirements, memoized per directory list (uv.lock exports run once)."""

    def __init__(self, manifest: Manifest, tools: deps.Tools) -> None:
        self.manifest = manifest
        self.tools = tools
        self.memo: dict[tuple[Path, ...], deps.Requirements | None] = {}

    def __call__(self, *directories: Path) -> deps.Requirements | None:
        unique = tuple(dict.fromkeys(d.resolve() for d in directories))
        if unique not in self.memo:
            self.memo[unique] = deps.find_requirements(
                unique, file_name=self.manifest.artifacts.build.requirements_file, tools=self.tools
            )
        return self.memo[unique]


NodeFinder = Callable[..., "node.NodeProject | None"]  # directories -> the first package.json's project


def _bundle_for(manifest: Manifest, fn: FunctionSpec) -> Bundle | None:
    """The esbuild bundle a Node.js function ships, the Serverless v4 way: with `build: esbuild` (or
    `build.esbuild`, or the serverless-esbuild plugin) every Node.js function; without, TypeScript handlers only;
    `build: {esbuild: false}` none."""
    build = manifest.artifacts.build
    if not fn.handler or not node.family_is_node(fn.runtime) or build.esbuild_off:
        return None
    ref = handlers.parse_handler(fn.runtime, fn.handler)
    if ref is None:
        return None
    existing = [c for c in ref.candidates if (manifest.root / c).is_file()]
    javascript = [c for c in existing if not node.is_typescript(c)]
    typescript = [c for c in existing if node.is_typescript(c)]
    if not existing or (build.compiler != "esbuild" and (javascript or not typescript)):
        return None
    options = build.esbuild
    return Bundle((javascript or typescript)[0], node.bundle_name(ref.module, options), fn.runtime, options)


def _node_deps(
    manifest: Manifest, fns: list[FunctionSpec], find_node: NodeFinder, *, only: tuple[str, ...] = ()
) -> NodeDeps | None:
    """The Node.js dependencies a zip of these functions carries: the package.json next to the first handler,
    else next to the manifest, installed for their runtime and architecture."""
    if not fns or not all(node.family_is_node(fn.runtime) for fn in fns):
        return None
    project = find_node(*[code_dir(manifest, fn) for fn in fns], manifest.root)
    if project is None:
        return None
    try:
        prefix = project.directory.resolve().relative_to(manifest.root.resolve()).as_posix()
    except ValueError:
        prefix = "."
    prefix = "" if prefix == "." else prefix + "/"
    return NodeDeps(project, node.NodeTarget(fns[0].runtime, fns[0].architecture), prefix, only)


def plan_jobs(
    manifest: Manifest, keys: list[str], out_dir: Path, find: Finder, find_node: NodeFinder = node.find_project
) -> list[Job]:
    """Decide which artifact each function gets (see the module docstring)."""
    jobs: list[Job] = []
    shared: list[str] = []
    in_zips = manifest.artifacts.build.dependencies == "function"
    compiler = manifest.artifacts.build.compiler
    for key in keys:
        fn = manifest.functions[key]
        fkey: KeyPath = ("functions", key, "package")
        target = _target(fn.runtime, fn.architecture)
        bundle = None if fn.package.artifact else _bundle_for(manifest, fn)
        provided = runtimes.family(fn.runtime) == "provided"
        executables = frozenset({"bootstrap"}) if provided else frozenset()
        if key in manifest.artifacts.function_images:
            image = manifest.artifacts.function_images[key]
            spec = manifest.artifacts.images.get(image.image)
            assembled = (
                spec is not None and spec.path is not None and not (manifest.root / spec.path / spec.file).is_file()
            )
            requirements = find(code_dir(manifest, fn), manifest.root) if assembled and target else None
            patterns = (*manifest.package.patterns, *fn.package.patterns) if assembled else ()
            jobs.append(Job("image", (key,), out_dir / "images" / key, ("functions", key, "image"), patterns,
                             requirements, target, name=image.image))  # fmt: skip
        elif fn.package.artifact:
            jobs.append(Job("prebuilt", (key,), manifest.root / fn.package.artifact, (*fkey, "artifact")))
        elif bundle is not None:
            # Bundled per function (Serverless v4): the bundle, plus the externals installed as dependencies.
            patterns = (*manifest.package.patterns, *fn.package.patterns)
            where = (*fkey, "patterns") if fn.package.patterns else ("package", "patterns")
            externals = tuple(node.externals_to_install(find_node(code_dir(manifest, fn), manifest.root),
                                                        bundle.options))  # fmt: skip
            deps_spec = _node_deps(manifest, [fn], find_node, only=externals) if externals and in_zips else None
            project = _node_deps(manifest, [fn], find_node)
            # esbuild resolves imports in the node_modules next to the sources first, as serverless-esbuild does;
            # without them, in the production dependencies installed for Lambda's platform.
            host = project is not None and (project.project.directory / "node_modules").is_dir()
            inputs = tuple(project.project.key_material()) if project is not None else ()
            jobs.append(Job("zip", (key,), out_dir / f"{key}.zip", where, patterns, node=deps_spec,
                             bundle=replace(bundle, inputs=inputs), resolve_from=None if host else project,
                             modules_dir=project.prefix + "node_modules" if project else "node_modules"))  # fmt: skip
        elif provided and compiler in ("go", "rust"):
            jobs.append(Job("zip", (key,), out_dir / f"{key}.zip", ("build",), (), compiler=compiler,
                             executables=executables))  # fmt: skip
        elif _individual(manifest, fn):
            patterns = (*manifest.package.patterns, *fn.package.patterns)
            where = (*fkey, "patterns") if fn.package.patterns else ("package", "patterns")
            requirements = find(code_dir(manifest, fn), manifest.root) if in_zips and target else None
            deps_spec = _node_deps(manifest, [fn], find_node)
            modules = deps_spec.prefix + "node_modules" if deps_spec else "node_modules"
            jobs.append(Job("zip", (key,), out_dir / f"{key}.zip", where, patterns, requirements, target,
                             node=deps_spec if in_zips else None, executables=executables,
                             drop_host_modules=deps_spec is not None, modules_dir=modules))  # fmt: skip
        else:
            shared.append(key)
    if shared and manifest.package.artifact:
        path = manifest.root / manifest.package.artifact
        jobs.append(Job("prebuilt", tuple(shared), path, ("package", "artifact")))
    elif shared:
        path = out_dir / f"{manifest.service}.zip"
        first = manifest.functions[shared[0]]
        target = _target(manifest.provider.runtime, manifest.provider.architecture)
        # One zip serves functions that may differ in runtime or architecture: its dependencies must fit all.
        targets = {(manifest.functions[k].runtime, manifest.functions[k].architecture) for k in shared}
        # Next to the handlers' modules first (in manifest order), then next to the manifest.
        code_dirs = [code_dir(manifest, manifest.functions[k]) for k in shared]
        requirements = find(*code_dirs, manifest.root) if in_zips and target else None
        deps_spec = _node_deps(manifest, [manifest.functions[k] for k in shared], find_node)
        drop_host_modules = deps_spec is not None
        modules_dir = deps_spec.prefix + "node_modules" if deps_spec else "node_modules"
        deps_spec = deps_spec if in_zips else None
        if (requirements is not None or deps_spec is not None) and len(targets) > 1:
            raise InputError(
                located(
                    manifest, ("functions", shared[0]),
                    f"functions {', '.join(shared)} share one zip with dependencies but differ in runtime or "
                    f"architecture ({', '.join(sorted(' '.join(t) for t in targets))})",
                    hint="set package.individually: true so each gets dependencies built for it",
                )
            )  # fmt: skip
        target = _target(first.runtime, first.architecture)
        provided = any(runtimes.family(manifest.functions[k].runtime) == "provided" for k in shared)
        jobs.append(Job("zip", tuple(shared), path, ("package", "patterns"), manifest.package.patterns,
                         requirements, target, node=deps_spec, drop_host_modules=drop_host_modules,
                         modules_dir=modules_dir,
                         executables=frozenset({"bootstrap"}) if provided else frozenset()))  # fmt: skip
    return jobs


def layer_jobs(
    manifest: Manifest, out_dir: Path, find: Finder, used: set[str], find_node: NodeFinder = node.find_project
) -> list[Job]:
    from fnship.manifest.artifacts import DEPENDENCY_LAYERS

    jobs = []
    for key, spec in manifest.artifacts.layers.items():
        if key not in used:
            continue
        runtime = layer_runtime(manifest, spec)
        arch = spec.compatible_architectures[0] if spec.compatible_architectures else manifest.provider.architecture
        target = _target(runtime, arch)
        directory = manifest.root if key in DEPENDENCY_LAYERS else manifest.root / spec.path
        requirements = find(directory) if target else None
        deps_spec = None
        if node.family_is_node(runtime):
            project = find_node(directory)
            # Lambda adds /opt/nodejs/node_modules to NODE_PATH: https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html
            deps_spec = NodeDeps(project, node.NodeTarget(runtime, arch), "nodejs/") if project else None
        jobs.append(Job("layer", (), out_dir / "layers" / f"{key}.zip", ("layers", key), (), requirements, target,
                         name=key, node=deps_spec))  # fmt: skip
    return jobs


def layer_runtime(manifest: Manifest, spec: LayerSpec) -> str:
    return spec.compatible_runtimes[0] if spec.compatible_runtimes else manifest.provider.runtime


def assembled(manifest: Manifest, job: Job) -> bool:
    spec = manifest.artifacts.images.get(job.name)
    return spec is not None and spec.path is not None and not (manifest.root / spec.path / spec.file).is_file()


def label(job: Job) -> str:
    if job.kind == "layer":
        return f"layer {job.name}"
    if job.kind == "image":
        return f"image {job.name} ({job.function_keys[0]})"
    return f"{job.kind} {', '.join(job.function_keys)}"
