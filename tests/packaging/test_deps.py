"""Dependencies: where requirements come from, the installer arguments per runtime and architecture, sdists,
the container fallback, the cache-hit path doing no install, the ELF architecture check."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from fnship.errors import FnError, InputError
from fnship.packaging import deps, elfcheck, runner
from fnship.packaging.platforms import Target, wheel_fits
from fnship.packaging.runner import Completed
from tests.packaging.fakes import FakeInstaller, no_engines


def tools(fake: FakeInstaller, *, engines: tuple[str, ...] = ()) -> deps.Tools:
    return deps.Tools(runner=fake, which=lambda name: f"/usr/bin/{name}" if name in engines or name == "uv" else None)


def requirements(tmp_path: Path, text: str = "requests==2.32.3\npyyaml\n") -> deps.Requirements:
    (tmp_path / "requirements.txt").write_text(text)
    return deps.parse_requirements_file(tmp_path / "requirements.txt")


@pytest.mark.parametrize(
    ("runtime", "arch", "uv_platform", "newest_tag"),
    [
        ("python3.11", "x86_64", "x86_64-manylinux_2_17", "manylinux_2_26_x86_64"),
        ("python3.11", "arm64", "aarch64-manylinux_2_17", "manylinux_2_26_aarch64"),
        ("python3.12", "x86_64", "x86_64-manylinux_2_34", "manylinux_2_34_x86_64"),
        ("python3.13", "arm64", "aarch64-manylinux_2_34", "manylinux_2_34_aarch64"),
    ],
)
def test_platform_tags_follow_the_runtime_os(runtime, arch, uv_platform, newest_tag):
    target = Target(runtime, arch)
    assert target.uv_platform() == uv_platform
    assert target.platform_tags()[0] == newest_tag
    assert f"manylinux2014_{target.machine}" in target.platform_tags()


@pytest.mark.parametrize(
    ("wheel", "fits"),
    [
        ("pydantic_core-2.27.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", True),
        ("pydantic_core-2.27.2-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", False),
        ("pydantic_core-2.27.2-cp312-cp312-manylinux_2_17_x86_64.whl", False),
        ("orjson-3.10.0-cp311-cp311-manylinux_2_28_x86_64.whl", False),  # glibc 2.28 > Amazon Linux 2's 2.26
        ("cryptography-43.0.0-cp39-abi3-manylinux_2_28_x86_64.whl", False),
        ("cryptography-43.0.0-cp39-abi3-manylinux_2_17_x86_64.whl", True),
        ("requests-2.32.3-py3-none-any.whl", True),
        ("numpy-2.0.0-cp311-cp311-macosx_14_0_arm64.whl", False),
    ],
)
def test_wheel_fits_python311_x86_64(wheel, fits):
    assert wheel_fits(wheel, Target("python3.11", "x86_64")) is fits


@pytest.mark.parametrize(
    ("wheel", "fits"),
    [
        ("cryptography-43.0.0-cp313-abi3-manylinux_2_34_x86_64.whl", False),  # abi3 from 3.13 on: not for 3.12
        ("cryptography-43.0.0-cp312-abi3-manylinux_2_34_x86_64.whl", True),
        ("cryptography-43.0.0-cp37-abi3-manylinux_2_34_x86_64.whl", True),
        ("pydantic_core-2.27.2-cp313-cp313-manylinux_2_17_x86_64.whl", False),
        ("six-1.16.0-py2.py3-none-any.whl", True),
        ("tool-1.0-py313-none-any.whl", False),  # only for Python 3.13
        ("tool-1.0-cp312-none-manylinux_2_17_x86_64.whl", True),
        ("not a wheel.whl", False),
    ],
)
def test_wheel_fits_python312_by_the_tags_pypa_packaging_accepts(wheel, fits):
    assert wheel_fits(wheel, Target("python3.12", "x86_64")) is fits


def test_uv_installs_for_the_target_not_the_host(tmp_path: Path):
    fake = FakeInstaller()
    reqs = requirements(tmp_path)
    deps.install(reqs, Target("python3.12", "arm64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(fake), work=tmp_path / "work")  # fmt: skip
    (install,) = fake.calls
    assert install[install.index("--python-platform") + 1] == "aarch64-manylinux_2_34"
    assert install[install.index("--python-version") + 1] == "3.12"
    assert install[install.index("--only-binary") + 1] == ":all:"
    assert "requests==2.32.3" in install and "pyyaml" in install
    assert (tmp_path / "out" / "requests" / "__init__.py").is_file()


def test_pip_is_the_fallback_installer_with_the_target_tags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(runner, "_UV_FOUND", [None])  # the uv wheel has no binary for this machine, none on PATH
    calls: list[list[str]] = []

    def pip(args, cwd=None, env=None):
        calls.append(list(args))
        return Completed(0, "", "")

    deps.install(requirements(tmp_path), Target("python3.12", "arm64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=deps.Tools(runner=pip, which=lambda _name: None), work=tmp_path / "work")  # fmt: skip
    (args,) = calls
    assert args[1:4] == ["-m", "pip", "install"]
    platforms = [args[i + 1] for i, arg in enumerate(args) if arg == "--platform"]
    assert platforms[0] == "manylinux_2_34_aarch64"  # Amazon Linux 2023's glibc, nothing newer
    assert {"manylinux_2_17_aarch64", "manylinux2014_aarch64"} <= set(platforms)
    assert all(p.endswith("_aarch64") for p in platforms)

    def value(option: str) -> str:
        return args[args.index(option) + 1]

    assert (value("--python-version"), value("--implementation"), value("--abi")) == ("3.12", "cp", "cp312")
    assert "--only-binary=:all:" in args and args[-2:] == ["requests==2.32.3", "pyyaml"]


def test_cache_hit_runs_no_installer(tmp_path: Path):
    fake = FakeInstaller()
    reqs = requirements(tmp_path)
    target = Target("python3.11", "x86_64")
    first = deps.installed_tree(reqs, target, cache_dir=tmp_path / "cache", options=deps.BuildOptions(),
                                tools=tools(fake))  # fmt: skip
    assert first[2] is False and len(fake.calls) == 1
    second = deps.installed_tree(reqs, target, cache_dir=tmp_path / "cache", options=deps.BuildOptions(),
                                 tools=tools(fake))  # fmt: skip
    assert second == (first[0], first[1], True)
    assert len(fake.calls) == 1  # no pip/uv run on a hit
    other_arch = deps.installed_tree(reqs, Target("python3.11", "arm64"), cache_dir=tmp_path / "cache",
                                     options=deps.BuildOptions(), tools=tools(fake))  # fmt: skip
    assert other_arch[1] != first[1] and len(fake.calls) == 2


def test_pure_sdist_is_built_locally_and_installed(tmp_path: Path):
    fake = FakeInstaller(no_wheel=["docopt"])
    reqs = requirements(tmp_path, "docopt==0.6.2\nrequests\n")
    deps.install(reqs, Target("python3.11", "x86_64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(fake), work=tmp_path / "work")  # fmt: skip
    built = [c for c in fake.calls if "wheel" in c]
    assert built and built[0][-3:] == ["--no-binary", ":all:", "docopt==0.6.2"]
    assert (tmp_path / "out" / "docopt").is_dir()


def test_native_sdist_without_engine_names_the_package_and_the_fix(tmp_path: Path):
    fake = FakeInstaller(no_wheel=["fastnative"], built={"fastnative": "fastnative-1.0-cp311-cp311-linux_x86_64.whl"})
    reqs = requirements(tmp_path, "fastnative==1.0\n")
    with pytest.raises(FnError) as caught:
        deps.install(reqs, Target("python3.11", "x86_64"), tmp_path / "out", options=deps.BuildOptions(),
                     tools=tools(fake), work=tmp_path / "work")  # fmt: skip
    assert "fastnative==1.0 has no wheel for python3.11 x86_64" in caught.value.message
    assert "docker, podman or buildah" in caught.value.hint


def test_native_sdist_builds_in_the_lambda_build_image_with_an_engine(tmp_path: Path):
    fake = FakeInstaller(no_wheel=["fastnative"], built={"fastnative": "fastnative-1.0-cp311-cp311-linux_x86_64.whl"})
    reqs = requirements(tmp_path, "fastnative==1.0\n")
    deps.install(reqs, Target("python3.11", "arm64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(fake, engines=("buildah",)), work=tmp_path / "work")  # fmt: skip
    engine_calls = [c for c in fake.calls if c[0] == "buildah"]
    assert engine_calls[0] == ["buildah", "from", "--platform", "linux/arm64",
                               "public.ecr.aws/sam/build-python3.11:latest-arm64"]  # fmt: skip
    assert engine_calls[1][:2] == ["buildah", "run"] and "pip install" in engine_calls[1][-1]
    assert engine_calls[2] == ["buildah", "rm", "container-1"]


def test_private_index_and_constraints_reach_the_build_image(tmp_path: Path):
    # A package on a private index that must be compiled is found there inside the container too.
    class SeesMount(FakeInstaller):
        seen: dict[str, str] = {}

        def __call__(self, args, cwd=None, env=None):
            if args[:2] == ["buildah", "run"]:
                mount = Path(args[args.index("--volume") + 1].split(":", 1)[0])
                self.seen.update({p.relative_to(mount).as_posix(): p.read_text() for p in mount.rglob("*.txt")})
            return super().__call__(args, cwd, env)

    (tmp_path / "constraints.txt").write_text("fastnative<2\n")
    reqs = requirements(tmp_path, "--index-url https://pypi.example.com/simple\n-c constraints.txt\nfastnative==1.0\n")
    fake = SeesMount(no_wheel=["fastnative"], built={"fastnative": "fastnative-1.0-cp311-cp311-linux_x86_64.whl"})
    deps.install(reqs, Target("python3.11", "x86_64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(fake, engines=("buildah",)), work=tmp_path / "work")  # fmt: skip
    assert fake.seen["requirements.txt"].splitlines() == [
        "--index-url https://pypi.example.com/simple", "-c /fn/options/1-constraints.txt", "fastnative==1.0"
    ]  # fmt: skip
    assert fake.seen["options/1-constraints.txt"] == "fastnative<2\n"


def test_local_path_requirement_is_included(tmp_path: Path):
    shared = tmp_path / "libs" / "shared"
    shared.mkdir(parents=True)
    (shared / "pyproject.toml").write_text("[project]\nname='shared'\nversion='1.0'\n")
    fake = FakeInstaller()
    reqs = requirements(tmp_path, "./libs/shared\nrequests\n")
    assert reqs.local_paths == (shared.resolve(),)
    deps.install(reqs, Target("python3.11", "x86_64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(fake), work=tmp_path / "work")  # fmt: skip
    build = next(c for c in fake.calls if c[1] == "build")
    assert build[-1] == str(shared.resolve())
    install = next(c for c in fake.calls if c[1:3] == ["pip", "install"])
    assert any(a.endswith("shared-1.0-py3-none-any.whl") for a in install)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_install_records_naming_this_build_are_dropped(tmp_path: Path):
    # uv records when it built a wheel (uv_cache.json) and pip/uv where a local wheel came from (a file:// URL
    # into our scratch wheelhouse): either would make two clean builds differ. A VCS URL names the package: kept.
    class RecordsBuild(FakeInstaller):
        runs = 0

        def _install(self, args):
            done = super()._install(args)
            RecordsBuild.runs += 1
            target = Path(args[args.index("--target") + 1])
            wheelhouse = args[args.index("--find-links") + 1]
            shared, vcs = target / "shared-1.0.dist-info", target / "requests-1.0.dist-info"
            shared.mkdir(exist_ok=True)
            (shared / "uv_cache.json").write_text(f'{{"timestamp": {RecordsBuild.runs}}}')
            (shared / "direct_url.json").write_text(f'{{"url": "file://{wheelhouse}/shared-1.0-py3-none-any.whl"}}')
            (vcs / "direct_url.json").write_text('{"url": "https://github.com/psf/requests", "vcs_info": {}}')
            (shared / "RECORD").write_text(
                "shared/__init__.py,sha256=abc,1\nshared-1.0.dist-info/uv_cache.json,sha256=x,9\n"
                "shared-1.0.dist-info/direct_url.json,sha256=y,9\nshared-1.0.dist-info/RECORD,,\n"
            )
            return done

    trees = []
    for run in ("a", "b"):
        out, work = tmp_path / run / "out", tmp_path / run / "work"
        deps.install(requirements(tmp_path), Target("python3.11", "x86_64"), out, options=deps.BuildOptions(),
                     tools=tools(RecordsBuild()), work=work)  # fmt: skip
        trees.append(_tree(tmp_path / run / "out"))
    assert trees[0] == trees[1]
    assert "shared-1.0.dist-info/uv_cache.json" not in trees[0]
    assert "shared-1.0.dist-info/direct_url.json" not in trees[0]
    assert "requests-1.0.dist-info/direct_url.json" in trees[0]
    assert (
        trees[0]["shared-1.0.dist-info/RECORD"] == b"shared/__init__.py,sha256=abc,1\nshared-1.0.dist-info/RECORD,,\n"
    )


@pytest.mark.parametrize("line", ["-e .", ".", "./", "file:.", "svc @ file://{root}", "--editable ../svc"])
def test_local_path_forms_are_recognised(tmp_path: Path, line: str):
    root = tmp_path / "svc"
    root.mkdir()
    reqs = requirements(root, line.format(root=root) + "\n")
    assert (reqs.lines, reqs.local_paths) == ((), (root.resolve(),))


def test_local_tree_key_ignores_build_outputs_and_vcs(tmp_path: Path):
    # `-e .` names the service itself: its own .fn/ outputs and .git must not change the dependencies key.
    reqs = requirements(tmp_path, "-e .\n")
    (tmp_path / "app.py").write_text("X = 1\n")
    before = reqs.key_material()
    for junk in (".fn/build/dev/svc.zip", ".git/index", "pkg/__pycache__/a.pyc", "node_modules/x/y.js"):
        (tmp_path / junk).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / junk).write_text("junk")
    assert reqs.key_material() == before
    (tmp_path / "app.py").write_text("X = 2\n")
    assert reqs.key_material() != before


@pytest.mark.parametrize(
    ("line", "what"),
    [("./nope", "the local requirement ./nope"), ("-r base.txt", "the requirements file base.txt"),
     ("-c pins.txt", "the constraints file pins.txt")],
)  # fmt: skip
def test_a_missing_file_named_in_requirements_is_bad_input_at_its_line(tmp_path: Path, line: str, what: str):
    with pytest.raises(InputError) as caught:
        requirements(tmp_path, f"requests\n\n{line}\n")
    assert caught.value.exit_code == 2
    assert caught.value.render().startswith(f"{tmp_path / 'requirements.txt'}:3:1 {what} does not exist")


def test_requirements_from_pyproject_and_poetry_lock(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\ndependencies=["requests>=2", "pyyaml"]\n')
    found = deps.find_requirements([tmp_path])
    assert found is not None and found.lines == ("requests>=2", "pyyaml")
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname="requests"\nversion="2.32.3"\ngroups=["main"]\n\n'
        '[[package]]\nname="pytest"\nversion="8.0.0"\ngroups=["dev"]\n'
    )
    found = deps.find_requirements([tmp_path])
    assert found is not None and found.lines == ("requests==2.32.3",)


def test_uv_lock_is_exported_to_pinned_requirements(tmp_path: Path):
    (tmp_path / "uv.lock").write_text("version = 1\n")

    def export(args, cwd=None, env=None):
        from fnship.packaging.runner import Completed

        assert args[1] == "export" and "--no-dev" in args and cwd == tmp_path
        return Completed(0, "requests==2.32.3\n    # via x\npyyaml==6.0.2\n", "")

    found = deps.find_requirements([tmp_path], tools=deps.Tools(runner=export))
    assert found is not None and found.lines == ("requests==2.32.3", "pyyaml==6.0.2")


def test_function_directory_wins_over_service_root(tmp_path: Path):
    (tmp_path / "requirements.txt").write_text("requests\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "requirements.txt").write_text("pyyaml\n")
    found = deps.find_requirements([tmp_path / "src", tmp_path])
    assert found is not None and found.lines == ("pyyaml",)


def _elf(machine: int) -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + struct.pack("<HH", 3, machine) + b"\x00" * 40


def test_elf_check_names_each_wrong_architecture_file(tmp_path: Path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "good.cpython-311-x86_64-linux-gnu.so").write_bytes(_elf(62))
    (tmp_path / "pkg" / "bad.cpython-311-aarch64-linux-gnu.so").write_bytes(_elf(183))
    (tmp_path / "pkg" / "mac.so").write_bytes(b"\xcf\xfa\xed\xfe" + b"\x00" * 30)
    (tmp_path / "pkg" / "libz.so.1").write_bytes(_elf(62))
    problems = elfcheck.check_tree(tmp_path, machine="x86_64")
    assert [(p.path, p.found) for p in problems] == [
        ("pkg/bad.cpython-311-aarch64-linux-gnu.so", "aarch64"),
        ("pkg/mac.so", "Mach-O (macOS)"),
    ]


def test_install_fails_when_an_extension_has_the_wrong_architecture(tmp_path: Path):
    class ShipsArm(FakeInstaller):
        def _install(self, args):
            done = super()._install(args)
            target = Path(args[args.index("--target") + 1])
            (target / "requests" / "_speedups.so").write_bytes(_elf(183))
            return done

    with pytest.raises(FnError, match=r"requests/_speedups.so \(aarch64\)"):
        deps.install(requirements(tmp_path), Target("python3.11", "x86_64"), tmp_path / "out",
                     options=deps.BuildOptions(), tools=tools(ShipsArm()), work=tmp_path / "work")  # fmt: skip


def test_no_engine_is_found_without_one():
    assert deps.find_engine(no_engines) is None
    assert deps.find_engine(lambda n: "/bin/x" if n in ("podman", "buildah") else None) == "podman"


def test_requirement_file_options_reach_the_installer(tmp_path: Path):
    (tmp_path / "constraints.txt").write_text("urllib3<3\n")
    reqs = requirements(tmp_path, "--extra-index-url https://pypi.example/simple\n-c constraints.txt\nrequests\n")
    assert reqs.lines == ("requests",)
    assert reqs.installer_args == (
        "--extra-index-url", "https://pypi.example/simple", "-c", str((tmp_path / "constraints.txt").resolve())
    )  # fmt: skip
    fake = FakeInstaller()
    deps.install(reqs, Target("python3.11", "x86_64"), tmp_path / "out", options=deps.BuildOptions(),
                 tools=tools(fake), work=tmp_path / "work")  # fmt: skip
    assert "--extra-index-url" in fake.calls[0] and "-c" in fake.calls[0]


def test_local_installer_files_are_keyed_by_content_not_by_path(tmp_path: Path):
    # A constraints bump must reinstall; the same files in another checkout (another CI runner) share the key.
    text = "-c constraints.txt\n--find-links wheels\nrequests\n"
    keys = []
    for checkout in ("runner-a", "runner-b"):
        root = tmp_path / checkout / "src"
        (root / "wheels").mkdir(parents=True)
        (root / "wheels" / "internal-1.0-py3-none-any.whl").write_bytes(b"PK")
        (root / "constraints.txt").write_text("urllib3<3\n")
        reqs = requirements(root, text)
        assert reqs.installer_args[2:] == ("--find-links", str((root / "wheels").resolve()))  # as pip reads it
        keys.append(deps.deps_key(reqs, Target("python3.11", "x86_64"), deps.BuildOptions()))
    assert keys[0] == keys[1]
    (root / "constraints.txt").write_text("urllib3<2\n")
    assert deps.deps_key(reqs, Target("python3.11", "x86_64"), deps.BuildOptions()) != keys[1]
    (root / "constraints.txt").write_text("urllib3<3\n")
    (root / "wheels" / "internal-1.1-py3-none-any.whl").write_bytes(b"PK")
    assert deps.deps_key(reqs, Target("python3.11", "x86_64"), deps.BuildOptions()) != keys[1]
