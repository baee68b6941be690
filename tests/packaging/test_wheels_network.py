"""Real wheels from PyPI (marked `network`): the installed dist-info tags match the runtime and architecture,
and a pure-Python sdist is built locally."""

from __future__ import annotations

from pathlib import Path

import pytest

from fnship.packaging import deps
from fnship.packaging.platforms import Target

pytestmark = pytest.mark.network


@pytest.mark.parametrize(
    ("runtime", "arch", "abi", "machine"),
    [("python3.11", "x86_64", "cp311", "x86_64"), ("python3.12", "arm64", "cp312", "aarch64")],
)
def test_installed_wheels_are_tagged_for_the_target(tmp_path: Path, runtime, arch, abi, machine):
    (tmp_path / "requirements.txt").write_text("pydantic-core==2.27.2\n")
    reqs = deps.parse_requirements_file(tmp_path / "requirements.txt")
    deps.install(reqs, Target(runtime, arch), tmp_path / "out", options=deps.BuildOptions(container="never"),
                 tools=deps.Tools(), work=tmp_path / "work")  # fmt: skip
    (info,) = (tmp_path / "out").glob("pydantic_core-*.dist-info")
    tags = [line.split(": ", 1)[1] for line in (info / "WHEEL").read_text().splitlines() if line.startswith("Tag:")]
    assert tags and all(t.startswith(f"{abi}-{abi}-manylinux") and t.endswith(machine) for t in tags)
    (so,) = (tmp_path / "out" / "pydantic_core").glob("*.so")
    from fnship.packaging.elfcheck import machine_of

    assert machine_of(so) == machine


def test_pure_sdist_is_built_into_a_wheel(tmp_path: Path):
    (tmp_path / "requirements.txt").write_text("docopt==0.6.2\n")  # published as an sdist only
    reqs = deps.parse_requirements_file(tmp_path / "requirements.txt")
    deps.install(reqs, Target("python3.11", "x86_64"), tmp_path / "out", options=deps.BuildOptions(container="never"),
                 tools=deps.Tools(), work=tmp_path / "work")  # fmt: skip
    assert (tmp_path / "out" / "docopt.py").is_file()
    assert list((tmp_path / "out").glob("docopt-0.6.2.dist-info"))


def test_sdists_and_local_paths_install_byte_identically_twice(tmp_path: Path):
    # uv writes a build timestamp and a file:// URL into the dist-info of wheels it built: dropped (deps._tidy).
    shared = tmp_path / "libs" / "shared"
    (shared / "shared").mkdir(parents=True)
    (shared / "shared" / "__init__.py").write_text("X = 1\n")
    (shared / "pyproject.toml").write_text(
        '[project]\nname = "shared"\nversion = "0.1"\n'
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    (tmp_path / "requirements.txt").write_text("docopt==0.6.2\n./libs/shared\n")
    reqs = deps.parse_requirements_file(tmp_path / "requirements.txt")
    trees = []
    for run in ("a", "b"):
        out = tmp_path / run / "out"
        deps.install(reqs, Target("python3.12", "arm64"), out, options=deps.BuildOptions(container="never"),
                     tools=deps.Tools(), work=tmp_path / run / "work")  # fmt: skip
        trees.append({p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert "shared/__init__.py" in trees[0] and "docopt.py" in trees[0]
    assert trees[0] == trees[1]
