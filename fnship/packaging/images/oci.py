"""OCI image pieces, deterministically: layer tarballs, the image config, the manifest, an on-disk image layout
(https://github.com/opencontainers/image-spec/blob/main/image-layout.md).

Filesystem only: no network, no AWS. Layers pin every header field (mtime 0, uid/gid 0, no user names, modes
0644/0755) and gzip writes no name and no time, so the same files give the same digests.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import stat
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fnship.jsonvalue import JsonMapping, JsonObject
from fnship.paths import temp_sibling

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
EPOCH = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class Blob:
    digest: str
    size: int
    media_type: str

    def descriptor(self) -> JsonObject:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


class _HashingFile(io.RawIOBase):
    def __init__(self, f) -> None:
        self.f = f
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.f.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)


def write_layer(entries: Iterable[tuple[str, Path]], layout: Path, *, level: int = 6) -> tuple[Blob, str, int]:
    """A gzip'd tar of `(path in the image, source)` into the layout's blobs: (blob, diff_id, tar size)."""
    items = sorted(entries)
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(blobs / "layer")
    with open(tmp, "wb") as raw:
        outer = _HashingFile(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=outer, compresslevel=level, mtime=0) as gz:
            inner = _HashingFile(gz)
            with tarfile.open(fileobj=inner, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                dirs: set[str] = set()
                for name, source in items:
                    parts = name.split("/")[:-1]
                    for depth in range(1, len(parts) + 1):
                        directory = "/".join(parts[:depth])
                        if directory not in dirs:
                            dirs.add(directory)
                            tar.addfile(_info(directory + "/", tarfile.DIRTYPE, 0o755, 0))
                    st = os.stat(source)
                    mode = 0o755 if st.st_mode & stat.S_IXUSR else 0o644
                    with open(source, "rb") as f:
                        tar.addfile(_info(name, tarfile.REGTYPE, mode, st.st_size), f)
    digest = "sha256:" + outer.digest.hexdigest()
    os.replace(tmp, blobs / outer.digest.hexdigest())
    return Blob(digest, outer.size, OCI_LAYER), "sha256:" + inner.digest.hexdigest(), inner.size


def _info(name: str, kind: bytes, mode: int, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_blob(layout: Path, data: bytes, media_type: str) -> Blob:
    digest = hashlib.sha256(data).hexdigest()
    path = layout / "blobs" / "sha256" / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Blob("sha256:" + digest, len(data), media_type)


def canonical(obj: JsonMapping) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def write_index(layout: Path, manifest: Blob, *, ref_name: str) -> None:
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    index: JsonObject = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{**manifest.descriptor(), "annotations": {"org.opencontainers.image.ref.name": ref_name}}],
    }
    (layout / "index.json").write_bytes(canonical(index))


def read_index(layout: Path) -> tuple[str, dict, str]:
    """(manifest digest, manifest, media type) of the layout's single image."""
    index = json.loads((layout / "index.json").read_text())
    entry = index["manifests"][0]
    data = blob_path(layout, entry["digest"]).read_bytes()
    manifest = json.loads(data)
    return entry["digest"], manifest, manifest.get("mediaType") or entry.get("mediaType") or OCI_MANIFEST


def blob_path(layout: Path, digest: str) -> Path:
    algorithm, hexdigest = digest.split(":", 1)
    return layout / "blobs" / algorithm / hexdigest
