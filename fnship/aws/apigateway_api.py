"""API Gateway REST APIs: the API, its resource tree, Lambda proxy methods, CORS preflights, deployments and
the stage, tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fnship.arns import arn
from fnship.aws.calls import aws_call, call_or_none, paged

if TYPE_CHECKING:  # AWS's answers as boto3-stubs types them
    from mypy_boto3_apigateway.client import APIGatewayClient
    from mypy_boto3_apigateway.type_defs import (
        DeploymentResponseTypeDef,
        ResourceTypeDef,
        RestApiResponseTypeDef,
        StageResponseTypeDef,
    )

PREFLIGHT_TEMPLATE = {"application/json": '{"statusCode": 200}'}


class RestApis:
    def __init__(self, client: APIGatewayClient, *, region: str) -> None:
        self._client = client
        self._region = region

    def arn(self, api_id: str) -> str:
        return arn("apigateway", f"/restapis/{api_id}", region=self._region)

    def lambda_uri(self, function_arn: str, *, streaming: bool = False) -> str:
        """The integration URI that invokes a function (or alias) ARN: Invoke, or InvokeWithResponseStream."""
        action = (
            "2021-11-15/functions/{}/response-streaming-invocations"
            if streaming
            else "2015-03-31/functions/{}/invocations"
        )
        return arn("apigateway", "path/" + action.format(function_arn), region=self._region,
                   account_id="lambda")  # fmt: skip

    def get_api_or_none(self, api_id: str) -> RestApiResponseTypeDef | None:
        """One REST API by id, with its tags (GetRestApi)."""
        return call_or_none(f"REST API {api_id}", "GetRestApi", self._client.get_rest_api, restApiId=api_id)

    def create_api(self, name: str, *, endpoint_type: str, tags: Mapping[str, str]) -> RestApiResponseTypeDef:
        return aws_call(
            f"REST API {name}",
            "CreateRestApi",
            self._client.create_rest_api,
            name=name,
            endpointConfiguration={"types": [endpoint_type]},
            tags=dict(tags),
        )

    def delete_api(self, api_id: str) -> None:
        call_or_none(f"REST API {api_id}", "DeleteRestApi", self._client.delete_rest_api, restApiId=api_id)

    def set_tags(self, api_id: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        arn = self.arn(api_id)
        if remove:
            aws_call(arn, "UntagResource", self._client.untag_resource, resourceArn=arn, tagKeys=list(remove))
        if add:
            aws_call(arn, "TagResource", self._client.tag_resource, resourceArn=arn, tags=dict(add))

    # -- the resource tree ----------------------------------------------------------------------------------------
    def get_resources(self, api_id: str) -> list[ResourceTypeDef]:
        """Every resource (path) of the API with its methods and their integrations embedded."""
        return paged(self._client, "get_resources", f"REST API {api_id}", "items", missing_ok=True, restApiId=api_id,
                     embed=["methods"], PaginationConfig={"PageSize": 500})  # fmt: skip

    def create_resource(self, api_id: str, *, parent_id: str, path_part: str) -> str:
        created = aws_call(
            f"REST API {api_id} resource {path_part}",
            "CreateResource",
            self._client.create_resource,
            restApiId=api_id,
            parentId=parent_id,
            pathPart=path_part,
        )
        return str(created["id"])

    def delete_resource(self, api_id: str, resource_id: str) -> None:
        call_or_none(
            f"REST API {api_id} resource {resource_id}",
            "DeleteResource",
            self._client.delete_resource,
            restApiId=api_id,
            resourceId=resource_id,
        )

    # -- methods ----------------------------------------------------------------------------------------------
    def put_lambda_method(
        self, api_id: str, resource_id: str, *, method: str, target_arn: str, transfer_mode: str = "BUFFERED"
    ) -> None:
        """The method (no authorization) with a Lambda proxy integration to `target_arn`; `transfer_mode` STREAM
        invokes it with InvokeWithResponseStream (its own URI) and streams the answer.
        https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html"""
        where = f"REST API {api_id} {method} on {resource_id}"
        existing = call_or_none(
            where, "GetMethod", self._client.get_method, restApiId=api_id, resourceId=resource_id, httpMethod=method
        )
        if existing is None:
            aws_call(
                where,
                "PutMethod",
                self._client.put_method,
                restApiId=api_id,
                resourceId=resource_id,
                httpMethod=method,
                authorizationType="NONE",
            )
        aws_call(
            where,
            "PutIntegration",
            self._client.put_integration,
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod=method,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=self.lambda_uri(target_arn, streaming=transfer_mode == "STREAM"),
            responseTransferMode=transfer_mode,
        )

    def delete_method(self, api_id: str, resource_id: str, *, method: str) -> None:
        call_or_none(
            f"REST API {api_id} {method} on {resource_id}",
            "DeleteMethod",
            self._client.delete_method,
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod=method,
        )

    def get_preflight_headers(self, api_id: str, resource_id: str) -> dict[str, str] | None:
        """The response headers the OPTIONS mock integration answers with, or None without a preflight."""
        found = call_or_none(
            f"REST API {api_id} OPTIONS on {resource_id}",
            "GetIntegrationResponse",
            self._client.get_integration_response,
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod="OPTIONS",
            statusCode="200",
        )
        return dict(found.get("responseParameters") or {}) if found else None

    def put_preflight(self, api_id: str, resource_id: str, *, headers: Mapping[str, str]) -> None:
        """An OPTIONS method answered by a mock integration with the CORS headers (no Lambda call).
        https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html"""
        where = f"REST API {api_id} OPTIONS on {resource_id}"
        ids = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": "OPTIONS"}
        if call_or_none(where, "GetMethod", self._client.get_method, **ids) is None:
            aws_call(where, "PutMethod", self._client.put_method, authorizationType="NONE", **ids)
        aws_call(
            where, "PutIntegration", self._client.put_integration, type="MOCK", requestTemplates=PREFLIGHT_TEMPLATE,
            **ids,
        )  # fmt: skip
        aws_call(
            where,
            "PutMethodResponse",
            self._client.put_method_response,
            statusCode="200",
            responseParameters={name: False for name in headers},
            **ids,
        )
        aws_call(
            where,
            "PutIntegrationResponse",
            self._client.put_integration_response,
            statusCode="200",
            responseParameters=dict(headers),
            **ids,
        )

    # -- deployments and the stage ------------------------------------------------------------------------------
    def get_stage_or_none(self, api_id: str, stage: str) -> StageResponseTypeDef | None:
        return call_or_none(
            f"REST API {api_id} stage {stage}", "GetStage", self._client.get_stage, restApiId=api_id, stageName=stage
        )

    def get_deployment_or_none(self, api_id: str, deployment_id: str) -> DeploymentResponseTypeDef | None:
        return call_or_none(
            f"REST API {api_id} deployment {deployment_id}",
            "GetDeployment",
            self._client.get_deployment,
            restApiId=api_id,
            deploymentId=deployment_id,
        )

    def deploy(self, api_id: str, *, stage: str, description: str) -> str:
        """A new deployment, made live on `stage` (created if missing)."""
        deployment = aws_call(
            f"REST API {api_id}",
            "CreateDeployment",
            self._client.create_deployment,
            restApiId=api_id,
            description=description,
        )
        deployment_id = str(deployment["id"])
        if self.get_stage_or_none(api_id, stage) is None:
            aws_call(
                f"REST API {api_id} stage {stage}",
                "CreateStage",
                self._client.create_stage,
                restApiId=api_id,
                stageName=stage,
                deploymentId=deployment_id,
            )
        else:
            aws_call(
                f"REST API {api_id} stage {stage}",
                "UpdateStage",
                self._client.update_stage,
                restApiId=api_id,
                stageName=stage,
                patchOperations=[{"op": "replace", "path": "/deploymentId", "value": deployment_id}],
            )
        return deployment_id

    def delete_stage(self, api_id: str, stage: str) -> None:
        call_or_none(
            f"REST API {api_id} stage {stage}",
            "DeleteStage",
            self._client.delete_stage,
            restApiId=api_id,
            stageName=stage,
        )
