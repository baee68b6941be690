"""Lambda layers: publish a version, read the latest, delete versions. Layer versions are immutable and carry no
tags, so fnship records a layer's content hash in the version's description.
https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fnship.aws.calls import aws_call, call_or_none, paged


class LayersApi:
    def __init__(self, client: Any) -> None:
        self._client = client

    def latest_version_or_none(self, name: str) -> dict[str, Any] | None:
        """The newest version of a layer (LayerVersionArn, Version, Description, CompatibleRuntimes, ...)."""
        page = call_or_none(f"layer {name}", "ListLayerVersions", self._client.list_layer_versions, LayerName=name)
        versions = (page or {}).get("LayerVersions") or []
        return max(versions, key=lambda v: int(v["Version"])) if versions else None

    def list_versions(self, name: str) -> list[dict[str, Any]]:
        return paged(self._client, "list_layer_versions", f"layer {name}", "LayerVersions", missing_ok=True,
                     LayerName=name)  # fmt: skip

    def publish(
        self,
        name: str,
        *,
        content: Mapping[str, Any],
        description: str,
        runtimes: Sequence[str],
        architectures: Sequence[str],
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"LayerName": name, "Content": dict(content), "Description": description}
        if runtimes:
            kwargs["CompatibleRuntimes"] = list(runtimes)
        if architectures:
            kwargs["CompatibleArchitectures"] = list(architectures)
        return aws_call(f"layer {name}", "PublishLayerVersion", self._client.publish_layer_version, **kwargs)

    def delete_version(self, name: str, version: int) -> None:
        call_or_none(
            f"layer {name}:{version}",
            "DeleteLayerVersion",
            self._client.delete_layer_version,
            LayerName=name,
            VersionNumber=int(version),
        )
