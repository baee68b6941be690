"""Byte-deterministic zip writer: the same files in give the same bytes out.

Filesystem only (reads sources, writes the zip): no AWS, no manifest knowledge.

Why hand-rolled instead of `zipfile`: determinism needs every header field pinned (timestamp, permissions,
`create_system`, no extra fields), and speed needs compression off the writer thread. `zlib` releases the GIL
while it compresses and CRCs, so worker threads compress files in parallel while the writer emits them in
archive-name order. The format follows APPNOTE.TXT (https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT):
local headers carry the final sizes (no data descriptors), and zip64 records appear only when a size, an offset
or the entry count does not fit the classic fields.

Pinned fields:
- every entry dated 1980-01-01 00:00:00 (the DOS epoch, the earliest a zip can hold);
- `create_system` 3 (unix) and external attributes `0o100644`, or `0o100755` when the source is executable by
  its owner; so umask, mtime and checkout time never reach the bytes;
- no directory entries (Lambda and `zipimport` need none);
- deflate at a fixed level (6 by default); a file that deflate does not shrink is stored, like Info-ZIP does.
  Bytes are deterministic for a given zlib build: another zlib (zlib-ng, a different version) may deflate
  differently, which changes the hash but nothing else.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import stat
import struct
import tempfile
import zlib
from collections import deque
from collections.abc import Collection, Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from fnship.frozen import frozen

if TYPE_CHECKING:
    from concurrent.futures import Future

DEFAULT_LEVEL = 6

_STORED = 0
_DEFLATED = 8
_DOS_TIME = 0  # 00:00:00
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01: years since 1980, month, day
_UNIX = 3
_VERSION = 20  # 2.0: deflate
_VERSION_ZIP64 = 45  # 4.5: zip64 extensions
_UTF8_FLAG = 0x800  # general purpose bit 11: the name is UTF-8
_MAX32 = 0xFFFFFFFF  # the "see the zip64 record" marker in 32-bit fields
_MAX16 = 0xFFFF  # and in 16-bit fields
# Values at or above these need zip64 records (names apart from the markers so tests can lower them).
_LIMIT32 = _MAX32
_LIMIT16 = _MAX16

_LOCAL = struct.Struct("<4sHHHHHLLLHH")
_CENTRAL = struct.Struct("<4sHHHHHHLLLHHHHHLL")
_END = struct.Struct("<4sHHHHLLH")
_END64 = struct.Struct("<4sQHHLLQQQQ")
_LOCATOR64 = struct.Struct("<4sLQL")

# Files up to this size are read whole (one read, one compress call); larger ones stream in chunks into a
# temporary file, so memory stays bounded whatever the input.
_SMALL = 1 << 20
_CHUNK = 1 << 20
# How many files may be read/compressed ahead of the writer: bounds memory to about _WINDOW * 2 * _SMALL.
_WINDOW = 32


@frozen
class ZipResult:
    sha256_hex: str
    code_sha256: str  # base64 of the SHA-256 digest: what Lambda reports as `CodeSha256`
    size: int  # bytes of the zip
    unzipped_size: int  # sum of the entries' uncompressed sizes
    files: int


@dataclass
class _Prepared:
    mode: int
    crc: int
    size: int
    csize: int
    method: int
    data: bytes | None  # the payload in memory, or
    spill: IO[bytes] | None  # a temporary file holding the deflated payload, or neither: copy the source as is


def code_sha256(digest: bytes) -> str:
    """Lambda's `CodeSha256`: base64 (not hex) of the SHA-256 of the zip bytes."""
    return base64.b64encode(digest).decode("ascii")


