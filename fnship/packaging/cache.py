"""Content-addressed artifact cache: the key is every input of a build, so an unchanged artifact is reused
without running pip or rewriting a zip.

Filesystem only (plus an injected remote, e.g. the deployment bucket, which this module never imports).
The local cache lives in `$FN_CACHE_DIR`, else `$XDG_CACHE_HOME/fnship`, else `~/.cache/fnship`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

from fnship.frozen import frozen
from fnship.packaging.zipper import ZipResult
from fnship.paths import temp_sibling, write_text_atomic

ZIP_BUILDER = "fnship-zip-1"


class RemoteCache(Protocol):
    """A cache shared by machines (the deployment bucket): `fetch` writes the artifact to `dest` if present."""

    def fetch(self, key: str, dest: Path) -> bool: ...

    def store(self, key: str, path: Path, *, code_sha256: str) -> None: ...


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def zip_key(entries: Iterable[tuple[str, Path]], *, level: int, extra: Iterable[str] = ()) -> str:
    """The key of a zip: builder version, level, and each entry's name, executable bit and content hash.

    `extra` carries inputs that are not files here, such as the key of an installed dependency tree (whose
    own key already covers requirements, runtime and architecture, so its files are not re-read).
    """
    digest = hashlib.sha256(f"{ZIP_BUILDER}\0{level}\0".encode())
    for item in extra:
        digest.update(f"x:{item}\0".encode())
    for name, source in sorted(entries):
        executable = os.stat(source).st_mode & 0o100
        # surrogatepass: a name that is not UTF-8 still hashes; the zip writer then rejects it with its path.
        digest.update(f"{name}\0{1 if executable else 0}\0{file_digest(source)}\0".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@frozen
class Cached:
    key: str
    result: ZipResult


def _sidecar(path: Path, cache_dir: Path) -> Path:
    """Where we note which key built the file at `path`: in the cache, so output directories hold only artifacts."""
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()
    return cache_dir / "outputs" / f"{name}.json"


def _read_meta(sidecar: Path) -> dict:
    """A sidecar's JSON, or {} when it is unreadable or corrupted (a cache entry that cannot be read is a miss)."""
    try:
        meta = json.loads(sidecar.read_text())
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return {}
    return meta if isinstance(meta, dict) else {}


def _result_of(meta: dict) -> ZipResult | None:
    try:
        return ZipResult(**meta["result"])
    except (KeyError, TypeError):
        return None


def reuse(path: Path, key: str, *, cache_dir: Path, remote: RemoteCache | None = None) -> ZipResult | None:
    """The zip at `path` when it was built from `key` (no rewrite); else a copy from the local or remote cache."""
    sidecar = _sidecar(path, cache_dir)
    if path.is_file() and sidecar.is_file():
        meta = _read_meta(sidecar)
        if meta.get("key") == key and meta.get("size") == path.stat().st_size:
            result = _result_of(meta)
            if result is not None:
                return result
    stored = cache_dir / "zips" / f"{key}.zip"
    if not stored.is_file() and remote is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_sibling(stored)
        if remote.fetch(key, tmp):
            tmp.replace(stored)
        else:
            tmp.unlink(missing_ok=True)
    stored_meta = _sidecar(stored, cache_dir)
    stored_result = _result_of(_read_meta(stored_meta)) if stored.is_file() and stored_meta.is_file() else None
    if stored_result is not None:
        _place(stored, path)
        _write_sidecar(path, key, stored_result, cache_dir)
        return stored_result
    if stored.is_file():  # fetched from the remote: hash it once
        from fnship.packaging.zipper import hash_file

        sha_hex, sha_b64, size = hash_file(stored)
        import zipfile

        with zipfile.ZipFile(stored) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
        result = ZipResult(sha_hex, sha_b64, size, sum(i.file_size for i in infos), len(infos))
        _write_sidecar(stored, key, result, cache_dir)
        _place(stored, path)
        _write_sidecar(path, key, result, cache_dir)
        return result
    return None


def remember(path: Path, key: str, result: ZipResult, *, cache_dir: Path, remote: RemoteCache | None = None) -> None:
    """Record a freshly built zip under its key: a sidecar next to it, a copy in the local cache, the remote."""
    _write_sidecar(path, key, result, cache_dir)
    stored = cache_dir / "zips" / f"{key}.zip"
    if not stored.is_file():
        stored.parent.mkdir(parents=True, exist_ok=True)
        _place(path, stored)
        _write_sidecar(stored, key, result, cache_dir)
    if remote is not None:
        remote.store(key, path, code_sha256=result.code_sha256)


def _place(source: Path, dest: Path) -> None:
    """Hard-link when possible (same filesystem), else copy; atomically replaces `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(dest)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    tmp.replace(dest)


def _write_sidecar(path: Path, key: str, result: ZipResult, cache_dir: Path) -> None:
    meta = {"key": key, "size": result.size, "result": asdict(result)}
    write_text_atomic(_sidecar(path, cache_dir), json.dumps(meta, sort_keys=True))
