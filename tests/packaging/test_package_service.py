from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from fnship.errors import InputError
from fnship.manifest.types import PackageSpec
from fnship.packaging import Artifact, package_service
from tests.packaging.helpers import make_manifest, write_tree


def names(artifact: Artifact) -> list[str]:
    with zipfile.ZipFile(artifact.path) as zf:
        return zf.namelist()


def check_hashes(artifact: Artifact) -> None:
    data = artifact.path.read_bytes()
    assert artifact.size == len(data)
    assert artifact.sha256_hex == hashlib.sha256(data).hexdigest()
    assert artifact.code_sha256 == base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_service_zip_shared_by_all_functions(service: Path, tmp_path: Path) -> None:
    manifest = make_manifest(
        service, functions={"api": PackageSpec(), "worker": PackageSpec()}, package=PackageSpec(patterns=("!tests/**",))
    )
    out = tmp_path / "out" / "nested"
    arts = package_service(manifest, out_dir=out)
    assert list(arts) == ["api", "worker"]
    assert arts["api"] is arts["worker"]
    art = arts["api"]
    assert art.path == out / "svc.zip"
    assert art.function_keys == ("api", "worker")
    assert names(art) == ["handler.py", "lib/data.json", "lib/util.py"], "the manifest is never packaged"
    assert art.files == 3
    assert art.unzipped_size == sum((service / n).stat().st_size for n in names(art))
    check_hashes(art)
    assert [p.name for p in out.iterdir()] == ["svc.zip"]  # no temp file left behind


def test_repackaging_gives_identical_bytes(service: Path, tmp_path: Path) -> None:
    manifest = make_manifest(service)
    first = package_service(manifest, out_dir=tmp_path / "a")["api"]
    (service / "handler.py").touch()
    second = package_service(manifest, out_dir=tmp_path / "b")["api"]
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.code_sha256 == second.code_sha256


def test_the_manifest_in_use_is_never_packaged_whatever_its_name(service: Path, tmp_path: Path) -> None:
    (service / "serverless.prod.yml").write_text("service: svc\n")
    (service / "notes.yml").write_text("a: 1\n")
    manifest = dataclasses.replace(make_manifest(service), path=service / "serverless.prod.yml")
    art = package_service(manifest, out_dir=tmp_path / "out")["api"]
    assert "serverless.prod.yml" not in names(art)
    assert "notes.yml" in names(art), "other files are code as usual"


def test_out_dir_inside_service_is_not_packaged(service: Path) -> None:
    manifest = make_manifest(service)
    package_service(manifest, out_dir=service / "build")
    art = package_service(manifest, out_dir=service / "build")["api"]  # second run sees build/svc.zip on disk
    assert not any(n.startswith("build/") for n in names(art))


def test_individually_one_zip_per_function(service: Path, tmp_path: Path) -> None:
    write_tree(service, {"worker.py": "w\n"})
    manifest = make_manifest(
        service,
        package=PackageSpec(individually=True, patterns=("!**", "lib/**")),
        functions={
            "api": PackageSpec(patterns=("handler.py",)),
            "worker": PackageSpec(patterns=("worker.py", "handler.py", "!lib/data.json")),
        },
    )
    arts = package_service(manifest, out_dir=tmp_path)
    assert arts["api"].path == tmp_path / "api.zip" and arts["worker"].path == tmp_path / "worker.zip"
    assert names(arts["api"]) == ["handler.py", "lib/data.json", "lib/util.py"]
    assert names(arts["worker"]) == ["handler.py", "lib/util.py", "worker.py"]
    assert arts["api"].function_keys == ("api",)
    check_hashes(arts["worker"])


def test_function_patterns_alone_make_it_individual(service: Path, tmp_path: Path) -> None:
    manifest = make_manifest(
        service,
        functions={
            "api": PackageSpec(),
            "slim": PackageSpec(patterns=("!lib/**",)),
            "solo": PackageSpec(individually=True),
        },
    )
    arts = package_service(manifest, out_dir=tmp_path)
    assert arts["api"].path == tmp_path / "svc.zip" and arts["api"].function_keys == ("api",)
    assert arts["slim"].path == tmp_path / "slim.zip"
    assert arts["solo"].path == tmp_path / "solo.zip"
    assert "lib/util.py" not in names(arts["slim"]) and "lib/util.py" in names(arts["solo"])
    assert arts["solo"].sha256_hex == arts["api"].sha256_hex  # same files, same bytes


def test_only_restricts(service: Path, tmp_path: Path) -> None:
    manifest = make_manifest(
        service, package=PackageSpec(individually=True), functions={"api": PackageSpec(), "worker": PackageSpec()}
    )
    arts = package_service(manifest, out_dir=tmp_path, only=["worker"])
    assert list(arts) == ["worker"]
    assert not (tmp_path / "api.zip").exists()
    with pytest.raises(InputError, match="unknown function 'nope'"):
        package_service(manifest, out_dir=tmp_path, only=["nope"])


