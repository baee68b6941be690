"""ECR: repositories and registry credentials for pushing images over the registry HTTP API.
https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING

from fnship.aws.calls import aws_call, call_or_none, describe, error_code, tag_list

if TYPE_CHECKING:
    from mypy_boto3_ecr.client import ECRClient
    from mypy_boto3_ecr.type_defs import RepositoryTypeDef


class EcrApi:
    def __init__(self, client: ECRClient) -> None:
        self._client = client

    def credentials(self) -> tuple[str, str, str]:
        """(registry host, user, password) from GetAuthorizationToken: the token is base64 of `AWS:<password>`."""
        answer = aws_call("ECR registry", "GetAuthorizationToken", self._client.get_authorization_token)
        data = answer["authorizationData"][0]
        user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        host = data.get("proxyEndpoint", "").removeprefix("https://").removeprefix("http://")
        return host, user, password

    def repository_or_none(self, name: str) -> RepositoryTypeDef | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            found = self._client.describe_repositories(repositoryNames=[name])
        except BotoCoreError as exc:  # the network lost, a timeout: said as every other call says it
            action = "DescribeRepositories"
            raise describe(exc, resource=f"ECR repository {name}", action=action, client=self._client) from exc
        except ClientError as exc:
            if error_code(exc) == "RepositoryNotFoundException":
                return None
            found = aws_call(f"ECR repository {name}", "DescribeRepositories", self._client.describe_repositories,
                             repositoryNames=[name])  # fmt: skip
        repositories = found.get("repositories") or []
        return repositories[0] if repositories else None

    def ensure_repository(self, name: str, *, tags: Mapping[str, str], scan_on_push: bool = False) -> RepositoryTypeDef:
        """The repository, created (with our tags, scan on push as asked) when missing."""
        existing = self.repository_or_none(name)
        if existing is not None:
            return existing
        created = aws_call(
            f"ECR repository {name}", "CreateRepository", self._client.create_repository,
            repositoryName=name,
            imageScanningConfiguration={"scanOnPush": scan_on_push},
            tags=tag_list(tags),
        )  # fmt: skip
        return created["repository"]

    def set_scan_on_push(self, name: str, scan_on_push: bool) -> None:
        aws_call(
            f"ECR repository {name}", "PutImageScanningConfiguration",
            self._client.put_image_scanning_configuration,
            repositoryName=name, imageScanningConfiguration={"scanOnPush": scan_on_push},
        )  # fmt: skip

    def delete_repository(self, name: str) -> None:
        call_or_none(
            f"ECR repository {name}", "DeleteRepository", self._client.delete_repository,
            repositoryName=name, force=True,
        )  # fmt: skip
