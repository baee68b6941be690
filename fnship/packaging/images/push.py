"""Push an OCI image layout to a registry over the distribution API: blobs the registry lacks (from the layout,
by cross-repository mount, or copied from the base image's registry), then the manifest.

Network only: no AWS calls (the caller brings ECR credentials).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fnship.packaging.images import oci
from fnship.packaging.images.registry import Reference, RegistryClient

SOURCES_FILE = "fnship-sources.json"  # digest -> "host/repository" of base blobs not stored in the layout


def push_layout(
    layout: Path,
    client: RegistryClient,
    repository: str,
    *,
    tag: str,
    source_client: Callable[[str], RegistryClient] = RegistryClient,
) -> tuple[str, list[str]]:
    """Push the layout's image as `repository:tag`; return (manifest digest, digests of blobs uploaded)."""
    digest, manifest, media_type = oci.read_index(layout)
    sources_path = layout / SOURCES_FILE
    sources = json.loads(sources_path.read_text()) if sources_path.is_file() else {}
    uploaded: list[str] = []
    for descriptor in [manifest["config"], *manifest["layers"]]:
        blob = descriptor["digest"]
        if client.has_blob(repository, blob):
            continue  # unchanged layers are not pushed again
        local = oci.blob_path(layout, blob)
        if local.is_file():
            client.upload_blob(repository, blob, local)
        elif blob in sources:
            ref = Reference.parse(sources[blob] + ":x")
            if ref.host == client.host and client.mount_blob(repository, blob, ref.repository):
                continue
            client.copy_blob_from(source_client(ref.host), ref.repository, repository, blob)
        else:
            raise FileNotFoundError(f"blob {blob} is neither in {layout} nor in a known registry")
        uploaded.append(blob)
    data = oci.blob_path(layout, digest).read_bytes()
    client.put_manifest(repository, tag, data, media_type)
    client.put_manifest(repository, digest, data, media_type)
    return digest, uploaded
