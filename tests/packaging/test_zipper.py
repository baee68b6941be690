from __future__ import annotations

import base64
import hashlib
import os
import random
import stat
import zipfile
from pathlib import Path

import pytest

from fnship.packaging import zipper
from fnship.packaging.zipper import write_zip
from tests.packaging.helpers import write_tree


def sample(root: Path) -> list[tuple[str, Path]]:
    rng = random.Random(7)
    files: dict[str, str | bytes] = {
        "handler.py": "def main(e, c):\n    return 1\n" * 50,
        "lib/util.py": "X = 1\n",
        "lib/empty.txt": "",
        "data/random.bin": rng.randbytes(5000),
        "ünïcode/naïve.txt": "unicode name\n",
        "big/text.txt": "line of text that compresses\n" * 100_000,  # > 1 MiB: streamed, deflated
        "big/random.bin": rng.randbytes(1_500_000),  # > 1 MiB, incompressible: stored
    }
    write_tree(root, files)
    return [(rel, root / rel) for rel in files]


def test_zip_is_readable_with_names_contents_and_fixed_metadata(tmp_path: Path) -> None:
    entries = sample(tmp_path / "src")
    (tmp_path / "src/handler.py").chmod(0o700)
    result = write_zip(reversed(entries), tmp_path / "out.zip")
    data = (tmp_path / "out.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "out.zip") as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert [i.filename for i in infos] == sorted(rel for rel, _ in entries)
        for rel, path in entries:
            assert zf.read(rel) == path.read_bytes()
        modes = {i.filename: i.external_attr >> 16 for i in infos}
        assert modes["handler.py"] == stat.S_IFREG | 0o755
        assert modes["lib/util.py"] == stat.S_IFREG | 0o644
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.create_system for i in infos} == {3}
        assert {i.extra for i in infos} == {b""}
        methods = {i.filename: i.compress_type for i in infos}
        assert methods["big/text.txt"] == zipfile.ZIP_DEFLATED
        assert methods["handler.py"] == zipfile.ZIP_DEFLATED
        assert methods["big/random.bin"] == zipfile.ZIP_STORED
        assert methods["lib/empty.txt"] == zipfile.ZIP_STORED
        assert infos[[i.filename for i in infos].index("ünïcode/naïve.txt")].flag_bits & 0x800
    assert result.size == len(data)
    assert result.files == len(entries)
    assert result.unzipped_size == sum(p.stat().st_size for _, p in entries)
    assert result.sha256_hex == hashlib.sha256(data).hexdigest()
    assert result.code_sha256 == base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_same_input_same_bytes_regardless_of_metadata_and_order(tmp_path: Path) -> None:
    entries = sample(tmp_path / "src")
    first = write_zip(entries, tmp_path / "a.zip")
    first_bytes = (tmp_path / "a.zip").read_bytes()

    # Rewrite the same content under another umask, with other mtimes and group/other permission bits.
    old = os.umask(0o077)
    try:
        for _rel, path in entries:
            content = path.read_bytes()
            path.unlink()
            path.write_bytes(content)
            os.utime(path, (1_700_000_000, 1_700_000_000))
            path.chmod(0o600 if "util" in str(path) else 0o666)
    finally:
        os.umask(old)
    second = write_zip(list(reversed(entries)), tmp_path / "b.zip", workers=1)
    assert (tmp_path / "b.zip").read_bytes() == first_bytes
    assert second == first


def test_owner_exec_bit_changes_the_bytes(tmp_path: Path) -> None:
    entries = sample(tmp_path / "src")
    plain = write_zip(entries, tmp_path / "a.zip")
    (tmp_path / "src/lib/util.py").chmod(0o744)
    executable = write_zip(entries, tmp_path / "b.zip")
    assert plain.sha256_hex != executable.sha256_hex
    (tmp_path / "src/lib/util.py").chmod(0o654)  # group/other exec bits do not count
    assert write_zip(entries, tmp_path / "c.zip").sha256_hex == plain.sha256_hex


def test_content_change_changes_the_hash(tmp_path: Path) -> None:
    entries = sample(tmp_path / "src")
    before = write_zip(entries, tmp_path / "a.zip")
    (tmp_path / "src/lib/util.py").write_text("X = 2\n")
    assert write_zip(entries, tmp_path / "b.zip").sha256_hex != before.sha256_hex


def test_matches_info_zip_reading(tmp_path: Path) -> None:
    """Independent reader: Info-ZIP `unzip -t` accepts the archive."""
    import shutil
    import subprocess

    if shutil.which("unzip") is None:
        pytest.skip("unzip not installed")
    write_zip(sample(tmp_path / "src"), tmp_path / "a.zip")
    proc = subprocess.run(["unzip", "-t", str(tmp_path / "a.zip")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_level_zero_stores_everything(tmp_path: Path) -> None:
    entries = sample(tmp_path / "src")
    write_zip(entries, tmp_path / "a.zip", level=0)
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
        assert zf.read("big/text.txt") == (tmp_path / "src/big/text.txt").read_bytes()


@pytest.mark.parametrize("name", ["", "/abs", "a/../b", "dir/", "a\\b"])
def test_bad_names(tmp_path: Path, name: str) -> None:
    write_tree(tmp_path, {"f": "x"})
    with pytest.raises(ValueError, match="bad archive name"):
        write_zip([(name, tmp_path / "f")], tmp_path / "a.zip")


def test_duplicate_names_and_missing_source_leave_no_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"f": "x"})
    with pytest.raises(ValueError, match="duplicate"):
        write_zip([("f", tmp_path / "f"), ("f", tmp_path / "f")], tmp_path / "out" / "a.zip")
    with pytest.raises(FileNotFoundError):
        write_zip([("f", tmp_path / "f"), ("g", tmp_path / "missing")], tmp_path / "out" / "a.zip")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_zip64_records_when_limits_are_crossed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    """Sizes, offsets and counts past the classic limits go to zip64 records; lower the limits to test it small."""
    monkeypatch.setattr(zipper, "_LIMIT32", 3000)
    monkeypatch.setattr(zipper, "_LIMIT16", 3)
    entries = sample(tmp_path / "src")
    write_zip(entries, tmp_path / "a.zip", workers=workers)
    data = (tmp_path / "a.zip").read_bytes()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert zf.testzip() is None
        assert any(i.extra for i in zf.infolist())  # the zip64 extra fields
        for rel, path in entries:
            assert zf.read(rel) == path.read_bytes()
