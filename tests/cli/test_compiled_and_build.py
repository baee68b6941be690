"""Compiled runtimes (`provided.*`: a bootstrap, ELF for the architecture, 0755 in the zip; `build: go` with a
double of the Go toolchain on PATH) and the manifest's `build:` / bundler plugin settings."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest


def elf(machine: int) -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 11 + machine.to_bytes(2, "little") + b"\x00" * 40


PROVIDED = """\
service: gofn
provider:
  name: aws
  runtime: provided.al2023
  architecture: {arch}
{build}functions:
  api:
    handler: bootstrap
"""


def zip_mode(path: Path, name: str) -> int:
    with zipfile.ZipFile(path) as zf:
        return (zf.getinfo(name).external_attr >> 16) & 0o777


def test_prebuilt_bootstrap_ships_0755_and_is_checked_for_the_architecture(project):
    project.write("serverless.yml", PROVIDED.format(arch="arm64", build=""))
    (project.root / "bootstrap").write_bytes(elf(183))
    (project.root / "bootstrap").chmod(0o644)  # not executable here: Lambda must still be able to run it
    built = project.fn("package", "--json")
    assert built.exit_code == 0, built.stderr
    assert zip_mode(project.root / built.json["artifacts"][0]["path"], "bootstrap") == 0o755
    (project.root / "bootstrap").write_bytes(elf(62))
    wrong = project.fn("package")
    assert wrong.exit_code == 2
    assert "bootstrap is an ELF for x86_64, but the function runs on arm64 (aarch64)" in wrong.stderr


def test_missing_bootstrap_is_refused_by_validate(project):
    project.write("serverless.yml", PROVIDED.format(arch="x86_64", build=""))
    project.write("main.go", "package main\n")
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "functions.api.handler: a provided.* function needs an executable named `bootstrap`" in result.stderr


FAKE_GO = """\
#!/bin/sh
# A double of the Go toolchain: records its arguments and environment, writes an ELF for $GOARCH.
echo "$@ GOOS=$GOOS GOARCH=$GOARCH CGO_ENABLED=$CGO_ENABLED" >> "$FAKE_GO_LOG"
if [ "$1" = version ]; then echo "go version go1.23.4 linux/amd64"; exit 0; fi
while [ $# -gt 0 ]; do if [ "$1" = -o ]; then out="$2"; fi; shift; done
if [ "$GOARCH" = arm64 ]; then m='\\267'; else m='>'; fi
printf "\\177ELF\\002\\001\\001\\000\\000\\000\\000\\000\\000\\000\\000\\000\\002\\000$m\\000" > "$out"
"""


def test_build_go_compiles_the_bootstrap_for_lambda(project, monkeypatch, tmp_path_factory):
    tools = tmp_path_factory.mktemp("toolchain")  # outside the service: its files are not code
    (tools / "go").write_text(FAKE_GO)
    (tools / "go").chmod(0o755)
    log = tools / "go.log"
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_GO_LOG", str(log))
    project.write("serverless.yml", PROVIDED.format(arch="arm64", build="build: go\n"))
    project.write("go.mod", "module example.com/api\n")
    project.write("main.go", "package main\nfunc main() {}\n")
    assert project.fn("validate").exit_code == 0
    built = project.fn("package", "--json")
    assert built.exit_code == 0, built.stderr
    path = project.root / built.json["artifacts"][0]["path"]
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["bootstrap"]
        assert zf.read("bootstrap")[18] == 183  # aarch64
    assert zip_mode(path, "bootstrap") == 0o755
    build_line = next(line for line in log.read_text().splitlines() if line.startswith("build"))
    assert "-tags lambda.norpc" in build_line and "GOOS=linux GOARCH=arm64 CGO_ENABLED=0" in build_line
    again = project.fn("package", "--json")
    assert again.json["artifacts"][0]["cache_hit"]  # unchanged sources: no go build


def test_build_rust_without_cargo_lambda_says_how(project, monkeypatch, tmp_path_factory):
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty")))  # no cargo-lambda (nor anything else)
    project.write("serverless.yml", PROVIDED.format(arch="x86_64", build="build: rust\n"))
    project.write("Cargo.toml", "[package]\nname = 'api'\nversion = '0.1.0'\n")
    result = project.fn("package")
    assert result.exit_code == 1
    assert "`build: rust` needs cargo-lambda, which is not installed, and there is no prebuilt ./bootstrap" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("plugins: [serverless-webpack]\n", "plugins.0: plugin serverless-webpack is not supported: fnship bundles"),
        ("build: webpack\n", "build: 'webpack' is not a build; allowed: esbuild, go, rust"),
        ("build:\n  esbuild:\n    format: umd\n", "build.esbuild.format: 'umd' is not an esbuild format"),
        ("build:\n  esbuild:\n    minifyy: true\n", "unknown key 'minifyy' in build.esbuild; did you mean 'minify'?"),
    ],
)
def test_build_settings_mistakes(project, text, problem):
    project.write("serverless.yml", "service: s\nprovider:\n  name: aws\n  runtime: nodejs22.x\n" + text
                  + "functions:\n  api:\n    handler: index.handler\n")  # fmt: skip
    project.write("index.js", "exports.handler = async () => 1;\n")
    result = project.fn("validate")
    assert result.exit_code == 2 and problem in result.stderr, result.stderr
    if "webpack" in text and "plugins" in text:
        assert "add `build: esbuild`" in result.stderr


def test_framework_v4_and_serverless_esbuild_settings_are_read(project):
    from fnship.manifest import load_manifest
    from fnship.manifest.types import EsbuildOptions

    project.write(
        "serverless.yml",
        'service: s\nframeworkVersion: "4"\nprovider:\n  name: aws\n  runtime: nodejs22.x\n'
        "plugins: [serverless-esbuild, serverless-plugin-typescript]\ncustom:\n  esbuild:\n    minify: true\n"
        "    concurrency: 2\n    packager: pnpm\n    external: [pg]\n  serverlessPluginTypescript:\n"
        "    tsConfigFileLocation: ./tsconfig.build.json\nfunctions:\n  api:\n    handler: index.handler\n",
    )
    manifest = load_manifest(project.root / "serverless.yml", env={})
    build = manifest.artifacts.build
    assert build.compiler == "esbuild"
    expected = EsbuildOptions(minify=True, concurrency=2, external=("pg",), tsconfig="./tsconfig.build.json")
    assert build.esbuild == expected
    assert any("custom.esbuild: packager ignored" in note for note in manifest.notes)
