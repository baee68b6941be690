"""Compiled runtimes (`provided.al2023`, `provided.al2`): the `bootstrap` executable Lambda starts, checked to be
an ELF for the function's architecture (or a script), and built by fnship when `build: go` / `build: rust` asks
and the toolchain is installed.

Filesystem and subprocesses (the injected Tools runner): no AWS, no manifest parsing.
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-provided.html
Go: `GOOS=linux GOARCH=amd64|arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap`
(https://docs.aws.amazon.com/lambda/latest/dg/golang-package.html); Rust: `cargo lambda build --release`
(https://docs.aws.amazon.com/lambda/latest/dg/rust-package.html), whose zig linker targets Lambda's glibc.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fnship.errors import FnError
from fnship.packaging import deps, elfcheck
from fnship.packaging.platforms import MACHINES

GOARCH = {"x86_64": "amd64", "arm64": "arm64"}


def header_problem(head: bytes, *, architecture: str) -> tuple[str, str] | None:
    """(message, hint) when a bootstrap's first bytes are not an executable for `architecture`."""
    if head.startswith(b"#!"):
        return None  # a script runtime (sh, a language installed in a layer): Lambda runs it as is
    machine = elfcheck.machine_of_header(head)
    wanted = MACHINES[architecture]
    if machine == wanted:
        return None
    return (
        f"bootstrap is {machine if machine.startswith(('not', 'Mach')) else f'an ELF for {machine}'}, but the "
        f"function runs on {architecture} ({wanted})",
        f"build it for Linux {architecture} (Go: GOOS=linux GOARCH={GOARCH[architecture]}; Rust: cargo lambda "
        f"build{' --arm64' if architecture == 'arm64' else ''}), or let fn build it with `build: go` / `build: rust`",
    )


def bootstrap_problem(path: Path | None, *, architecture: str) -> tuple[str, str] | None:
    """(message, hint) when the bootstrap a provided.* function ships is missing or not for its architecture."""
    if path is None:
        return (
            "a provided.* function needs an executable named `bootstrap` at the root of its package (or of a layer)",
            "build it (Go: go build -o bootstrap; Rust: cargo lambda build), or set `build: go` / `build: rust`",
        )
    with open(path, "rb") as f:
        return header_problem(f.read(20), architecture=architecture)


def key_material(compiler: str, tools: deps.Tools) -> list[str]:
    """The toolchain's version: part of the zip's key, so a new compiler rebuilds."""
    program = "go" if compiler == "go" else "cargo"
    found = tools.which(program)
    if found is None:
        return [f"{program}:absent"]
    done = tools.run([found, "version"] if compiler == "go" else [found, "--version"])
    return [done.stdout.strip()]


def build_bootstrap(
    compiler: str,
    *,
    root: Path,
    handler: str,
    architecture: str,
    out: Path,
    tools: deps.Tools,
    warn: Callable[[str], None] = lambda _message: None,
) -> Path:
    """Compile the function's bootstrap into `out/bootstrap`; without the toolchain, the user's prebuilt
    `bootstrap` (next to the manifest) is used, with a warning, or the build is refused naming the way out."""
    out.mkdir(parents=True, exist_ok=True)
    binary = out / "bootstrap"
    if compiler == "go":
        return _go(root=root, handler=handler, architecture=architecture, binary=binary, tools=tools, warn=warn)
    return _rust(root=root, architecture=architecture, binary=binary, tools=tools, warn=warn)


def _prebuilt(root: Path, tool: str, how: str, warn: Callable[[str], None]) -> Path:
    prebuilt = root / "bootstrap"
    if prebuilt.is_file():
        warn(f"{tool} is not installed: packaging the prebuilt ./bootstrap as it is")
        return prebuilt
    raise FnError(f"`build: {'go' if tool == 'go' else 'rust'}` needs {tool}, which is not installed, and there is "
                  "no prebuilt ./bootstrap", hint=how)  # fmt: skip


def _go(
    *, root: Path, handler: str, architecture: str, binary: Path, tools: deps.Tools, warn: Callable[[str], None]
) -> Path:
    go = tools.which("go")
    if not (root / "go.mod").is_file():
        raise FnError("`build: go` needs a go.mod next to serverless.yml", hint="go mod init <module>, or remove build")
    if go is None:
        return _prebuilt(root, "go", "install Go (https://go.dev/dl/), or build ./bootstrap yourself", warn)
    # The package to build: the handler when it names a directory of the module (cmd/api), else the module root.
    package = "./" + handler.strip("./") if handler and (root / handler).is_dir() else "."
    env = {"GOOS": "linux", "GOARCH": GOARCH[architecture], "CGO_ENABLED": "0", "GOFLAGS": "-trimpath"}
    done = tools.run(
        [go, "build", "-tags", "lambda.norpc", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", str(binary),
         package],
        cwd=root,
        env=env,
    )  # fmt: skip
    if done.returncode != 0:
        raise FnError(f"go build failed:\n{_tail(done.stderr or done.stdout)}")
    return binary


def _rust(*, root: Path, architecture: str, binary: Path, tools: deps.Tools, warn: Callable[[str], None]) -> Path:
    if not (root / "Cargo.toml").is_file():
        raise FnError("`build: rust` needs a Cargo.toml next to serverless.yml", hint="cargo init, or remove build")
    cargo = tools.which("cargo")
    has_lambda = cargo is not None and (tools.which("cargo-lambda") is not None)
    if not has_lambda:
        return _prebuilt(
            root,
            "cargo-lambda",
            "install it (pip install cargo-lambda, or brew install cargo-lambda/tap/cargo-lambda): plain cargo "
            "links against this machine's glibc, which Lambda's may not have; or build ./bootstrap yourself",
            warn,
        )
    assert cargo is not None
    target_dir = binary.parent / "target"
    args = [cargo, "lambda", "build", "--release", "--lambda-dir", str(target_dir)]
    if architecture == "arm64":
        args.append("--arm64")
    done = tools.run(args, cwd=root)
    if done.returncode != 0:
        raise FnError(f"cargo lambda build failed:\n{_tail(done.stderr or done.stdout)}")
    built = sorted(target_dir.glob("*/bootstrap"))
    if len(built) != 1:
        raise FnError(
            f"cargo lambda build made {len(built)} bootstrap binaries ({', '.join(p.parent.name for p in built)})",
            hint="keep one binary target per service, or build ./bootstrap yourself and drop `build: rust`",
        )
    built[0].replace(binary)
    return binary


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
