"""Node.js functions end to end: real packages from the npm registry installed for Lambda's Linux and each
function's architecture, TypeScript bundled with a real esbuild (fetched from the registry, checksum checked),
layers, and handlers run by `fn invoke --local` with the machine's node."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from fnship.packaging import elfcheck, node

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="needs node and npm (apt-get install nodejs npm)",
)


@pytest.fixture(scope="session")
def esbuild_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """esbuild fetched once for the session from the npm registry (the first-use path, checksum verified)."""
    cache = tmp_path_factory.mktemp("esbuild-cache")
    node.esbuild_binary([], cache_dir=cache)
    return cache / "tools"


@pytest.fixture
def with_esbuild(esbuild_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """This test's private build cache, seeded with the session's esbuild."""
    import os

    cache = Path(os.environ["FN_CACHE_DIR"])
    shutil.copytree(esbuild_home, cache / "tools", dirs_exist_ok=True)


def npm_lock(root: Path) -> None:
    subprocess.run(["npm", "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund", "--force"],
                   cwd=root, check=True, capture_output=True, timeout=300)  # fmt: skip


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return sorted(info.filename for info in zf.infolist())


def member_machine(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as zf, zf.open(name) as member:
        return elfcheck.machine_of_header(member.read(20))


PACKAGE = {
    "name": "orders",
    "version": "1.0.0",
    "private": True,
    "dependencies": {"ms": "2.1.3", "esbuild": node.ESBUILD_VERSION},
    "devDependencies": {"left-pad": "1.3.0"},
}
SERVICE = """\
service: orders
provider:
  name: aws
  runtime: nodejs22.x
package:
  individually: true
functions:
  arm:
    handler: src/api.handler
    architecture: arm64
  intel:
    handler: src/api.handler
"""
API_JS = "const ms = require('ms');\nexports.handler = async (event) => ({ took: ms(event.ms || 1500) });\n"


@pytest.mark.network
def test_dependencies_for_lambdas_platform_per_architecture_cached_and_deterministic(project, monkeypatch, tmp_path):
    project.write("package.json", json.dumps(PACKAGE))
    project.write("serverless.yml", SERVICE)
    project.write("src/api.js", API_JS)
    npm_lock(project.root)
    built = project.fn("package", "--json")
    assert built.exit_code == 0, built.stderr
    rows = {row["function"]: row for row in built.json["artifacts"]}
    arm, intel = project.root / rows["arm"]["path"], project.root / rows["intel"]["path"]
    for zpath, cpu, machine in ((arm, "arm64", "aarch64"), (intel, "x64", "x86_64")):
        listed = names(zpath)
        assert "src/api.js" in listed and "node_modules/ms/index.js" in listed
        assert f"node_modules/@esbuild/linux-{cpu}/bin/esbuild" in listed  # the optional dependency for Lambda's CPU
        assert member_machine(zpath, f"node_modules/@esbuild/linux-{cpu}/bin/esbuild") == machine
        assert not any(name.startswith(("node_modules/left-pad/", "node_modules/.bin/")) for name in listed)
        other = "x64" if cpu == "arm64" else "arm64"
        assert not any(name.startswith(f"node_modules/@esbuild/linux-{other}/") for name in listed)

    again = project.fn("package", "--json")
    assert all(row["cache_hit"] for row in again.json["artifacts"])  # unchanged: no npm run, no zip rewrite

    shutil.rmtree(project.root / ".fn")
    monkeypatch.setenv("FN_CACHE_DIR", str(tmp_path / "another-cache"))
    clean = project.fn("package", "--json")
    assert {r["function"]: r["sha256"] for r in clean.json["artifacts"]} == {
        r["function"]: r["sha256"] for r in built.json["artifacts"]
    }  # two clean builds, byte-identical

    invoked = project.fn("invoke", "--local", "-f", "intel", "--data", '{"ms": 60000}', "--json")
    assert invoked.exit_code == 0, invoked.stderr
    assert invoked.json["payload"] == {"took": "1m"}


TS_SERVICE = """\
service: typed
frameworkVersion: "4"
provider:
  name: aws
  runtime: nodejs22.x
functions:
  api:
    handler: src/api.handler
