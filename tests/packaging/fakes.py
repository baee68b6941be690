"""A stand-in for uv/pip/engines: records every command and behaves like the real tool for what tests check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from fnship.packaging.runner import Completed


class FakeInstaller:
    """`uv pip install --target T spec...` writes a package dir and a dist-info per named spec; specs listed in
    `no_wheel` fail like uv does until a wheel for them sits in the --find-links directory; `pip wheel` and
    `uv build` write the wheel named in `built` (default: pure)."""

    def __init__(self, *, no_wheel: Sequence[str] = (), built: Mapping[str, str] | None = None, engine: bool = False):
        self.calls: list[list[str]] = []
        self.no_wheel = set(no_wheel)
        self.built = dict(built or {})
        self.engine = engine

    def __call__(self, args: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Completed:
        args = list(args)
        self.calls.append(args)
        if args[1:3] == ["pip", "install"]:
            return self._install(args)
        if "wheel" in args or "build" in args[1:2]:
            out = Path(args[args.index("-w") + 1] if "-w" in args else args[args.index("--out-dir") + 1])
            spec = args[-1]
            name = Path(spec).name.split("==")[0].replace("-", "_")
            out.mkdir(parents=True, exist_ok=True)
            (out / self.built.get(name, f"{name}-1.0-py3-none-any.whl")).write_bytes(b"PK")
            return Completed(0, "", "")
        if args[0] in ("buildah", "docker", "podman"):
            return Completed(0, "container-1\n", "")
        return Completed(1, "", f"unexpected command {args}")

    def _install(self, args: list[str]) -> Completed:
        target = Path(args[args.index("--target") + 1])
        links = Path(args[args.index("--find-links") + 1])
        specs = [a for a in args[3:] if not a.startswith("-") and args[args.index(a) - 1] not in _VALUED]
        for spec in specs:
            name = spec.split("==")[0]
            if name in self.no_wheel and not list(links.glob(f"{name}-*.whl")):
                version = spec.split("==")[1] if "==" in spec else "1.0"
                return Completed(1, "", f"  cause: Because {name}=={version} has no usable wheels and you require it")
        for spec in specs:
            name = Path(spec).name.split("==")[0].split("-")[0]
            (target / name).mkdir(parents=True, exist_ok=True)
            (target / name / "__init__.py").write_text(f"# {spec}\n")
            info = target / f"{name}-1.0.dist-info"
            info.mkdir(exist_ok=True)
            platform = args[args.index("--python-platform") + 1]
            (info / "WHEEL").write_text(f"Tag: fake-{platform}\n")
        return Completed(0, "", "")


_VALUED = {"--target", "--python-platform", "--python-version", "--only-binary", "--python", "--find-links"}


def no_engines(_name: str) -> None:
    return None
