"""Node.js dependencies, esbuild and compiled bootstraps, with a stand-in for npm, esbuild and the toolchains that
records every command (the real npm registry is exercised in tests/integration/test_node_functions.py)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from fnship.errors import FnError, InputError
from fnship.packaging import compiled, deps, node
from fnship.packaging.runner import Completed


def elf(machine: int) -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 11 + machine.to_bytes(2, "little") + b"\x00" * 40


class FakeNpm:
    """`npm ci|install` writes node_modules for `packages` ({name: {file: bytes}}); any other program fails."""

    def __init__(
        self,
        packages: Mapping[str, Mapping[str, bytes]] | None = None,
        *,
        stderr: str = "",
        code: int = 0,
        yarn_version: str = "1.22.22",
    ):
        self.packages = dict(packages or {"ms": {"index.js": b"module.exports = 1;\n"}})
        self.calls: list[list[str]] = []
        self.envs: list[dict] = []
        self.stderr = stderr
        self.code = code
        self.yarn_version = yarn_version

    def __call__(self, args: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Completed:
        args = list(args)
        self.calls.append(args)
        self.envs.append(dict(env or {}))
        if args[1:] == ["--version"]:
            return Completed(0, self.yarn_version + "\n", "")
        if Path(args[0]).name in ("npm", "pnpm", "yarn") and cwd is not None:
            if self.code:
                return Completed(self.code, "", self.stderr)
            for name, files in self.packages.items():
                for rel, data in files.items():
                    path = cwd / "node_modules" / name / rel
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
            (cwd / "node_modules" / ".bin").mkdir(parents=True, exist_ok=True)
            (cwd / "node_modules" / ".package-lock.json").write_text("{}")
            return Completed(0, "", "")
        if args[0] in ("buildah", "docker", "podman"):
            return Completed(0, "container-1\n", "")
        return Completed(1, "", f"unexpected command {args}")


def tools(runner, *, have: Sequence[str] = ("npm",)) -> deps.Tools:
    return deps.Tools(runner=runner, which=lambda name: f"/usr/bin/{name}" if name in have else None)


def project(tmp_path: Path, package: dict | str, lockfile: str | None = "package-lock.json") -> node.NodeProject:
    tmp_path.mkdir(parents=True, exist_ok=True)
    text = package if isinstance(package, str) else json.dumps(package)
    (tmp_path / "package.json").write_text(text)
    if lockfile:
        (tmp_path / lockfile).write_text("{}")
    found = node.read_project(tmp_path)
    assert found is not None
    return found


PACKAGE = {"name": "svc", "dependencies": {"ms": "2.1.3"}, "devDependencies": {"left-pad": "1.3.0"}}


def test_package_json_that_does_not_parse_names_line_and_column(tmp_path: Path):
    with pytest.raises(InputError) as caught:
        project(tmp_path, '{\n  "name": "svc",\n  "dependencies": {,}\n}\n')
    assert str(caught.value).startswith(f"{tmp_path}/package.json:3:20 package.json is not valid JSON")


@pytest.mark.parametrize(
    ("lockfile", "manager"),
    [("package-lock.json", "npm"), ("npm-shrinkwrap.json", "npm"), ("yarn.lock", "yarn"),
     ("pnpm-lock.yaml", "pnpm"), (None, "npm")],
)  # fmt: skip
def test_the_lockfile_picks_the_package_manager(tmp_path: Path, lockfile, manager):
    assert project(tmp_path, PACKAGE, lockfile).manager == manager


@pytest.mark.parametrize(
    ("manager", "architecture", "expected"),
    [
        ("npm", "arm64", ["npm", "ci", "--omit=dev", "--ignore-scripts", "--os=linux", "--cpu=arm64", "--libc=glibc"]),
        ("npm", "x86_64", ["npm", "ci", "--omit=dev", "--ignore-scripts", "--os=linux", "--cpu=x64", "--libc=glibc"]),
        ("pnpm", "arm64", ["pnpm", "install", "--prod", "--ignore-scripts", "--config.node-linker=hoisted",
                           "--frozen-lockfile"]),
        ("yarn", "x86_64", ["yarn", "install", "--production", "--ignore-scripts", "--non-interactive",
                            "--ignore-engines", "--ignore-platform", "--frozen-lockfile"]),
        ("yarn-berry", "x86_64", ["yarn", "workspaces", "focus", "--all", "--production"]),
    ],
)  # fmt: skip
def test_install_command_targets_lambdas_platform(manager, architecture, expected):
    command = node.install_command(manager, node.NodeTarget("nodejs22.x", architecture), locked=True,
                                   program=manager.removesuffix("-berry"))  # fmt: skip
    assert command[: len(expected)] == expected


def test_pnpm_and_yarn_berry_get_lambdas_platform_as_supported_architectures(tmp_path: Path):
    npm = FakeNpm()
    proj = project(tmp_path / "svc", {**PACKAGE, "pnpm": {"overrides": {"ms": "2.1.3"}}}, lockfile="pnpm-lock.yaml")
    node.install(proj, node.NodeTarget("nodejs22.x", "arm64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(npm, have=("npm", "pnpm")), work=tmp_path / "w")  # fmt: skip
    written = json.loads((tmp_path / "w" / "project" / "package.json").read_text())
    assert written["pnpm"] == {
        "overrides": {"ms": "2.1.3"},
        "supportedArchitectures": {"os": ["linux"], "cpu": ["arm64"], "libc": ["glibc"]},
    }
    assert written["devDependencies"] == PACKAGE["devDependencies"]  # the lockfile lists them: --prod skips them
    (tmp_path / "berry").mkdir()
    (tmp_path / "berry" / "yarn.lock").write_text("__metadata:\n  version: 8\n")
    (tmp_path / "berry" / ".yarnrc.yml").write_text("npmRegistryServer: https://registry.example\n")
    proj = project(tmp_path / "berry", PACKAGE, lockfile=None)
    npm = FakeNpm(yarn_version="4.18.1")
    node.install(proj, node.NodeTarget("nodejs22.x", "x86_64"), tmp_path / "out2", options=deps.BuildOptions(),
                 tools=tools(npm, have=("npm", "yarn")), work=tmp_path / "w2")  # fmt: skip
    assert npm.calls[-1][1:3] == ["workspaces", "focus"] and npm.envs[-1]["YARN_ENABLE_IMMUTABLE_INSTALLS"] == "true"
    ours = (tmp_path / "w2" / "project" / ".yarnrc.yml").read_text()
    assert 'supportedArchitectures: {"os": ["linux"], "cpu": ["x64"], "libc": ["glibc"]}' in ours
    assert 'nodeLinker: "node-modules"' in ours and "enableScripts: false" in ours
    assert (tmp_path / "w2" / ".yarnrc.yml").read_text().startswith("npmRegistryServer")  # the project's, one up


def test_yarn_of_the_wrong_major_line_falls_back_to_npm(tmp_path: Path):
    npm = FakeNpm(yarn_version="1.22.22")
    warnings: list[str] = []
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "yarn.lock").write_text("__metadata:\n  version: 8\n")
    proj = project(tmp_path / "svc", PACKAGE, lockfile=None)
    node.install(proj, node.NodeTarget("nodejs22.x", "x86_64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(npm, have=("npm", "yarn")), work=tmp_path / "w", warn=warnings.append)  # fmt: skip
    assert Path(npm.calls[-1][0]).name == "npm" and npm.calls[-1][1:3] == ["install", "--no-package-lock"]
    assert any("yarn.lock is a yarn 2 or later (berry) lockfile, and the yarn installed answers 1.22.22" in w
               for w in warnings)  # fmt: skip


@pytest.mark.parametrize(
    ("meta", "kept"),
    [({"os": ["darwin"]}, False), ({"os": ["linux"], "cpu": ["arm64"]}, True), ({"cpu": ["x64"]}, False),
     ({"os": ["!win32"], "cpu": ["!x64"]}, True), ({"os": ["linux"], "libc": ["musl"]}, False), ({}, True)],
)  # fmt: skip
def test_yarn_classic_tree_is_pruned_to_lambdas_platform(tmp_path: Path, meta, kept):
    package = tmp_path / "node_modules" / "@esbuild" / "p"
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "@esbuild/p", **meta}))
    removed = node.prune_platforms(tmp_path / "node_modules", node.NodeTarget("nodejs22.x", "arm64"))
    assert package.exists() == kept and removed == ([] if kept else ["@esbuild/p"])


def test_production_dependencies_for_the_target_no_dev_no_bin(tmp_path: Path):
    npm = FakeNpm()
    proj = project(tmp_path / "svc", PACKAGE)
    tree, key, hit = node.installed_tree(proj, node.NodeTarget("nodejs22.x", "arm64"), cache_dir=tmp_path / "c",
                                         options=deps.BuildOptions(), tools=tools(npm))  # fmt: skip
    assert not hit and (tree / "node_modules" / "ms" / "index.js").is_file()
    assert not (tree / "node_modules" / ".bin").exists() and not (tree / "node_modules" / ".package-lock.json").exists()
    (call,) = npm.calls
    assert call[1] == "ci" and "--cpu=arm64" in call and "--omit=dev" in call
    # what npm saw: package.json without devDependencies or scripts, and the lockfile
    again = node.installed_tree(proj, node.NodeTarget("nodejs22.x", "arm64"), cache_dir=tmp_path / "c",
                                options=deps.BuildOptions(), tools=tools(npm))  # fmt: skip
    assert again == (tree, key, True) and len(npm.calls) == 1  # cached by package.json, lockfile, runtime, arch
    other = node.installed_tree(proj, node.NodeTarget("nodejs22.x", "x86_64"), cache_dir=tmp_path / "c",
                                options=deps.BuildOptions(), tools=tools(npm))  # fmt: skip
    assert other[1] != key and len(npm.calls) == 2


def test_missing_lockfile_warns_and_npm_resolves_from_package_json(tmp_path: Path):
    npm = FakeNpm()
    warnings: list[str] = []
    proj = project(tmp_path / "svc", PACKAGE, lockfile=None)
    node.install(proj, node.NodeTarget("nodejs22.x", "x86_64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(npm), work=tmp_path / "w", warn=warnings.append)  # fmt: skip
    assert npm.calls[0][1:3] == ["install", "--no-package-lock"]
    assert any("has no lockfile" in w for w in warnings)


def test_yarn_lock_without_yarn_falls_back_to_npm(tmp_path: Path):
    npm = FakeNpm()
    warnings: list[str] = []
    proj = project(tmp_path / "svc", PACKAGE, lockfile="yarn.lock")
    node.install(proj, node.NodeTarget("nodejs22.x", "x86_64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(npm), work=tmp_path / "w", warn=warnings.append)  # fmt: skip
    assert Path(npm.calls[0][0]).name == "npm"
    assert any("yarn.lock asks for yarn, which is not installed" in w for w in warnings)


def test_yarn_is_used_when_installed(tmp_path: Path):
    npm = FakeNpm()
    proj = project(tmp_path / "svc", PACKAGE, lockfile="yarn.lock")
    node.install(proj, node.NodeTarget("nodejs22.x", "x86_64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(npm, have=("npm", "yarn")), work=tmp_path / "w")  # fmt: skip
    assert npm.calls[0] == ["/usr/bin/yarn", "--version"]  # a yarn 1 for a yarn 1 lockfile
    assert npm.calls[1][:2] == ["/usr/bin/yarn", "install"] and "--frozen-lockfile" in npm.calls[1]


GYP = {"bcrypt": {"package.json": b'{"name": "bcrypt", "version": "5.1.1"}', "binding.gyp": b"{}"}}


def test_node_gyp_package_without_a_container_engine_is_refused_by_name(tmp_path: Path):
    proj = project(tmp_path / "svc", {"dependencies": {"bcrypt": "5.1.1"}})
    with pytest.raises(InputError) as caught:
        node.install(proj, node.NodeTarget("nodejs22.x", "arm64"), tmp_path / "out", options=deps.BuildOptions(),
                     tools=tools(FakeNpm(GYP)), work=tmp_path / "w")  # fmt: skip
    assert caught.value.exit_code == 2
    (problem,) = caught.value.diagnostics
    assert "bcrypt@5.1.1 compiles native code with node-gyp" in problem.message
    assert "install docker (with its daemon running), podman or buildah" in problem.hint and "bcryptjs" in problem.hint


@pytest.mark.parametrize(
    ("scripts", "compiles"),
    [({}, True), ({"install": "prebuild-install || node-gyp rebuild"}, True), ({"install": "node-gyp-build"}, True),
     ({"install": "node-pre-gyp install --fallback-to-build"}, True),
     ({"install": "node scripts/build-from-source.js"}, False),  # @parcel/watcher: binaries as optional deps
     ({"install": "node-gyp-build-optional-packages"}, False)],
)  # fmt: skip
def test_which_binding_gyp_packages_compile_at_install(tmp_path: Path, scripts, compiles):
    package = tmp_path / "node_modules" / "native"
    package.mkdir(parents=True)
    (package / "binding.gyp").write_text("{}")
    (package / "package.json").write_text(json.dumps({"name": "native", "version": "1.0.0", "scripts": scripts}))
    found = node.native_builds(tmp_path / "node_modules", node.NodeTarget("nodejs22.x", "x86_64"))
    assert found == (["native@1.0.0"] if compiles else [])


def test_a_prebuild_for_lambdas_platform_needs_no_compiler_and_other_platforms_do_not_ship(tmp_path: Path):
    macho, windows = b"\xcf\xfa\xed\xfe" + b"\x00" * 40, b"MZ" + b"\x00" * 40
    prebuilt = {"package.json": b'{"name": "bufferutil", "version": "4.0.9"}', "binding.gyp": b"{}",
                "prebuilds/linux-x64/bufferutil.node": elf(62), "prebuilds/darwin-x64+arm64/bufferutil.node": macho,
                "prebuilds/win32-x64/bufferutil.node": windows}  # fmt: skip
    proj = project(tmp_path / "svc", {"dependencies": {"bufferutil": "4.0.9"}})
    node.install(proj, node.NodeTarget("nodejs22.x", "x86_64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(FakeNpm({"bufferutil": prebuilt})), work=tmp_path / "w")  # fmt: skip
    shipped = sorted(p.name for p in (tmp_path / "out" / "node_modules" / "bufferutil" / "prebuilds").iterdir())
    assert shipped == ["linux-x64"]
    with pytest.raises(InputError) as caught:  # no linux-arm64 prebuild: node-gyp-build would compile it
        node.install(proj, node.NodeTarget("nodejs22.x", "arm64"), tmp_path / "out2", options=deps.BuildOptions(),
                     tools=tools(FakeNpm({"bufferutil": prebuilt})), work=tmp_path / "w2")  # fmt: skip
    assert "bufferutil@4.0.9 compiles native code with node-gyp" in caught.value.message


def test_node_gyp_package_is_built_in_the_lambda_build_image_with_an_engine(tmp_path: Path):
    npm = FakeNpm(GYP)
    proj = project(tmp_path / "svc", {"dependencies": {"bcrypt": "5.1.1"}})
    node.install(proj, node.NodeTarget("nodejs22.x", "arm64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(npm, have=("npm", "buildah")), work=tmp_path / "w")  # fmt: skip
    built = [c for c in npm.calls if c[0] == "buildah"]
    image = "public.ecr.aws/sam/build-nodejs22.x:latest-arm64"
    assert built[0] == ["buildah", "from", "--platform", "linux/arm64", image]
    assert built[1][-1] == "cd /fn && npm rebuild --foreground-scripts bcrypt"  # on the tree the lockfile made


def test_native_module_for_the_wrong_architecture_is_refused(tmp_path: Path):
    npm = FakeNpm({"fast": {"package.json": b'{"name": "fast"}', "build/Release/fast.node": elf(62)}})
    proj = project(tmp_path / "svc", {"dependencies": {"fast": "1.0.0"}})
    with pytest.raises(InputError) as caught:
        node.install(proj, node.NodeTarget("nodejs22.x", "arm64"), tmp_path / "out", options=deps.BuildOptions(),
                     tools=tools(npm), work=tmp_path / "w")  # fmt: skip
    assert caught.value.exit_code == 2
    assert "package fast ships node_modules/fast/build/Release/fast.node, built for x86_64" in caught.value.message
    assert "use a version of fast that ships Linux arm64 binaries" in caught.value.diagnostics[0].hint


@pytest.mark.parametrize(
    ("path", "package"),
    [("node_modules/fast/build/Release/fast.node", "fast"), ("node_modules/@s/p/x.node", "@s/p"),
     ("node_modules/a/node_modules/@s/q/lib/q.node", "@s/q"), ("nodejs/node_modules/b/b.node", "b")],
)  # fmt: skip
def test_the_package_a_native_file_belongs_to(path, package):
    assert node.package_of(path) == package


def test_npm_failure_is_reported_with_its_output(tmp_path: Path):
    proj = project(tmp_path / "svc", PACKAGE)
    with pytest.raises(FnError) as caught:
        node.install(proj, node.NodeTarget("nodejs22.x", "arm64"), tmp_path / "out", options=deps.BuildOptions(),
                     tools=tools(FakeNpm(code=1, stderr="npm error `npm ci` can only install with an existing "
                                         "package-lock.json")), work=tmp_path / "w")  # fmt: skip
    assert "npm ci" in caught.value.message and "lockfile matches package.json" in caught.value.hint


# -- esbuild -------------------------------------------------------------------------------------------------------
def tgz(files: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_esbuild_from_the_registry_is_checked_against_its_pinned_integrity(tmp_path: Path, monkeypatch):
    data = tgz({"package/bin/esbuild": b"#!/bin/sh\necho esbuild\n"})
    urls: list[str] = []

    def fetch(url: str) -> bytes:
        urls.append(url)
        return data

    with pytest.raises(FnError, match="does not match its pinned checksum"):
        node.esbuild_binary([tmp_path], cache_dir=tmp_path / "cache", fetch=fetch)
    assert urls == [f"https://registry.npmjs.org/@esbuild/{node.host_platform()}/-/{node.host_platform()}-"
                    f"{node.ESBUILD_VERSION}.tgz"]  # fmt: skip
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    monkeypatch.setitem(node.ESBUILD_INTEGRITY, node.host_platform(), integrity)
    binary = node.esbuild_binary([tmp_path], cache_dir=tmp_path / "cache", fetch=fetch)
    assert binary.read_bytes() == b"#!/bin/sh\necho esbuild\n" and binary.stat().st_mode & 0o100
    assert node.esbuild_binary([tmp_path], cache_dir=tmp_path / "cache", fetch=fetch) == binary and len(urls) == 2


def test_the_projects_own_esbuild_wins(tmp_path: Path):
    own = tmp_path / "node_modules" / ".bin" / "esbuild"
    own.parent.mkdir(parents=True)
    own.write_text("#!/bin/sh\n")
    own.chmod(0o755)
    assert node.esbuild_binary([tmp_path], cache_dir=tmp_path / "cache", fetch=lambda url: b"") == own


def test_esbuild_error_becomes_file_line_col(tmp_path: Path):
    stderr = '✘ [ERROR] Could not resolve "left-pad"\n\n    src/api.ts:2:20:\n      2 │ import pad from "left-pad";\n'

    def esbuild(args, cwd=None, env=None) -> Completed:
        return Completed(1, "", stderr)

    with pytest.raises(InputError) as caught:
        node.bundle(Path("esbuild"), root=tmp_path, entry="src/api.ts", outfile=tmp_path / "o.js",
                    runtime="nodejs22.x", options=node.EsbuildOptions(), tools=tools(esbuild))  # fmt: skip
    assert str(caught.value).startswith('src/api.ts:2:21 esbuild: Could not resolve "left-pad"')


def test_esbuild_command_line_from_the_settings(tmp_path: Path):
    seen: list[list[str]] = []

    def esbuild(args, cwd=None, env=None) -> Completed:
        seen.append(list(args))
        return Completed(0, "", "")

    options = node.EsbuildOptions(minify=True, sourcemap="linked", external=("pg",), format="esm", concurrency=2)
    node.bundle(Path("esbuild"), root=tmp_path, entry="src/api.ts", outfile=tmp_path / "out" / "src" / "api.mjs",
                runtime="nodejs24.x", options=options, tools=tools(esbuild))  # fmt: skip
    (args,) = seen
    assert args[1] == "src/api.ts" and "--bundle" in args and "--minify" in args and "--sourcemap=linked" in args
    assert "--target=node24" in args and "--format=esm" in args and "--platform=node" in args
    assert "--external:pg" in args and "--external:@aws-sdk/*" in args  # excluded by default: the runtime has it
    assert options.concurrency == 2 and node.bundle_name("src/api", options) == "src/api.mjs"


def test_externals_that_are_dependencies_are_installed(tmp_path: Path):
    proj = project(tmp_path, {"dependencies": {"pg": "8", "@prisma/client": "5", "ms": "2"}})
    options = node.EsbuildOptions(external=("pg", "@prisma/*", "not-a-dependency"))
    assert node.externals_to_install(proj, options) == ["@prisma/client", "pg"]


# -- compiled runtimes ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("head", "architecture", "problem"),
    [(elf(62), "x86_64", None), (elf(183), "arm64", None), (b"#!/bin/sh\n", "arm64", None),
     (elf(62), "arm64", "bootstrap is an ELF for x86_64, but the function runs on arm64 (aarch64)"),
     (b"\xcf\xfa\xed\xfe" + b"\x00" * 16, "x86_64", "bootstrap is Mach-O (macOS), but the function runs on x86_64"),
     (b"hello", "x86_64", "bootstrap is not an ELF file")],
)  # fmt: skip
def test_bootstrap_header(head, architecture, problem):
    found = compiled.header_problem(head, architecture=architecture)
    assert (found is None) if problem is None else (found is not None and found[0].startswith(problem))


class FakeToolchain:
    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict]] = []

    def __call__(self, args, cwd=None, env=None) -> Completed:
        args = list(args)
        self.calls.append((args, dict(env or {})))
        if args[1] == "build" and "-o" in args:
            Path(args[args.index("-o") + 1]).write_bytes(elf(183 if (env or {}).get("GOARCH") == "arm64" else 62))
        return Completed(0, "go version go1.23.4 linux/amd64\n", "")


def test_build_go_cross_compiles_for_lambda(tmp_path: Path):
    (tmp_path / "go.mod").write_text("module example.com/api\n")
    fake = FakeToolchain()
    binary = compiled.build_bootstrap("go", root=tmp_path, handler="bootstrap", architecture="arm64",
                                      out=tmp_path / "out", tools=tools(fake, have=("go",)))  # fmt: skip
    args, env = fake.calls[-1]
    assert args[1:4] == ["build", "-tags", "lambda.norpc"] and args[-1] == "."
    assert env["GOOS"] == "linux" and env["GOARCH"] == "arm64" and env["CGO_ENABLED"] == "0"
    assert compiled.bootstrap_problem(binary, architecture="arm64") is None


def test_build_go_without_go_uses_the_prebuilt_bootstrap_or_says_how(tmp_path: Path):
    (tmp_path / "go.mod").write_text("module example.com/api\n")
    with pytest.raises(FnError, match="needs go, which is not installed"):
        compiled.build_bootstrap("go", root=tmp_path, handler="bootstrap", architecture="x86_64",
                                 out=tmp_path / "out", tools=tools(FakeToolchain(), have=()))  # fmt: skip
    (tmp_path / "bootstrap").write_bytes(elf(62))
    warnings: list[str] = []
    found = compiled.build_bootstrap(
        "go",
        root=tmp_path,
        handler="bootstrap",
        architecture="x86_64",
        out=tmp_path / "out",
        tools=tools(FakeToolchain(), have=()),
        warn=warnings.append,
    )
    assert found == tmp_path / "bootstrap"
    assert warnings == ["go is not installed: packaging the prebuilt ./bootstrap as it is"]


def test_build_rust_needs_cargo_lambda(tmp_path: Path):
    (tmp_path / "Cargo.toml").write_text("[package]\nname = 'api'\n")
    with pytest.raises(FnError) as caught:
        compiled.build_bootstrap("rust", root=tmp_path, handler="bootstrap", architecture="x86_64",
                                 out=tmp_path / "out", tools=tools(FakeToolchain(), have=("cargo",)))  # fmt: skip
    assert "needs cargo-lambda" in caught.value.message and "pip install cargo-lambda" in caught.value.hint


def test_dependencies_in_a_node_modules_layer_for_every_function(tmp_path: Path):
    """`package.dependencies: layer` for a Node.js service: one `nodeModules` layer with nodejs/node_modules,
    installed for Lambda's platform; the functions' zips carry no node_modules."""
    import zipfile

    from fnship.manifest import load_manifest
    from fnship.packaging import package_all

    root = tmp_path / "svc"
    root.mkdir()
    (root / "serverless.yml").write_text(
        "service: svc\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  architecture: arm64\n"
        "package:\n  dependencies: layer\nfunctions:\n  api:\n    handler: index.handler\n"
    )
    (root / "index.js").write_text("exports.handler = async () => require('ms');\n")
    (root / "package.json").write_text(json.dumps(PACKAGE))
    (root / "package-lock.json").write_text("{}")
    (root / "node_modules" / "host-only").mkdir(parents=True)
    (root / "node_modules" / "host-only" / "index.js").write_text("built for this machine\n")
    manifest = load_manifest(root / "serverless.yml", env={})
    assert manifest.artifacts.function_layers["api"] == ("nodeModules",)
    npm = FakeNpm()
    packaged = package_all(manifest, out_dir=tmp_path / "out", tools=tools(npm), cache_dir=tmp_path / "cache")
    layer = packaged.layers["nodeModules"]
    with zipfile.ZipFile(layer.path) as zf:
        assert zf.namelist() == ["nodejs/node_modules/ms/index.js"]
    with zipfile.ZipFile(packaged.functions["api"].path) as zf:
        assert not any("node_modules" in name for name in zf.namelist())
    assert "--cpu=arm64" in npm.calls[0]


def test_native_builds_skip_installed_package_json_that_is_not_an_honest_one(tmp_path: Path):
    """An installed package's package.json goes through the bounded reader too: a wrong one is skipped, never a
    crash (a JSON array has no .get, deep nesting would recurse)."""
    modules = tmp_path / "node_modules"
    for name, meta in (("good", b'{"name": "good", "version": "1.0.0"}'), ("array", b"[1]"),
                       ("deep", b"[" * 50_000 + b"]" * 50_000), ("binary", b"\x00\x01"),
                       ("nogyp", b'{"name": "nogyp", "version": "2.0.0", "gypfile": false}')):  # fmt: skip
        (modules / name).mkdir(parents=True)
        (modules / name / "binding.gyp").write_text("{}")
        (modules / name / "package.json").write_bytes(meta)
    assert node.native_builds(modules, node.NodeTarget("nodejs22.x", "x86_64")) == ["good@1.0.0"]