def hash_file(path: Path) -> tuple[str, str, int]:
    """(sha256 hex, CodeSha256 base64, size) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), code_sha256(digest.digest()), size


def _mode(st: os.stat_result) -> int:
    return 0o755 if st.st_mode & stat.S_IXUSR else 0o644


def _prepare(source: Path, level: int) -> _Prepared:
    """Read, CRC and compress one file (runs on a worker thread)."""
    with open(source, "rb") as f:
        st = os.fstat(f.fileno())
        mode = _mode(st)
        if st.st_size <= _SMALL:
            data = f.read()
            crc = zlib.crc32(data)
            if level > 0 and data:
                co = zlib.compressobj(level, zlib.DEFLATED, -15)
                packed = co.compress(data) + co.flush()
                if len(packed) < len(data):
                    return _Prepared(mode, crc, len(data), len(packed), _DEFLATED, packed, None)
            return _Prepared(mode, crc, len(data), len(data), _STORED, data, None)
        crc = 0
        size = 0
        if level == 0:
            while chunk := f.read(_CHUNK):
                crc = zlib.crc32(chunk, crc)
                size += len(chunk)
            return _Prepared(mode, crc, size, size, _STORED, None, None)
        spill = tempfile.TemporaryFile()  # noqa: SIM115 -- handed to the writer, which closes it
        try:
            co = zlib.compressobj(level, zlib.DEFLATED, -15)
            csize = 0
            while chunk := f.read(_CHUNK):
                crc = zlib.crc32(chunk, crc)
                size += len(chunk)
                out = co.compress(chunk)
                csize += len(out)
                spill.write(out)
            out = co.flush()
            csize += len(out)
            spill.write(out)
        except BaseException:
            spill.close()
            raise
        if csize >= size:
            spill.close()
            return _Prepared(mode, crc, size, size, _STORED, None, None)
        spill.seek(0)
        return _Prepared(mode, crc, size, csize, _DEFLATED, None, spill)


class _HashingWriter:
    """Writes through to a file while hashing and counting, so the zip is never re-read."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.digest = hashlib.sha256()
        self.offset = 0

    def write(self, data: bytes) -> None:
        self._f.write(data)
        self.digest.update(data)
        self.offset += len(data)


def _copy_stored(out: _HashingWriter, source: Path, prep: _Prepared) -> None:
    """Copy an incompressible big file as is, checking it did not change since it was CRC'd."""
    crc = 0
    size = 0
    with open(source, "rb") as f:
        while chunk := f.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            out.write(chunk)
    if crc != prep.crc or size != prep.size:
        raise OSError(f"{source} changed while it was being zipped")


def _write_entry(out: _HashingWriter, name: bytes, flags: int, source: Path, prep: _Prepared) -> bytes:
    """Write the local header and payload; return the central directory record."""
    offset = out.offset
    zip64 = prep.size >= _LIMIT32 or prep.csize >= _LIMIT32
    version = _VERSION_ZIP64 if zip64 or offset >= _LIMIT32 else _VERSION
    local_extra = struct.pack("<HHQQ", 1, 16, prep.size, prep.csize) if zip64 else b""
    out.write(
        _LOCAL.pack(
            b"PK\x03\x04",
            version,
            flags,
            prep.method,
            _DOS_TIME,
            _DOS_DATE,
            prep.crc,
            _MAX32 if zip64 else prep.csize,
            _MAX32 if zip64 else prep.size,
            len(name),
            len(local_extra),
        )
    )
    out.write(name)
    out.write(local_extra)
    if prep.data is not None:
        out.write(prep.data)
    elif prep.spill is not None:
        try:
            while chunk := prep.spill.read(_CHUNK):
                out.write(chunk)
        finally:
            prep.spill.close()
    else:
        _copy_stored(out, source, prep)

    # Central directory: the zip64 extra holds, in this order, only the fields that overflowed.
    fields = []
    if zip64:
        fields += [prep.size, prep.csize]
    if offset >= _LIMIT32:
        fields.append(offset)
    central_extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
    return (
        _CENTRAL.pack(
            b"PK\x01\x02",
            (_UNIX << 8) | version,
            version,
            flags,
            prep.method,
            _DOS_TIME,
            _DOS_DATE,
            prep.crc,
            _MAX32 if zip64 else prep.csize,
            _MAX32 if zip64 else prep.size,
            len(name),
            len(central_extra),
            0,  # comment length
            0,  # disk number start
            0,  # internal attributes
            (stat.S_IFREG | prep.mode) << 16,
            _MAX32 if offset >= _LIMIT32 else offset,
        )
        + name
        + central_extra
    )


