"""API Gateway HTTP APIs (apigatewayv2): the API, its `$default` stage, routes, Lambda integrations, JWT
authorizers, tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fnship.arns import arn
from fnship.aws.calls import aws_call, call_or_none, paged
from fnship.jsonvalue import JsonMapping

if TYPE_CHECKING:  # AWS's answers as boto3-stubs types them
    from mypy_boto3_apigatewayv2.client import ApiGatewayV2Client
    from mypy_boto3_apigatewayv2.type_defs import (
        CreateApiResponseTypeDef,
        GetApiResponseTypeDef,
        GetAuthorizerResponseTypeDef,
        IntegrationTypeDef,
        RouteTypeDef,
    )

DEFAULT_STAGE = "$default"


class ApiGatewayV2Apis:
    """What HTTP and WebSocket APIs share (both are apigatewayv2 APIs): their ARN, integrations' deletion, routes.
    `LABEL` names the API in errors."""

    LABEL = "API"

    def __init__(self, client: ApiGatewayV2Client, *, region: str) -> None:
        self._client = client
        self._region = region

    def arn(self, api_id: str) -> str:
        return arn("apigateway", f"/apis/{api_id}", region=self._region)

    def delete_integration(self, api_id: str, integration_id: str) -> None:
        call_or_none(
            f"{self.LABEL} {api_id} integration {integration_id}",
            "DeleteIntegration",
            self._client.delete_integration,
            ApiId=api_id,
            IntegrationId=integration_id,
        )

    def create_route(self, api_id: str, *, route_key: str, settings: JsonMapping) -> str:
        created = aws_call(
            f"{self.LABEL} {api_id} route {route_key}",
            "CreateRoute",
            self._client.create_route,
            ApiId=api_id,
            RouteKey=route_key,
            **settings,
        )
        return str(created["RouteId"])

    def update_route(self, api_id: str, route_id: str, *, settings: JsonMapping) -> None:
        aws_call(
            f"{self.LABEL} {api_id} route {route_id}",
            "UpdateRoute",
            self._client.update_route,
            ApiId=api_id,
            RouteId=route_id,
            **settings,
        )

    def delete_route(self, api_id: str, route_id: str) -> None:
        call_or_none(
            f"{self.LABEL} {api_id} route {route_id}",
            "DeleteRoute",
            self._client.delete_route,
            ApiId=api_id,
            RouteId=route_id,
        )


class HttpApis(ApiGatewayV2Apis):
    LABEL = "HTTP API"

    def get_api_or_none(self, api_id: str) -> GetApiResponseTypeDef | None:
        return call_or_none(f"HTTP API {api_id}", "GetApi", self._client.get_api, ApiId=api_id)

    def create_api(self, name: str, *, cors: JsonMapping | None, tags: Mapping[str, str]) -> CreateApiResponseTypeDef:
        kwargs: dict[str, object] = {"Name": name, "ProtocolType": "HTTP", "Tags": dict(tags)}
        if cors:
            kwargs["CorsConfiguration"] = dict(cors)
        return aws_call(f"HTTP API {name}", "CreateApi", self._client.create_api, **kwargs)

    def set_cors(self, api_id: str, cors: JsonMapping | None) -> None:
        if cors:
            update = self._client.update_api
            aws_call(f"HTTP API {api_id}", "UpdateApi", update, ApiId=api_id, CorsConfiguration=dict(cors))
        else:
            call_or_none(
                f"HTTP API {api_id}", "DeleteCorsConfiguration", self._client.delete_cors_configuration, ApiId=api_id
            )

    def has_default_stage(self, api_id: str) -> bool:
        found = call_or_none(
            f"HTTP API {api_id}", "GetStage", self._client.get_stage, ApiId=api_id, StageName=DEFAULT_STAGE
        )
        return bool(found and found.get("AutoDeploy"))

    def ensure_default_stage(self, api_id: str) -> None:
        """The `$default` stage with auto-deploy: every route change is live without a deployment step."""
        found = call_or_none(
            f"HTTP API {api_id}", "GetStage", self._client.get_stage, ApiId=api_id, StageName=DEFAULT_STAGE
        )
        if found is None:
            aws_call(
                f"HTTP API {api_id}",
                "CreateStage",
                self._client.create_stage,
                ApiId=api_id,
                StageName=DEFAULT_STAGE,
                AutoDeploy=True,
            )
        elif not found.get("AutoDeploy"):
            aws_call(
                f"HTTP API {api_id}",
                "UpdateStage",
                self._client.update_stage,
                ApiId=api_id,
                StageName=DEFAULT_STAGE,
                AutoDeploy=True,
            )

    def set_tags(self, api_id: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        arn = self.arn(api_id)
        if remove:
            aws_call(arn, "UntagResource", self._client.untag_resource, ResourceArn=arn, TagKeys=list(remove))
        if add:
            aws_call(arn, "TagResource", self._client.tag_resource, ResourceArn=arn, Tags=dict(add))

    def delete_api(self, api_id: str) -> None:
        call_or_none(f"HTTP API {api_id}", "DeleteApi", self._client.delete_api, ApiId=api_id)

    # -- routes and integrations ----------------------------------------------------------------------------------
    def get_routes(self, api_id: str) -> list[RouteTypeDef]:
        return paged(self._client, "get_routes", f"HTTP API {api_id}", "Items", missing_ok=True, ApiId=api_id)

    def get_integrations(self, api_id: str) -> list[IntegrationTypeDef]:
        return paged(self._client, "get_integrations", f"HTTP API {api_id}", "Items", missing_ok=True, ApiId=api_id)

    def create_lambda_integration(self, api_id: str, *, target_arn: str, payload_format: str) -> str:
        created = aws_call(
            f"HTTP API {api_id}",
            "CreateIntegration",
            self._client.create_integration,
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=target_arn,
            IntegrationMethod="POST",
            PayloadFormatVersion=payload_format,
        )
        return str(created["IntegrationId"])

    def update_lambda_integration(
        self, api_id: str, integration_id: str, *, target_arn: str, payload_format: str
    ) -> None:
        aws_call(
            f"HTTP API {api_id} integration {integration_id}",
            "UpdateIntegration",
            self._client.update_integration,
            ApiId=api_id,
            IntegrationId=integration_id,
            IntegrationUri=target_arn,
            PayloadFormatVersion=payload_format,
        )

    # -- authorizers (JWT and Lambda) --------------------------------------------------------------------------
    def get_authorizer_or_none(self, api_id: str, authorizer_id: str) -> GetAuthorizerResponseTypeDef | None:
        return call_or_none(
            f"HTTP API {api_id} authorizer {authorizer_id}",
            "GetAuthorizer",
            self._client.get_authorizer,
            ApiId=api_id,
            AuthorizerId=authorizer_id,
        )

    def create_authorizer(self, api_id: str, *, name: str, config: JsonMapping) -> str:
        """A JWT or Lambda (REQUEST) authorizer; `config` holds its AuthorizerType and settings."""
        created = aws_call(
            f"HTTP API {api_id} authorizer {name}",
            "CreateAuthorizer",
            self._client.create_authorizer,
            ApiId=api_id,
            Name=name,
            **config,
        )
        return str(created["AuthorizerId"])

    def update_authorizer(self, api_id: str, authorizer_id: str, *, config: JsonMapping) -> None:
        aws_call(
            f"HTTP API {api_id} authorizer {authorizer_id}",
            "UpdateAuthorizer",
            self._client.update_authorizer,
            ApiId=api_id,
            AuthorizerId=authorizer_id,
            **config,
        )

    def delete_authorizer(self, api_id: str, authorizer_id: str) -> None:
        call_or_none(
            f"HTTP API {api_id} authorizer {authorizer_id}",
            "DeleteAuthorizer",
            self._client.delete_authorizer,
            ApiId=api_id,
            AuthorizerId=authorizer_id,
        )
