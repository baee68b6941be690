"""Node.js functions: production dependencies installed for Lambda's Linux and the function's architecture, and
esbuild bundles.

Filesystem, subprocesses (the injected Tools runner) and, once, the npm registry (to fetch esbuild when the
project has none): no AWS, no manifest parsing.

Dependencies are installed from the lockfile with its package manager (npm for package-lock.json and
npm-shrinkwrap.json; yarn and pnpm when installed, npm otherwise), production only, install scripts off, and for
Linux, glibc and the function's CPU whatever machine runs fn: `npm ci --omit=dev --os=linux --cpu=x64|arm64
--libc=glibc`, so packages that ship prebuilt binaries per platform through optional dependencies (esbuild,
sharp, ...) get Lambda's. A package that compiles with node-gyp is built in the Lambda build image by a container
engine, or refused by name. The installed tree is cached by package.json, lockfile, runtime and architecture in
the same cache as Python's (deps.cached_tree).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import platform
import re
import shutil
import stat
import tarfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fnship import runtimes
from fnship.errors import Diagnostic, FnError, InputError, Location
from fnship.packaging import deps, elfcheck
from fnship.packaging.platforms import MACHINES
from fnship.textfile import parse_json_input, read_input

NODE_BUILDER_VERSION = "fnship-node-1"
# lockfile -> its package manager, in the order they are looked for
LOCKFILES = (
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
)
NPM_CPU = {"x86_64": "x64", "arm64": "arm64"}
# What an install leaves that never runs on Lambda and would make builds differ: bin links (copies, once zipped),
# the package managers' own bookkeeping.
_DROPPED = (".bin", ".package-lock.json", ".yarn-integrity", ".modules.yaml", ".pnpm-workspace-state.json")

# esbuild, fetched from the npm registry into fnship's cache when the project's node_modules has none: one pinned
# version, each platform's tarball checked against the integrity npm publishes for it (`npm view
# @esbuild/<platform>@<version> dist.integrity`).
ESBUILD_VERSION = "0.25.12"
ESBUILD_INTEGRITY = {
    "linux-x64": "sha512-uqZMTLr/zR/ed4jIGnwSLkaHmPjOjJvnm6TVVitAa08SLS9Z0VM8wIRx7gWbJB5/J54YuIMInDquWyYvQLZkgw==",
    "linux-arm64": "sha512-8bwX7a8FghIgrupcxb4aUmYDLp8pX06rGh5HqDT7bB+8Rdells6mHvrFHHW2JAOPZUbnjUpKTLg6ECyzvas2AQ==",
    "darwin-x64": "sha512-HQ9ka4Kx21qHXwtlTUVbKJOAnmG1ipXhdWTmNXiPzPfWKpXqASVcWdnf2bnL73wgjNrFXAa3yYvBSd9pzfEIpA==",
    "darwin-arm64": "sha512-N3zl+lxHCifgIlcMUP5016ESkeQjLj/959RxxNYIthIg+CQHInujFuXeWbWMgnTo4cp5XVHqFPmpyu9J65C1Yg==",
    "win32-x64": "sha512-alJC0uCZpTFrSL0CCDjcgleBXPnCrEAhTBILpeAp7M/OFgoqtAetfBzX0xM00MUsVVPpVjlPuMbREqnZCXaTnA==",
}
DEFAULT_REGISTRY = "https://registry.npmjs.org"


def node_major(runtime: str) -> str:
    """`nodejs22.x` -> `22`."""
    return re.sub(r"\D", "", runtime.removeprefix("nodejs").split(".")[0]) or "22"


# -- the project: package.json and its lockfile ------------------------------------------------------------------
@dataclass(frozen=True)
class NodeProject:
    directory: Path  # where package.json is
    package: Mapping  # package.json, parsed
    lockfile: Path | None
    manager: str  # the lockfile's package manager (npm without a lockfile)

    @property
    def manifest(self) -> Path:
        return self.directory / "package.json"

    def dependencies(self) -> dict[str, str]:
        """Production dependencies (name -> spec). devDependencies never ship."""
        found = self.package.get("dependencies") or {}
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    def key_material(self) -> list[str]:
        material = [hashlib.sha256(self.manifest.read_bytes()).hexdigest()]
        if self.lockfile is not None:
            material += [self.lockfile.name, hashlib.sha256(self.lockfile.read_bytes()).hexdigest()]
        return material


# Far above any honest file (a package.json is a few KB; the lockfile of a large application tens of MB), low
# enough that a wrong file (a disk image, /dev/zero) is refused before it fills the memory.
PACKAGE_JSON_MAX_BYTES = 1024 * 1024
LOCKFILE_MAX_BYTES = 64 * 1024 * 1024


def read_project(directory: Path) -> NodeProject | None:
    """The Node.js project at `directory` (its package.json), or None. A package.json or lockfile that is too
    large, not UTF-8 text or (package.json) not JSON nested within textfile.MAX_DEPTH is an input error naming the
    file and where; the lockfile is not parsed here (its package manager reads it)."""
    path = directory / "package.json"
    if not path.is_file():
        return None
    package = parse_json_input(
        read_input(path, limit=PACKAGE_JSON_MAX_BYTES),
        display=str(path),
        what="package.json",
        hint="fix the syntax (npm would refuse it too)",
    )
    if not isinstance(package, dict):
        raise InputError(Diagnostic("package.json must be a JSON object", location=Location(str(path), 1, 1)))
    for name, manager in LOCKFILES:
        if (directory / name).is_file():
            read_input(directory / name, limit=LOCKFILE_MAX_BYTES)  # text, within the limit: checked, not parsed
            return NodeProject(directory, package, directory / name, manager)
    return NodeProject(directory, package, None, "npm")


def find_project(*directories: Path) -> NodeProject | None:
    """The first package.json found, looking in each directory in turn (the handler's first)."""
    for directory in dict.fromkeys(d.resolve() for d in directories):
        found = read_project(directory)
        if found is not None:
            return found
    return None


# -- installing ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NodeTarget:
    runtime: str
    architecture: str

    @property
    def cpu(self) -> str:
        return NPM_CPU[self.architecture]

    @property
    def machine(self) -> str:
        return MACHINES[self.architecture]

    def build_image(self) -> str:
        return f"public.ecr.aws/sam/build-{self.runtime}:latest-{self.architecture}"


def deps_key(project: NodeProject, target: NodeTarget, options: deps.BuildOptions, *, only: Sequence[str] = ()) -> str:
    material = {
        "builder": NODE_BUILDER_VERSION,
        "project": project.key_material(),
        "runtime": target.runtime,
        "architecture": target.architecture,
        "container": options.container,
        "image": options.build_image,
        "only": sorted(only),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def install_command(manager: str, target: NodeTarget, *, locked: bool, program: str) -> list[str]:
    """The install command line for Lambda's platform, production dependencies only, no install scripts."""
    platform_flags = ["--os=linux", f"--cpu={target.cpu}", "--libc=glibc"]
    if manager == "pnpm":
        return [program, "install", "--prod", "--ignore-scripts", "--config.node-linker=hoisted",
                "--frozen-lockfile" if locked else "--no-frozen-lockfile", *platform_flags]  # fmt: skip
    if manager == "yarn":
        # yarn classic has no platform options: optional dependencies follow the host (see the README).
        return [program, "install", "--production", "--ignore-scripts", "--non-interactive", "--ignore-engines",
                *(["--frozen-lockfile"] if locked else [])]  # fmt: skip
    verb = ["ci"] if locked else ["install", "--no-package-lock"]
    return [program, *verb, "--omit=dev", "--ignore-scripts", *platform_flags, "--no-audit", "--no-fund",
            "--loglevel=error"]  # fmt: skip


def install(
    project: NodeProject,
    target: NodeTarget,
    dest: Path,
    *,
    options: deps.BuildOptions,
    tools: deps.Tools,
    work: Path,
    only: Sequence[str] = (),
    warn: Callable[[str], None] = lambda _message: None,
) -> None:
    """Install the project's production dependencies (or only the packages `only` names, for a bundle's
    externals) for `target` into `dest/node_modules`."""
    scratch = work / "project"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    package = dict(project.package)
    package.pop("devDependencies", None)
    package.pop("scripts", None)  # never run: install scripts are off, and lifecycle scripts are the project's
    wanted = project.dependencies()
    if only:
        wanted = {name: wanted.get(name, "*") for name in only}
        package["dependencies"] = wanted
    (scratch / "package.json").write_text(json.dumps(package, indent=2, sort_keys=True))
    (dest / "node_modules").mkdir(parents=True, exist_ok=True)
    if not wanted:
        return
    manager = project.manager
    program = tools.which(manager)
    if program is None and manager != "npm":
        warn(f"{project.lockfile.name if project.lockfile else 'package.json'} asks for {manager}, which is not "
             "installed: npm resolves the dependencies from package.json instead")  # fmt: skip
        manager, program = "npm", tools.which("npm")
    if program is None:
        raise FnError(
            f"installing the dependencies of {project.manifest} needs npm, which is not installed",
            hint="install Node.js (it comes with npm), or bundle the function with `build: esbuild`",
        )
    locked = project.lockfile is not None and project.manager == manager and not only
    if project.lockfile is not None and project.manager == manager:
        shutil.copyfile(project.lockfile, scratch / project.lockfile.name)
    if project.lockfile is None:
        warn(f"{project.manifest} has no lockfile: dependencies are resolved from package.json as npm would, so "
             "two builds may differ (commit a package-lock.json)")  # fmt: skip
    command = install_command(manager, target, locked=locked, program=program)
    if only and manager == "npm":
        command[1:2] = ["install", "--no-save"]
    done = tools.run(command, cwd=scratch, env={"npm_config_update_notifier": "false"})
    if done.returncode != 0:
        raise FnError(
            f"installing the dependencies of {project.manifest} for {target.runtime} {target.architecture} failed "
            f"({' '.join(command[:2])}):\n{_tail(done.stderr or done.stdout)}",
            hint="check that the lockfile matches package.json (npm ci refuses a stale one)",
        )
    modules = scratch / "node_modules"
    gyp = native_builds(modules)
    if gyp:
        engine = deps.find_engine(tools.which, tools) if options.container != "never" else None
        if engine is None:
            raise FnError(
                f"{', '.join(gyp)} compile{'s' if len(gyp) == 1 else ''} native code with node-gyp and must be built "
                f"for Lambda ({target.runtime} {target.architecture}) in the Lambda build image",
                hint="install docker, podman or buildah (fn builds in public.ecr.aws/sam/build-"
                f"{target.runtime}), or use a package that ships prebuilt binaries (bcryptjs for bcrypt, ...)"
                + ("; provider.build.container is `never`" if options.container == "never" else ""),
            )
        shutil.rmtree(modules)
        script = " ".join(install_command("npm", target, locked=locked, program="npm")).replace("--ignore-scripts ", "")
        deps.run_in_build_image(
            engine, options.build_image or target.build_image(), f"linux/{_oci_arch(target)}", scratch, script,
            tools=tools,
        )  # fmt: skip
    if modules.is_dir():
        _tidy(modules)
        (dest / "node_modules").rmdir()
        shutil.move(str(modules), dest / "node_modules")
    mismatches = elfcheck.check_tree(dest, machine=target.machine)
    if mismatches:
        listed = "; ".join(f"{m.path} ({m.found})" for m in mismatches[:10])
        raise FnError(
            f"native modules built for the wrong architecture (the function runs on {target.architecture}, "
            f"{target.machine}): {listed}",
            hint="use a package version that ships Linux binaries for this architecture, or build in a container "
            "(provider.build.container: always)",
        )


def _oci_arch(target: NodeTarget) -> str:
    return "amd64" if target.architecture == "x86_64" else "arm64"


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def native_builds(modules: Path) -> list[str]:
    """`name@version` of every installed package that npm would build with node-gyp: a binding.gyp at its root
    (npm then runs `node-gyp rebuild` unless the package's install script does something else with it)."""
    found: list[str] = []
    if not modules.is_dir():
        return found
    for gyp in sorted(modules.glob("**/binding.gyp")):
        package_json = gyp.parent / "package.json"
        if not package_json.is_file() or any(part.startswith(".") for part in gyp.relative_to(modules).parts[:-1]):
            continue
        try:
            meta = parse_json_input(
                read_input(package_json, limit=PACKAGE_JSON_MAX_BYTES), display=str(package_json), what="", hint=""
            )
        except InputError:
            continue  # npm would not have installed it: not ours to judge
        if not isinstance(meta, dict) or meta.get("gypfile") is False:
            continue
        found.append(f"{meta.get('name', gyp.parent.name)}@{meta.get('version', '?')}")
    return found


def _tidy(modules: Path) -> None:
    for path in sorted(modules.rglob("*"), reverse=True):
        if path.name in _DROPPED and (path.is_dir() or path.is_file() or path.is_symlink()):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def installed_tree(
    project: NodeProject,
    target: NodeTarget,
    *,
    cache_dir: Path,
    options: deps.BuildOptions,
    tools: deps.Tools,
    only: Sequence[str] = (),
    warn: Callable[[str], None] = lambda _message: None,
) -> tuple[Path, str, bool]:
    """The installed node_modules for `target` (a tree holding `node_modules/`), from the cache when present:
    (directory, key, cache hit)."""
    key = deps_key(project, target, options, only=only)

    def build(tree: Path, work: Path) -> None:
        install(project, target, tree, options=options, tools=tools, work=work, only=only, warn=warn)

    return deps.cached_tree(key, cache_dir=cache_dir, build=build)


# -- esbuild ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EsbuildOptions:
    """`build.esbuild` (Serverless Framework v4), or serverless-esbuild's `custom.esbuild`, read into one shape."""

    bundle: bool = True
    minify: bool = False
    sourcemap: str | bool = False  # true | linked | inline | external | both
    external: tuple[str, ...] = ()  # left out of the bundle, installed as dependencies
    exclude: tuple[str, ...] = ("@aws-sdk/*",)  # left out and not installed: the Node.js runtimes ship SDK v3
    target: str | None = None  # default: the function's Node.js version (node22)
    platform: str = "node"
    format: str = "cjs"  # cjs | esm
    concurrency: int = 3
    tsconfig: str | None = None

    def key_material(self) -> list[str]:
        return [json.dumps({k: v for k, v in vars(self).items() if k != "concurrency"}, sort_keys=True, default=str)]


def esbuild_options(settings: Mapping[str, object]) -> EsbuildOptions:
    """The manifest's validated `build.esbuild` settings (manifest/artifacts.py) over Serverless v4's defaults."""
    names = {"buildConcurrency": "concurrency"}
    given = {names.get(key, key): value for key, value in settings.items()}
    for key in ("external", "exclude"):
        if key in given:
            given[key] = tuple(given[key])  # type: ignore[arg-type]
    return EsbuildOptions(**given)  # type: ignore[arg-type]


def host_platform() -> str:
    """esbuild's name for this machine's platform package (`@esbuild/linux-x64`)."""
    system = {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}.get(platform.system(), platform.system())
    machine = platform.machine().lower()
    cpu = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{system}-{cpu}"


Fetch = Callable[[str], bytes]


def _http_get(url: str) -> bytes:
    import urllib.parse
    import urllib.request  # here: http.client, email and ssl are most of a Python function's package start-up

    # The registry can come from the environment: only http(s), never file: or another scheme urllib knows.
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise FnError(f"{url}: the npm registry must be an http(s) URL")
    # bandit B310 waived: the scheme is http(s), checked above.
    with urllib.request.urlopen(url, timeout=60) as response:  # nosec B310
        return response.read()


def esbuild_binary(
    project_dirs: Sequence[Path], *, cache_dir: Path, fetch: Fetch = _http_get, registry: str | None = None
) -> Path:
    """The project's own esbuild (node_modules/.bin/esbuild in a project directory), else the pinned one from
    fnship's cache, fetched from the npm registry and checked against its published integrity on first use."""
    for directory in project_dirs:
        for candidate in (directory / "node_modules" / ".bin" / "esbuild", directory / "node_modules" / "esbuild"
                          / "bin" / "esbuild"):  # fmt: skip
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    name = host_platform()
    integrity = ESBUILD_INTEGRITY.get(name)
    if integrity is None:
        raise FnError(
            f"fnship has no pinned esbuild for this platform ({name})",
            hint="add esbuild to the project's devDependencies (npm install -D esbuild)",
        )
    home = cache_dir / "tools" / f"esbuild-{ESBUILD_VERSION}-{name}"
    binary = home / ("esbuild.exe" if name.startswith("win32") else "esbuild")
    if binary.is_file():
        return binary
    configured = os.environ.get("NPM_CONFIG_REGISTRY") or os.environ.get("npm_config_registry")  # noqa: SIM112 -- npm reads both
    base = (registry or configured or DEFAULT_REGISTRY).rstrip("/")
    url = f"{base}/@esbuild/{name}/-/{name}-{ESBUILD_VERSION}.tgz"
    try:
        data = fetch(url)
    except OSError as exc:
        raise FnError(
            f"fetching esbuild {ESBUILD_VERSION} from {url} failed: {exc}",
            hint="check the network, or add esbuild to the project's devDependencies (npm install -D esbuild)",
        ) from exc
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise FnError(
            f"the esbuild package from {url} does not match its pinned checksum ({integrity}); not used",
            hint="a proxy or mirror altered it: point npm_config_registry at a faithful registry",
        )
    member = "package/esbuild.exe" if name.startswith("win32") else "package/bin/esbuild"
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        extracted = tar.extractfile(member)
        if extracted is None:
            raise FnError(f"the esbuild package from {url} has no {member}")
        content = extracted.read()
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".esbuild.{os.getpid()}.tmp"
    tmp.write_bytes(content)
    tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    tmp.replace(binary)
    return binary


_ESBUILD_ERROR = re.compile(r"\[ERROR\] (?P<message>[^\n]+)\n\n\s+(?P<file>[^\s:][^:\n]*):(?P<line>\d+):(?P<col>\d+):")


def bundle(
    esbuild: Path,
    *,
    root: Path,
    entry: str,
    outfile: Path,
    runtime: str,
    options: EsbuildOptions,
    tools: deps.Tools,
    node_paths: Sequence[Path] = (),
) -> None:
    """Bundle `entry` (relative to `root`) into `outfile`; imports also resolve in `node_paths` (esbuild reads
    NODE_PATH). An esbuild error is an input error with its file:line:col."""
    target = options.target or f"node{node_major(runtime)}"
    args = [str(esbuild), entry, f"--outfile={outfile}", f"--platform={options.platform}", f"--target={target}",
            f"--format={options.format}", "--log-level=error", "--color=false", "--charset=utf8"]  # fmt: skip
    if options.bundle:
        args.append("--bundle")
    if node_paths:
        args.append("--preserve-symlinks")  # keep the stable path of the dependencies in the bundle's comments
    if options.minify:
        args.append("--minify")
    if options.sourcemap:
        args.append("--sourcemap" if options.sourcemap is True else f"--sourcemap={options.sourcemap}")
    for name in (*options.external, *options.exclude):
        args.append(f"--external:{name}")
    if options.tsconfig:
        args.append(f"--tsconfig={options.tsconfig}")
    outfile.parent.mkdir(parents=True, exist_ok=True)
    done = tools.run(args, cwd=root, env={"NODE_PATH": os.pathsep.join(str(p) for p in node_paths)})
    if done.returncode != 0:
        problems = [
            Diagnostic(
                f"esbuild: {m.group('message')}",
                # esbuild counts columns from 0; file:line:col here counts from 1, as editors do.
                location=Location(m.group("file"), int(m.group("line")), int(m.group("col")) + 1),
                hint="fix the source, or mark the package `external` in build.esbuild",
            )
            for m in _ESBUILD_ERROR.finditer(done.stderr)
        ]
        raise InputError(problems or [Diagnostic(f"esbuild failed bundling {entry}:\n{_tail(done.stderr)}")])


def externals_to_install(project: NodeProject | None, options: EsbuildOptions) -> list[str]:
    """The externals that are dependencies of the project: installed next to the bundle (excludes never are)."""
    if project is None:
        return []
    names = project.dependencies()
    out = []
    for pattern in options.external:
        if pattern in names:
            out.append(pattern)
        elif pattern.endswith("/*"):
            out += [n for n in names if n.startswith(pattern[:-1])]
    return sorted(set(out))


def is_typescript(path: str) -> bool:
    return path.endswith((".ts", ".mts", ".cts"))


def bundle_name(module: str, options: EsbuildOptions) -> str:
    """Where the bundle goes in the zip, so the unchanged handler string finds it: `src/api` -> `src/api.js`
    (`.mjs` for ESM output, which Lambda loads as a module)."""
    return module + (".mjs" if options.format == "esm" else ".js")


def family_is_node(runtime: str) -> bool:
    return runtimes.family(runtime) == "nodejs"
