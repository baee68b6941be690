"""Node.js dependencies with the lockfile's own package manager, for real: pnpm, yarn classic and yarn berry (pinned
versions the Makefile installs into .venv/node-tools with npm), npm when the manager is absent, and packages that
compile with node-gyp (a real prebuilt package from the npm registry, and a tiny local one with a binding.gyp).

The Lambda build image cannot run here (no container engine runs on this machine): the container path is tested
against a double of fnship's own engine adapter (`deps.Tools`'s runner answering `buildah from/run/rm`) that runs
the script on this machine in the mounted directory, as the build image would; it compiles for this machine's CPU,
so that test builds for x86_64 only.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from fnship.packaging import deps, elfcheck, node
from fnship.packaging.runner import Completed, subprocess_runner
from tests.integration.test_node_functions import API_JS, SERVICE, names

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="needs node and npm (apt-get install nodejs npm)",
)

TOOLS = Path(sys.prefix) / "node-tools"
MANAGERS = {  # name -> (its program, the command that writes its lockfile, how package.json pins ms to 2.1.2)
    "pnpm": (TOOLS / "pnpm/node_modules/.bin/pnpm", ["install", "--lockfile-only", "--ignore-scripts"],
             {"pnpm": {"overrides": {"ms": "2.1.2"}}}),
    "yarn-classic": (TOOLS / "yarn1/node_modules/.bin/yarn", ["install", "--ignore-scripts", "--non-interactive"],
                     {}),  # yarn 1 applies `resolutions` to transitive dependencies only: see locked_with_yarn1
    "yarn-berry": (TOOLS / "yarn4/node_modules/.bin/yarn", ["install", "--mode=update-lockfile"],
                   {"resolutions": {"ms": "2.1.2"}}),
}  # fmt: skip
LOCKFILE = {"pnpm": "pnpm-lock.yaml", "yarn-classic": "yarn.lock", "yarn-berry": "yarn.lock"}
QUIET = {"YARN_ENABLE_TELEMETRY": "0", "CI": "true", "npm_config_update_notifier": "false"}


def program(manager: str) -> Path:
    path = MANAGERS[manager][0]
    if not path.is_file():
        # CI installs them (make test): there a missing one is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: `make .venv/.installed-node-tools` installs it")
        pytest.skip(f"{path} is missing (make .venv/.installed-node-tools)")
    return path


def path_with(tmp_path: Path, programs: Mapping[str, Path]) -> str:
    """A PATH holding only node, npm and `programs` (name -> file): no other package manager, no container engine."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, target in {"node": Path(shutil.which("node") or "node"), "npm": Path(shutil.which("npm") or "npm"),
                         **programs}.items():  # fmt: skip
        (bin_dir / name).symlink_to(target.resolve())
    return str(bin_dir)


def locked(root: Path, manager: str, tool: Path) -> None:
    """Write the manager's lockfile for package.json. For yarn 1, lock ms at 2.1.2 and then widen package.json
    to ^2.1.1 with the lockfile entry following (as an older lockfile does): the frozen install keeps 2.1.2."""
    package = json.loads((root / "package.json").read_text())
    if manager == "yarn-classic":
        (root / "package.json").write_text(json.dumps({**package, "dependencies": {**package["dependencies"],
                                                                                   "ms": "2.1.2"}}))  # fmt: skip
    subprocess.run([str(tool), *MANAGERS[manager][1]], cwd=root, check=True, capture_output=True, timeout=300,
                   env={**os.environ, **QUIET})  # fmt: skip
    if manager == "yarn-classic":
        (root / "package.json").write_text(json.dumps(package))
        lockfile = root / "yarn.lock"
        lockfile.write_text(lockfile.read_text().replace("\nms@2.1.2:\n", "\nms@^2.1.1:\n"))
    shutil.rmtree(root / "node_modules", ignore_errors=True)


def zip_text(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name).decode()


PACKAGE = {
    "name": "orders",
    "version": "1.0.0",
    "private": True,
    "dependencies": {"ms": "^2.1.1", "esbuild": node.ESBUILD_VERSION},
    "devDependencies": {"left-pad": "1.3.0"},
}


