"""package_all: dependencies land in the zip, an unchanged rebuild does no install and no zip rewrite, clean
builds are byte-identical, `package.dependencies: layer` moves them into a layer, limits are checked."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from fnship.errors import InputError
from fnship.manifest import load_manifest
from fnship.packaging import deps, package_all
from tests.packaging.fakes import FakeInstaller
from tests.packaging.helpers import write_tree

MANIFEST = """\
service: svc
provider:
  name: aws
  runtime: python3.11
functions:
  api:
    handler: handler.main
  worker:
    handler: handler.main
    architecture: arm64
package:
  individually: true
"""


def _service(root: Path, manifest: str = MANIFEST) -> None:
    write_tree(root, {"serverless.yml": manifest, "handler.py": "def main(e, c):\n    return 1\n",
                      "requirements.txt": "requests==2.32.3\n"})  # fmt: skip


def _package(root: Path, fake: FakeInstaller, cache: Path, out: Path | None = None):
    manifest = load_manifest(root / "serverless.yml")
    tools = deps.Tools(runner=fake)
    return package_all(manifest, out_dir=out or root / ".fn" / "build", tools=tools, cache_dir=cache)


def test_dependencies_per_architecture_and_unchanged_rebuild_does_nothing(tmp_path: Path):
    root = tmp_path / "svc"
    _service(root)
    fake = FakeInstaller()
    first = _package(root, fake, tmp_path / "cache")
    installs = [c for c in fake.calls if c[1:3] == ["pip", "install"]]
    platforms = sorted(c[c.index("--python-platform") + 1] for c in installs)
    assert platforms == ["aarch64-manylinux_2_17", "x86_64-manylinux_2_17"]
    with zipfile.ZipFile(first.functions["api"].path) as zf:
        assert {"handler.py", "requests/__init__.py"} <= set(zf.namelist())
    assert not any(a.cache_hit for a in first.functions.values())

    stat_before = first.functions["api"].path.stat()
    fake.calls.clear()
    second = _package(root, fake, tmp_path / "cache")
    assert fake.calls == []  # no pip, no uv
    assert all(a.cache_hit for a in second.functions.values())
    after = second.functions["api"].path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (stat_before.st_ino, stat_before.st_mtime_ns)  # not rewritten
    assert second.functions["api"].sha256_hex == first.functions["api"].sha256_hex

    (root / "handler.py").write_text("def main(e, c):\n    return 2\n")
    third = _package(root, fake, tmp_path / "cache")
    assert fake.calls == []  # code changed, requirements did not: dependencies still cached
    assert third.functions["api"].sha256_hex != first.functions["api"].sha256_hex
    assert not third.functions["api"].cache_hit


def test_two_clean_builds_are_byte_identical(tmp_path: Path):
    root = tmp_path / "svc"
    _service(root)
    a = _package(root, FakeInstaller(), tmp_path / "cache-a", tmp_path / "out-a")
    b = _package(root, FakeInstaller(), tmp_path / "cache-b", tmp_path / "out-b")
    for key in ("api", "worker"):
        assert a.functions[key].path.read_bytes() == b.functions[key].path.read_bytes()


def test_dependencies_in_a_layer_attached_to_every_function(tmp_path: Path):
    root = tmp_path / "svc"
    _service(root, MANIFEST.replace("package:\n  individually: true\n", "package:\n  dependencies: layer\n")
             .replace("    architecture: arm64\n", ""))  # fmt: skip
    packaged = _package(root, FakeInstaller(), tmp_path / "cache")
    layer = packaged.layers["pythonRequirements"]
    with zipfile.ZipFile(layer.path) as zf:
        assert "python/requests/__init__.py" in zf.namelist()
    with zipfile.ZipFile(packaged.functions["api"].path) as zf:
        assert not any(n.startswith("requests/") for n in zf.namelist())
    manifest = load_manifest(root / "serverless.yml")
    assert manifest.artifacts.function_layers["api"] == ("pythonRequirements",)


def test_unzipped_limit_names_the_largest_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from fnship.packaging import checks

    monkeypatch.setattr(checks, "UNZIPPED_LIMIT", 1000)  # stands for 250 MB
    root = tmp_path / "svc"
    _service(root)
    write_tree(root, {"data/big.bin": b"x" * 5000})
    with pytest.raises(InputError) as caught:
        _package(root, FakeInstaller(), tmp_path / "cache")
    text = caught.value.render()
    assert "function api is 0.0 MB unzipped with its layers, above the Lambda limit of 250 MB" in text
    assert "largest: data" in text


def test_layer_with_dependencies_must_match_each_function_architecture(tmp_path: Path):
    root = tmp_path / "svc"
    _service(root, MANIFEST.replace("package:\n  individually: true\n", "package:\n  dependencies: layer\n"))
    with pytest.raises(InputError) as caught:
        _package(root, FakeInstaller(), tmp_path / "cache")
    text = caught.value.render()
    assert "function worker (python3.11 arm64) uses layer pythonRequirements, built for python3.11 x86_64" in text
    assert "function api" not in text


def test_many_identical_zips_built_at_once_share_the_cache_without_clashing(tmp_path: Path):
    # Functions whose packages are byte-identical are zipped in parallel and all remembered under one key:
    # each writer needs a scratch file of its own (CI once failed on a shared `.tmp` name).
    functions = "".join(f"  f{i}:\n    handler: handler.main\n" for i in range(16))
    manifest = f"service: svc\nprovider:\n  name: aws\n  runtime: python3.11\nfunctions:\n{functions}"
    manifest += "package:\n  individually: true\n"
    root = tmp_path / "svc"
    write_tree(root, {"serverless.yml": manifest, "handler.py": "def main(e, c):\n    return 1\n"})
    cache = tmp_path / "cache"
    for attempt in range(5):
        packaged = _package(root, FakeInstaller(), cache, out=tmp_path / f"out{attempt}")
        digests = {a.code_sha256 for a in packaged.functions.values()}
        assert len(packaged.functions) == 16 and len(digests) == 1
    assert len(list((cache / "zips").glob("*.zip"))) == 1
    assert not list((cache / "zips").glob(".*"))  # no scratch files left behind


def _elf(machine: int) -> bytes:
    """An ELF header (e_machine at offset 18): 62 x86_64, 183 aarch64."""
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + struct.pack("<HH", 3, machine) + b"\x00" * 40


def test_native_extension_in_the_code_must_match_each_function_architecture(tmp_path: Path):
    # The Chalice failure: a host-built extension vendored next to the handler ships into a function that runs
    # elsewhere. Checked on every build, cache hits too (a zip without dependencies has no architecture in its key).
    root = tmp_path / "svc"
    _service(root, MANIFEST.replace("    architecture: arm64\n", ""))
    write_tree(root, {"vendored/_speedups.cpython-311-x86_64-linux-gnu.so": _elf(62), "requirements.txt": ""})
    first = _package(root, FakeInstaller(), tmp_path / "cache")
    with zipfile.ZipFile(first.functions["api"].path) as zf:
        assert "vendored/_speedups.cpython-311-x86_64-linux-gnu.so" in zf.namelist()

    (root / "serverless.yml").write_text(MANIFEST)  # worker now runs on arm64
    with pytest.raises(InputError) as caught:
        _package(root, FakeInstaller(), tmp_path / "cache")
    text = caught.value.render()
    assert "serverless.yml:8:3 functions.worker: function worker runs on arm64 (aarch64)" in text
    assert "vendored/_speedups.cpython-311-x86_64-linux-gnu.so (x86_64)" in text
    assert "function api" not in text


def test_native_extension_in_a_layer_directory_or_a_prebuilt_zip_is_checked(tmp_path: Path):
    root = tmp_path / "svc"
    manifest = """\
service: svc
provider:
  name: aws
  runtime: python3.11
layers:
  native:
    path: layer
functions:
  api:
    handler: handler.main
    layers: [native]
  prebuilt:
    handler: handler.main
    architecture: arm64
    package:
      artifact: prebuilt.zip
"""
    write_tree(root, {"serverless.yml": manifest, "handler.py": "def main(e, c):\n    return 1\n",
                      "layer/python/fast/_c.so": _elf(183)})  # fmt: skip
    with zipfile.ZipFile(root / "prebuilt.zip", "w") as zf:
        zf.writestr("lib/_c.cpython-311-x86_64-linux-gnu.so", _elf(62))
        zf.writestr("handler.py", "def main(e, c):\n    return 1\n")
    with pytest.raises(InputError) as caught:
        _package(root, FakeInstaller(), tmp_path / "cache")
    text = caught.value.render()
    assert "layers.native: layer native runs on x86_64 (x86_64)" in text
    assert "python/fast/_c.so (aarch64)" in text
    assert "functions.prebuilt.package.artifact: function prebuilt runs on arm64 (aarch64)" in text
    assert "lib/_c.cpython-311-x86_64-linux-gnu.so (x86_64)" in text
