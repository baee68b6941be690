"""API Gateway WebSocket APIs (apigatewayv2): the API and its auto-deploy stage, Lambda proxy integrations,
routes with their route responses, Lambda REQUEST authorizers, tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fnship.aws.apigatewayv2_api import ApiGatewayV2Apis
from fnship.aws.calls import aws_call, call_or_none, paged
from fnship.errors import AwsError

if TYPE_CHECKING:  # AWS's answers as boto3-stubs types them
    from mypy_boto3_apigatewayv2.type_defs import (
        CreateApiResponseTypeDef,
        GetApiResponseTypeDef,
        GetAuthorizerResponseTypeDef,
        GetStageResponseTypeDef,
        IntegrationTypeDef,
        RouteTypeDef,
    )


class WebsocketApis(ApiGatewayV2Apis):
    LABEL = "WebSocket API"

    def get_api_or_none(self, api_id: str) -> GetApiResponseTypeDef | None:
        return call_or_none(f"WebSocket API {api_id}", "GetApi", self._client.get_api, ApiId=api_id)

    def create_api(
        self, name: str, *, route_selection: str, description: str, tags: Mapping[str, str]
    ) -> CreateApiResponseTypeDef:
        return aws_call(
            f"WebSocket API {name}",
            "CreateApi",
            self._client.create_api,
            Name=name,
            ProtocolType="WEBSOCKET",
            RouteSelectionExpression=route_selection,
            Description=description,
            Tags=dict(tags),
        )

    def update_api(self, api_id: str, *, route_selection: str, description: str) -> None:
        aws_call(
            f"WebSocket API {api_id}",
            "UpdateApi",
            self._client.update_api,
            ApiId=api_id,
            RouteSelectionExpression=route_selection,
            Description=description,
        )

    def get_stage_or_none(self, api_id: str, stage: str) -> GetStageResponseTypeDef | None:
        return call_or_none(
            f"WebSocket API {api_id} stage {stage}", "GetStage", self._client.get_stage, ApiId=api_id, StageName=stage
        )

    def ensure_stage(self, api_id: str, stage: str) -> None:
        """The stage with auto-deploy: every route change is live without a deployment step."""
        found = self.get_stage_or_none(api_id, stage)
        where = f"WebSocket API {api_id} stage {stage}"
        if found is None:
            aws_call(where, "CreateStage", self._client.create_stage, ApiId=api_id, StageName=stage, AutoDeploy=True)
        elif not found.get("AutoDeploy"):
            aws_call(where, "UpdateStage", self._client.update_stage, ApiId=api_id, StageName=stage, AutoDeploy=True)

    def set_tags(self, api_id: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        arn = self.arn(api_id)
        if remove:
            aws_call(arn, "UntagResource", self._client.untag_resource, ResourceArn=arn, TagKeys=list(remove))
        if add:
            aws_call(arn, "TagResource", self._client.tag_resource, ResourceArn=arn, Tags=dict(add))

    def delete_api(self, api_id: str) -> None:
        call_or_none(f"WebSocket API {api_id}", "DeleteApi", self._client.delete_api, ApiId=api_id)

    # -- routes, integrations, route responses --------------------------------------------------------------------
    def get_routes(self, api_id: str) -> list[RouteTypeDef]:
        return paged(self._client, "get_routes", f"WebSocket API {api_id}", "Items", missing_ok=True, ApiId=api_id)

    def get_integrations(self, api_id: str) -> list[IntegrationTypeDef]:
        return paged(self._client, "get_integrations", f"WebSocket API {api_id}", "Items", missing_ok=True,
                     ApiId=api_id)  # fmt: skip

    def create_lambda_integration(self, api_id: str, *, uri: str) -> str:
        """A Lambda proxy integration; `uri` is the function's invocation URI (a WebSocket API takes no bare ARN)."""
        created = aws_call(
            f"WebSocket API {api_id}",
            "CreateIntegration",
            self._client.create_integration,
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=uri,
            IntegrationMethod="POST",
        )
        return str(created["IntegrationId"])

    def update_lambda_integration(self, api_id: str, integration_id: str, *, uri: str) -> None:
        aws_call(
            f"WebSocket API {api_id} integration {integration_id}",
            "UpdateIntegration",
            self._client.update_integration,
            ApiId=api_id,
            IntegrationId=integration_id,
            IntegrationUri=uri,
        )

    def create_default_route_response(self, api_id: str, route_id: str) -> None:
        """The `$default` route response, which sends the function's answer back to the client (a two-way route).
        One that is already there (a run stopped half-way) is kept: AWS answers ConflictException.
        https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html"""
        try:
            aws_call(
                f"WebSocket API {api_id} route {route_id}",
                "CreateRouteResponse",
                self._client.create_route_response,
                ApiId=api_id,
                RouteId=route_id,
                RouteResponseKey="$default",
            )
        except AwsError as failed:
            if failed.code != "ConflictException":
                raise

    # -- Lambda REQUEST authorizers (on $connect) -----------------------------------------------------------------
    def get_authorizer_or_none(self, api_id: str, authorizer_id: str) -> GetAuthorizerResponseTypeDef | None:
        return call_or_none(
            f"WebSocket API {api_id} authorizer {authorizer_id}",
            "GetAuthorizer",
            self._client.get_authorizer,
            ApiId=api_id,
            AuthorizerId=authorizer_id,
        )

    def create_request_authorizer(self, api_id: str, *, name: str, uri: str, identity_source: list[str]) -> str:
        created = aws_call(
            f"WebSocket API {api_id} authorizer {name}",
            "CreateAuthorizer",
            self._client.create_authorizer,
            ApiId=api_id,
            Name=name,
            AuthorizerType="REQUEST",
            AuthorizerUri=uri,
            IdentitySource=identity_source,
        )
        return str(created["AuthorizerId"])

    def update_request_authorizer(
        self, api_id: str, authorizer_id: str, *, uri: str, identity_source: list[str]
    ) -> None:
        aws_call(
            f"WebSocket API {api_id} authorizer {authorizer_id}",
            "UpdateAuthorizer",
            self._client.update_authorizer,
            ApiId=api_id,
            AuthorizerId=authorizer_id,
            AuthorizerUri=uri,
            IdentitySource=identity_source,
        )

    def delete_authorizer(self, api_id: str, authorizer_id: str) -> None:
        call_or_none(
            f"WebSocket API {api_id} authorizer {authorizer_id}",
            "DeleteAuthorizer",
            self._client.delete_authorizer,
            ApiId=api_id,
            AuthorizerId=authorizer_id,
        )
