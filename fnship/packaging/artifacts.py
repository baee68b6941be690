"""What packaging produces: one artifact per zip, image or prebuilt file, and the set for a service.

Pure: no filesystem, no AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fnship.frozen import frozen

if TYPE_CHECKING:
    from fnship.packaging.images import ImageArtifact

Reporter = Callable[[str, str], None]  # (event "start" | "done", label)


@frozen
class Artifact:
    function_keys: tuple[str, ...]  # which functions use it (of those packaged in this call)
    path: Path  # the zip on disk (an OCI layout directory for an image)
    sha256_hex: str
    code_sha256: str  # base64, as Lambda reports CodeSha256
    size: int
    unzipped_size: int
    files: int
    kind: str = "zip"  # zip | prebuilt | layer | image
    cache_hit: bool = False
    name: str = ""  # the layer key or image name
    image: ImageArtifact | None = None  # for kind "image"


@frozen
class Packaged:
    functions: dict[str, Artifact]  # function key -> its artifact, in manifest order
    layers: dict[str, Artifact]  # layer key -> its zip

    def artifacts(self) -> list[Artifact]:
        seen: dict[int, Artifact] = {}
        for artifact in [*self.layers.values(), *self.functions.values()]:
            seen.setdefault(id(artifact), artifact)
        return list(seen.values())