@pytest.mark.network
@pytest.mark.parametrize("manager", ["pnpm", "yarn-classic", "yarn-berry"])
def test_the_lockfiles_manager_installs_for_lambdas_platform_and_is_cached(project, monkeypatch, tmp_path, manager):
    tool = program(manager)
    project.write("package.json", json.dumps({**PACKAGE, **MANAGERS[manager][2]}))
    project.write("serverless.yml", SERVICE)
    project.write("src/api.js", API_JS)
    locked(project.root, manager, tool)
    monkeypatch.setenv("PATH", path_with(tmp_path, {manager.split("-")[0]: tool}))

    built = project.fn("package")
    assert built.exit_code == 0, built.stderr
    assert "warning" not in built.stderr, built.stderr  # the lockfile's manager ran: no fallback to npm
    rows = {row["function"]: row for row in project.fn("package", "--json").json["artifacts"]}
    assert all(row["cache_hit"] for row in rows.values())  # unchanged: no install, no zip rewrite
    for key, cpu, machine in (("arm", "arm64", "aarch64"), ("intel", "x64", "x86_64")):
        zpath = project.root / rows[key]["path"]
        listed = names(zpath)
        # what the manager's lockfile (or pin) says: npm from package.json would take 2.1.3
        assert json.loads(zip_text(zpath, "node_modules/ms/package.json"))["version"] == "2.1.2"
        binary = f"node_modules/@esbuild/linux-{cpu}/bin/esbuild"
        assert binary in listed  # the optional dependency for Lambda's CPU, whatever this machine is
        with zipfile.ZipFile(zpath) as zf:
            assert elfcheck.machine_of_header(zf.read(binary)[:20]) == machine
        platforms = {n.split("/")[2] for n in listed if n.startswith("node_modules/@esbuild/")}
        assert platforms == {f"linux-{cpu}"}  # no other platform's binary
        assert not any(n.startswith(("node_modules/left-pad/", "node_modules/.bin/")) for n in listed)  # no dev deps
        assert not any(n.startswith("node_modules/.") for n in listed)  # the managers' bookkeeping
    invoked = project.fn("invoke", "--local", "-f", "intel", "--data", '{"ms": 60000}', "--json")
    assert invoked.exit_code == 0 and invoked.json["payload"] == {"took": "1m"}, invoked.stdout + invoked.stderr

    # The cache follows the lockfile's content: another resolution is another install.
    lockfile = project.root / LOCKFILE[manager]
    lockfile.write_text(lockfile.read_text() + "\n")
    again = project.fn("package", "--json")
    assert again.exit_code == 0 and not any(row["cache_hit"] for row in again.json["artifacts"]), again.stderr


@pytest.mark.network
@pytest.mark.parametrize("manager", ["pnpm", "yarn-classic"])
def test_without_the_lockfiles_manager_npm_installs_with_a_warning(project, monkeypatch, tmp_path, manager):
    project.write("package.json", json.dumps({**PACKAGE, **MANAGERS[manager][2]}))
    project.write("serverless.yml", SERVICE)
    project.write("src/api.js", API_JS)
    locked(project.root, manager, program(manager))
    monkeypatch.setenv("PATH", path_with(tmp_path, {}))  # node and npm only
    built = project.fn("package")
    assert built.exit_code == 0, built.stderr
    name = manager.split("-")[0]
    assert f"warning: {LOCKFILE[manager]} asks for {name}, which is not installed: npm resolves" in built.stderr
    rows = {row["function"]: row for row in project.fn("package", "--json").json["artifacts"]}
    listed = names(project.root / rows["arm"]["path"])
    assert (
        json.loads(zip_text(project.root / rows["arm"]["path"], "node_modules/ms/package.json"))["version"] == "2.1.3"
    )
    assert "node_modules/@esbuild/linux-arm64/bin/esbuild" in listed and "node_modules/left-pad/index.js" not in listed


# -- node-gyp ------------------------------------------------------------------------------------------------------
TINY_C = """\
#include <node_api.h>
static napi_value Answer(napi_env env, napi_callback_info info) {
  napi_value v; napi_create_int32(env, 42, &v); return v;
}
NAPI_MODULE_INIT() {
  napi_value fn; napi_create_function(env, "answer", NAPI_AUTO_LENGTH, Answer, NULL, &fn);
  napi_set_named_property(env, exports, "answer", fn); return exports;
}
"""
TINY = {
    "package.json": json.dumps({"name": "tiny-native", "version": "1.0.0", "main": "index.js"}),
    "binding.gyp": json.dumps({"targets": [{"target_name": "tiny", "sources": ["tiny.c"]}]}),
    "tiny.c": TINY_C,
    "index.js": "module.exports = require('./build/Release/tiny.node');\n",
}


def tarball(directory: Path, files: Mapping[str, str | bytes], name: str = "tiny-native-1.0.0.tgz") -> Path:
    """A package as `npm pack` makes it (no registry needed: a file: dependency)."""
    path = directory / name
    with tarfile.open(path, "w:gz") as tar:
        for member, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"package/{member}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def tiny_tarball(directory: Path) -> Path:
    """A package that compiles with node-gyp."""
    return tarball(directory, TINY)


def test_an_installed_native_module_for_another_architecture_exits_2_naming_file_and_package(project, tmp_path):
    x86_64 = b"\x7fELF\x02\x01\x01" + b"\x00" * 11 + (62).to_bytes(2, "little") + b"\x00" * 40
    fast = tarball(tmp_path, {"package.json": json.dumps({"name": "fast-native", "version": "2.0.0"}),
                              "build/Release/fast.node": x86_64}, name="fast-native-2.0.0.tgz")  # fmt: skip
    project.write("package.json", json.dumps({"name": "svc", "dependencies": {"fast-native": f"file:{fast}"}}))
    project.write("serverless.yml", SERVICE)
    project.write("src/api.js", "exports.handler = async () => require('fast-native');\n")
    result = project.fn("package", "-f", "arm")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "package fast-native ships node_modules/fast-native/build/Release/fast.node, built for x86_64" in (
        result.stderr
    )
    assert "use a version of fast-native that ships Linux arm64 binaries" in result.stderr
    assert "Traceback" not in result.stderr
    assert project.fn("package", "-f", "intel").exit_code == 0  # the same package fits x86_64