def _write_end(out: _HashingWriter, count: int, cd_offset: int, cd_size: int) -> None:
    zip64 = count >= _LIMIT16 or cd_offset >= _LIMIT32 or cd_size >= _LIMIT32
    if zip64:
        end64_offset = out.offset
        out.write(
            _END64.pack(b"PK\x06\x06", _END64.size - 12, (_UNIX << 8) | _VERSION_ZIP64, _VERSION_ZIP64, 0, 0,
                        count, count, cd_size, cd_offset)
        )  # fmt: skip
        out.write(_LOCATOR64.pack(b"PK\x06\x07", 0, end64_offset, 1))
    out.write(
        _END.pack(
            b"PK\x05\x06",
            0,
            0,
            _MAX16 if zip64 else count,
            _MAX16 if zip64 else count,
            _MAX32 if zip64 else cd_size,
            _MAX32 if zip64 else cd_offset,
            0,
        )
    )


def _default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def write_zip(
    entries: Iterable[tuple[str, Path]],
    dest: Path,
    *,
    level: int = DEFAULT_LEVEL,
    workers: int | None = None,
    executables: Collection[str] = (),
) -> ZipResult:
    """Zip `(archive name, source file)` pairs into `dest`, atomically (temp file, then rename).

    Entries are written sorted by archive name; names use `/` and must be unique; names in `executables` get mode
    0755 whatever their source's. Raises ValueError for a bad
    name or level, OSError when a source cannot be read.
    """
    if not 0 <= level <= 9:
        raise ValueError(f"deflate level must be 0..9, got {level}")
    items = sorted(entries, key=lambda e: e[0])
    for i, (name, _source) in enumerate(items):
        if not name or name.startswith("/") or "\\" in name or ".." in name.split("/") or name.endswith("/"):
            raise ValueError(f"bad archive name {name!r}")
        if i and items[i - 1][0] == name:
            raise ValueError(f"duplicate archive name {name!r}")
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"bad archive name {name!r}: not valid UTF-8") from None

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as f:
            out = _HashingWriter(f)
            central: list[bytes] = []
            unzipped = 0
            n = workers if workers is not None else _default_workers()
            with contextlib.closing(_prepared(items, level, n)) as prepared:
                for name, source, prep in prepared:
                    if name in executables:
                        prep.mode = 0o755  # Lambda executes it (a custom runtime's bootstrap) whatever its mode here
                    raw = name.encode("utf-8")
                    flags = 0 if raw.isascii() else _UTF8_FLAG
                    central.append(_write_entry(out, raw, flags, source, prep))
                    unzipped += prep.size
            cd_offset = out.offset
            for record in central:
                out.write(record)
            _write_end(out, len(central), cd_offset, out.offset - cd_offset)
            size = out.offset
            digest = out.digest.digest()
        # Keep the umask-derived mode a plain new file would get, rather than mkstemp's 0600.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return ZipResult(
        sha256_hex=digest.hex(),
        code_sha256=code_sha256(digest),
        size=size,
        unzipped_size=unzipped,
        files=len(central),
    )


def _prepared(
    items: list[tuple[str, Path]], level: int, workers: int
) -> Generator[tuple[str, Path, _Prepared], None, None]:
    """Yield prepared entries in order; with workers > 1, compress up to _WINDOW files ahead on a thread pool."""
    if workers <= 1:
        for name, source in items:
            yield name, source, _prepare(source, level)
        return
    from concurrent.futures import ThreadPoolExecutor  # (with `logging`): only when a zip is written

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fnship-zip")
    pending: deque[tuple[str, Path, Future[_Prepared]]] = deque()
    it = iter(items)
    try:
        for name, source in it:
            pending.append((name, source, pool.submit(_prepare, source, level)))
            if len(pending) >= _WINDOW:
                break
        while pending:
            name, source, fut = pending.popleft()
            prep = fut.result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append((nxt[0], nxt[1], pool.submit(_prepare, nxt[1], level)))
            yield name, source, prep
    finally:
        for _name, _source, fut in pending:
            fut.cancel()
        pool.shutdown(wait=True)
        # Close spill files of work finished but never written (an error stopped the writer).
        for _name, _source, fut in pending:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                spill = fut.result().spill
                if spill is not None:
                    spill.close()


__all__ = ["DEFAULT_LEVEL", "ZipResult", "code_sha256", "hash_file", "write_zip"]