"""
API_TS = """\
import ms from "ms";
type Event = { ms?: number };
export const handler = async (event: Event): Promise<{ took: string }> => {
  console.log("bundled", ms(2000));
  return { took: ms(event.ms ?? 1000) };
};
"""


@pytest.mark.network
def test_typescript_handler_is_bundled_where_lambda_looks_and_runs_locally(project, with_esbuild):
    project.write("package.json", json.dumps({"name": "typed", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}}))
    project.write("serverless.yml", TS_SERVICE)
    project.write("src/api.ts", API_TS)
    npm_lock(project.root)
    assert project.fn("validate").exit_code == 0
    built = project.fn("package", "--json")
    assert built.exit_code == 0, built.stderr
    (row,) = built.json["artifacts"]
    assert names(project.root / row["path"]) == ["src/api.js"]  # ms is inside the bundle
    invoked = project.fn("invoke", "--local", "--data", '{"ms": 3000}', "--json")
    assert invoked.exit_code == 0, invoked.stderr
    assert invoked.json["payload"] == {"took": "3s"}
    assert any("\tINFO\tbundled 2s" in line for line in invoked.json["log"].splitlines()), invoked.json["log"]


@pytest.mark.network
def test_build_esbuild_bundles_every_function_and_installs_externals(project, with_esbuild):
    project.write("package.json", json.dumps({"name": "b", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}}))
    project.write("serverless.yml", TS_SERVICE.replace('frameworkVersion: "4"\n', "build:\n  esbuild:\n"
                  "    external: [ms]\n    format: esm\n    minify: true\n").replace("src/api.handler",
                                                                                    "src/plain.handler"))  # fmt: skip
    project.write("src/plain.js", "import ms from 'ms';\nexport const handler = async () => ms(1000);\n")
    npm_lock(project.root)
    built = project.fn("package", "--json")
    assert built.exit_code == 0, built.stderr
    listed = names(project.root / built.json["artifacts"][0]["path"])
    assert "src/plain.mjs" in listed and "node_modules/ms/index.js" in listed and "src/plain.js" not in listed
    invoked = project.fn("invoke", "--local", "--json")
    assert invoked.exit_code == 0 and invoked.json["payload"] == "1s", invoked.stdout + invoked.stderr


@pytest.mark.network
def test_esbuild_error_is_an_input_error_with_file_line_col(project, with_esbuild):
    project.write("serverless.yml", TS_SERVICE)
    project.write("src/api.ts", "export const handler = async () => {\n  return 1 +;\n};\n")
    result = project.fn("package")
    assert result.exit_code == 2
    assert 'src/api.ts:2:13 esbuild: Unexpected ";"' in result.stderr, result.stderr
    assert not list((project.root / ".fn" / "build").rglob("*.zip"))


LAYER_SERVICE = """\
service: layered
provider:
  name: aws
  runtime: nodejs22.x
layers:
  shared:
    path: shared
functions:
  api:
    handler: index.handler
    layers: [shared]
"""


@pytest.mark.network
def test_node_layer_ships_nodejs_node_modules_and_is_on_the_local_node_path(project):
    project.write("shared/package.json", json.dumps({"name": "shared", "version": "1.0.0",
                                                     "dependencies": {"ms": "2.1.3"}}))  # fmt: skip
    project.write("shared/helpers.js", "module.exports = 'helper';\n")
    npm_lock(project.root / "shared")
    project.write("serverless.yml", LAYER_SERVICE)
    project.write("index.js", "exports.handler = async () => require('ms')(120000);\n")
    built = project.fn("package", "--json")
    assert built.exit_code == 0, built.stderr
    layer = next(r for r in built.json["artifacts"] if r["kind"] == "layer")
    listed = names(project.root / layer["path"])
    assert "nodejs/node_modules/ms/index.js" in listed and "nodejs/helpers.js" in listed
    function = next(r for r in built.json["artifacts"] if r["kind"] == "zip")
    assert not any(n.startswith(("shared/", "node_modules/")) for n in names(project.root / function["path"]))
    invoked = project.fn("invoke", "--local", "--json")
    assert invoked.exit_code == 0 and invoked.json["payload"] == "2m", invoked.stdout + invoked.stderr


def test_javascript_handler_runs_locally_and_fn_logs_local_sees_it(project, moto, monkeypatch):
    monkeypatch.setenv("FN_LOCAL_PORT", moto.port)
    project.write("serverless.yml", "service: plain\nprovider:\n  name: aws\n  runtime: nodejs22.x\n"
                  "functions:\n  hello:\n    handler: handler.hello\n")  # fmt: skip
    project.write("handler.js", "exports.hello = async (event) => { console.log('marker', event.n); return 'ok'; };\n")
    assert project.fn("deploy", "--local", "--yes").exit_code == 0
    invoked = project.fn("invoke", "--local", "--data", '{"n": 42}')
    assert invoked.exit_code == 0, invoked.stderr
    logs = project.fn("logs", "--local", "--since", "5m")
    assert logs.exit_code == 0 and "marker 42" in logs.stdout, logs.stdout + logs.stderr


def test_a_native_module_for_another_architecture_in_the_code_is_refused(project):
    project.write("serverless.yml", "service: nat\nprovider:\n  name: aws\n  runtime: nodejs22.x\n"
                  "  architecture: arm64\nfunctions:\n  api:\n    handler: index.handler\n")  # fmt: skip
    project.write("index.js", "exports.handler = async () => require('./build/Release/fast.node');\n")
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 11 + (62).to_bytes(2, "little") + b"\x00" * 40
    (project.root / "build" / "Release").mkdir(parents=True)
    (project.root / "build" / "Release" / "fast.node").write_bytes(elf)
    result = project.fn("package")
    assert result.exit_code == 2
    assert "runs on arm64 (aarch64) but would ship native extensions built for another machine" in result.stderr
    assert "build/Release/fast.node (x86_64)" in result.stderr