def test_node_gyp_package_without_a_container_engine_is_refused_by_name(project, monkeypatch, tmp_path):
    tarball = tiny_tarball(tmp_path)
    project.write("package.json", json.dumps({"name": "svc", "dependencies": {"tiny-native": f"file:{tarball}"}}))
    project.write("serverless.yml", SERVICE.replace("package:\n  individually: true\n", ""))
    project.write("src/api.js", "exports.handler = async () => require('tiny-native').answer();\n")
    monkeypatch.setenv("PATH", path_with(tmp_path, {}))  # no docker, podman or buildah
    result = project.fn("package", "-f", "intel")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "tiny-native@1.0.0 compiles native code with node-gyp at install and must be built for Lambda " in (
        result.stderr
    )
    assert "(nodejs22.x x86_64) in the Lambda build image, but no container engine is available" in result.stderr
    assert "install docker (with its daemon running), podman or buildah" in result.stderr
    assert "Traceback" not in result.stderr and not list((project.root / ".fn").rglob("*.zip"))


@pytest.mark.network
def test_a_real_prebuilt_package_ships_lambdas_binary_alone_or_is_refused_without_one(project, monkeypatch, tmp_path):
    """bufferutil 4.0.9 has a binding.gyp and node-gyp-build prebuilds for linux-x64, macOS and Windows (no
    linux-arm64): x86_64 needs no compiler and ships linux-x64 alone; arm64 would compile, so it is refused."""
    project.write("package.json", json.dumps({"name": "svc", "dependencies": {"bufferutil": "4.0.9"}}))
    project.write("serverless.yml", SERVICE)
    project.write("src/api.js", "exports.handler = async () => typeof require('bufferutil').mask;\n")
    subprocess.run(["npm", "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
                   cwd=project.root, check=True, capture_output=True, timeout=300)  # fmt: skip
    monkeypatch.setenv("PATH", path_with(tmp_path, {}))
    intel = project.fn("package", "-f", "intel", "--json")
    assert intel.exit_code == 0, intel.stderr
    listed = names(project.root / intel.json["artifacts"][0]["path"])
    assert [n for n in listed if n.endswith(".node")] == ["node_modules/bufferutil/prebuilds/linux-x64/bufferutil.node"]
    arm = project.fn("package", "-f", "arm")
    assert arm.exit_code == 2 and "bufferutil@4.0.9 compiles native code with node-gyp" in arm.stderr, arm.stderr


class EngineDouble:
    """fnship's container adapter's outside world (`deps.Tools`): `buildah from/run/rm` answered by running the
    script on this machine in the mounted directory, where the build image would run it; everything else (npm, the
    compiler) for real."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, args: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Completed:
        args = list(args)
        if args[0] != "buildah":
            return subprocess_runner(args, cwd, env)
        self.calls.append(args)
        if args[1] == "from":
            return Completed(0, "lambda-build-working-container\n", "")
        if args[1] == "run":
            mount = Path(args[args.index("--volume") + 1].rsplit(":/fn", 1)[0])
            script = args[-1].replace("cd /fn && ", "", 1)
            # The build image has the Node.js headers; here they are the system's (node-gyp would download them).
            return subprocess_runner(["/bin/sh", "-c", script], mount, {"npm_config_nodedir": "/usr"})
        return Completed(0, "", "")


COMPILES_HERE = platform.machine() == "x86_64" and shutil.which("g++") and Path("/usr/include/node").is_dir()


@pytest.mark.skipif(not COMPILES_HERE, reason="compiles for this machine: needs x86_64, g++ and the Node.js headers")
def test_node_gyp_package_is_built_in_the_build_image_through_the_engine_adapter(tmp_path):
    tarball = tiny_tarball(tmp_path)
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "package.json").write_text(json.dumps({"dependencies": {"tiny-native": f"file:{tarball}"}}))
    project = node.read_project(tmp_path / "svc")
    assert project is not None
    engine = EngineDouble()
    tools = deps.Tools(
        runner=engine, which=lambda name: shutil.which(name) if name != "buildah" else "/usr/bin/buildah"
    )
    target = node.NodeTarget("nodejs22.x", "x86_64")
    node.install(project, target, tmp_path / "out", options=deps.BuildOptions(), tools=tools, work=tmp_path / "w")
    image = "public.ecr.aws/sam/build-nodejs22.x:latest-x86_64"
    assert engine.calls[0] == ["buildah", "from", "--platform", "linux/amd64", image]
    assert engine.calls[1][-1] == "cd /fn && npm rebuild --foreground-scripts tiny-native"
    assert engine.calls[2][:2] == ["buildah", "rm"]
    built = tmp_path / "out" / "node_modules" / "tiny-native" / "build" / "Release" / "tiny.node"
    assert elfcheck.machine_of(built) == "x86_64"
    answer = subprocess.run(["node", "-e", "console.log(require('tiny-native').answer())"], cwd=tmp_path / "out",
                            capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    assert answer.stdout.strip() == "42"
