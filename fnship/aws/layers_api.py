"""Lambda layers: publish a version, read the latest, delete versions. Layer versions are immutable and carry no
tags, so fnship records a layer's content hash in the version's description.
https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from fnship.aws.calls import aws_call, call_or_none, paged

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient
    from mypy_boto3_lambda.type_defs import LayerVersionsListItemTypeDef, PublishLayerVersionResponseTypeDef


class LayersApi:
    def __init__(self, client: LambdaClient) -> None:
        self._client = client

    def latest_version_or_none(self, name: str) -> LayerVersionsListItemTypeDef | None:
        """The newest version of a layer (LayerVersionArn, Version, Description, CompatibleRuntimes, ...)."""
        page = call_or_none(f"layer {name}", "ListLayerVersions", self._client.list_layer_versions, LayerName=name)
        versions = (page.get("LayerVersions") if page else None) or []
        return max(versions, key=lambda v: int(v["Version"])) if versions else None

    def list_versions(self, name: str) -> list[LayerVersionsListItemTypeDef]:
        return paged(self._client, "list_layer_versions", f"layer {name}", "LayerVersions", missing_ok=True,
                     LayerName=name)  # fmt: skip

    def publish(
        self,
        name: str,
        *,
        content: Mapping[str, str | bytes],
        description: str,
        runtimes: Sequence[str],
        architectures: Sequence[str],
    ) -> PublishLayerVersionResponseTypeDef:
        kwargs: dict[str, object] = {"LayerName": name, "Content": dict(content), "Description": description}
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