def test_prebuilt_artifact_used_as_is(service: Path, tmp_path: Path) -> None:
    prebuilt = service / "dist" / "api.zip"
    prebuilt.parent.mkdir()
    with zipfile.ZipFile(prebuilt, "w") as zf:
        zf.writestr("dir/", "")
        zf.writestr("dir/app.py", "print(1)\n")
        zf.writestr("other.py", "x = 1\n")
        zf.writestr("handler.py", "def main(event, context): ...\n")
    manifest = make_manifest(service, functions={"api": PackageSpec(artifact="dist/api.zip"), "b": PackageSpec()})
    arts = package_service(manifest, out_dir=tmp_path / "out")
    art = arts["api"]
    assert art.path == prebuilt
    sizes = len("print(1)\n") + len("x = 1\n") + len("def main(event, context): ...\n")
    assert art.files == 3 and art.unzipped_size == sizes
    check_hashes(art)
    assert arts["b"].path == tmp_path / "out" / "svc.zip"


def test_service_artifact_shared(service: Path, tmp_path: Path) -> None:
    prebuilt = tmp_path / "built.zip"
    with zipfile.ZipFile(prebuilt, "w") as zf:
        zf.writestr("a.py", "a")
        zf.writestr("handler.py", "def main(event, context): ...\n")
    manifest = make_manifest(
        service, package=PackageSpec(artifact=str(prebuilt)), functions={"api": PackageSpec(), "b": PackageSpec()}
    )
    arts = package_service(manifest, out_dir=tmp_path / "out")
    assert arts["api"] is arts["b"] and arts["api"].path == prebuilt
    assert arts["api"].function_keys == ("api", "b")
    assert not (tmp_path / "out" / "svc.zip").exists()


def test_missing_and_invalid_artifacts_are_input_errors(service: Path, tmp_path: Path) -> None:
    (service / "notzip.zip").write_text("nope")
    manifest = make_manifest(
        service, functions={"api": PackageSpec(artifact="missing.zip"), "b": PackageSpec(artifact="notzip.zip")}
    )
    with pytest.raises(InputError) as info:
        package_service(manifest, out_dir=tmp_path)
    rendered = info.value.render()
    assert len(info.value.diagnostics) == 2
    assert "functions.api.package.artifact" in rendered and "does not exist" in rendered
    assert "functions.b.package.artifact" in rendered and "not a zip" in rendered
    assert "serverless.yml:7:" in rendered


def test_empty_package_is_an_input_error_naming_the_patterns(service: Path, tmp_path: Path) -> None:
    manifest = make_manifest(service, package=PackageSpec(patterns=("!**", "nothing/**")))
    with pytest.raises(InputError) as info:
        package_service(manifest, out_dir=tmp_path / "out")
    rendered = info.value.render()
    assert "package.patterns" in rendered and "'nothing/**'" in rendered and "no files to package" in rendered
    assert not (tmp_path / "out").exists()


def test_bad_patterns_collected(service: Path, tmp_path: Path) -> None:
    manifest = make_manifest(
        service,
        package=PackageSpec(patterns=("../x/**",)),
        functions={"api": PackageSpec(patterns=("/abs",))},
    )
    with pytest.raises(InputError) as info:
        package_service(manifest, out_dir=tmp_path)
    keys = [d.key for d in info.value.diagnostics]
    assert keys == ["package.patterns.0", "functions.api.package.patterns.0"]


def test_individual_function_wins_over_service_artifact(service: Path, tmp_path: Path) -> None:
    prebuilt = tmp_path / "built.zip"
    with zipfile.ZipFile(prebuilt, "w") as zf:
        zf.writestr("a.py", "a")
        zf.writestr("handler.py", "def main(event, context): ...\n")
    manifest = make_manifest(
        service,
        package=PackageSpec(artifact=str(prebuilt)),
        functions={"api": PackageSpec(), "own": PackageSpec(patterns=("!lib/**",))},
    )
    arts = package_service(manifest, out_dir=tmp_path / "out")
    assert arts["api"].path == prebuilt
    assert arts["own"].path == tmp_path / "out" / "own.zip"
    assert "handler.py" in names(arts["own"])


def test_file_name_that_is_not_utf8_is_an_input_error(service: Path, tmp_path: Path) -> None:
    try:
        (service / os.fsdecode(b"bad\xff.txt")).write_text("x")
    except (OSError, UnicodeEncodeError):
        pytest.skip("the filesystem refuses non-UTF-8 names")
    with pytest.raises(InputError, match="not valid UTF-8"):
        package_service(make_manifest(service), out_dir=tmp_path)
    with pytest.raises(InputError):  # excluding it is the way out
        package_service(make_manifest(service, package=PackageSpec(patterns=("!**", "nothing"))), out_dir=tmp_path)
    art = package_service(make_manifest(service, package=PackageSpec(patterns=("!bad*",))), out_dir=tmp_path)["api"]
    assert "handler.py" in names(art)
