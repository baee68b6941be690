"""API Gateway REST APIs: the API, its resource tree, Lambda proxy methods, CORS preflights, deployments and
the stage, tags."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from fnship.arns import arn
from fnship.aws.calls import aws_call, call_or_none, error_code, error_message, paged
from fnship.errors import AwsError
from fnship.jsonvalue import JsonMapping

if TYPE_CHECKING:  # AWS's answers as boto3-stubs types them
    from mypy_boto3_apigateway.client import APIGatewayClient
    from mypy_boto3_apigateway.type_defs import (
        ApiKeyResponseTypeDef,
        ApiKeyTypeDef,
        AuthorizerTypeDef,
        DeploymentResponseTypeDef,
        ModelTypeDef,
        PatchOperationTypeDef,
        RequestValidatorTypeDef,
        ResourceTypeDef,
        RestApiResponseTypeDef,
        StageResponseTypeDef,
        UsagePlanKeyTypeDef,
        UsagePlanResponseTypeDef,
        UsagePlanTypeDef,
    )

PREFLIGHT_TEMPLATE = {"application/json": '{"statusCode": 200}'}


# A CloudWatch role just made is refused by UpdateAccount until IAM has propagated it ("The role ARN does not have
# required permissions set to API Gateway"): asked again after these delays (seconds).
ACCOUNT_ROLE_RETRY_DELAYS = (1, 2, 3, 4, 5, 5, 5, 5)


class RestApis:
    def __init__(self, client: APIGatewayClient, *, region: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._region = region
        self._sleep = sleep

    # -- the account's settings (per region, shared by every API) ----------------------------------------------

    def cloudwatch_role(self) -> str | None:
        """GetAccount's `cloudwatchRoleArn`: the role API Gateway writes logs with (None: unset)."""
        found = aws_call("API Gateway account", "GetAccount", self._client.get_account)
        return found.get("cloudwatchRoleArn") or None

    def set_cloudwatch_role(self, role_arn: str) -> None:
        from botocore.exceptions import ClientError

        operations: list[PatchOperationTypeDef] = [{"op": "replace", "path": "/cloudwatchRoleArn", "value": role_arn}]
        for delay in (*ACCOUNT_ROLE_RETRY_DELAYS, None):
            try:
                self._client.update_account(patchOperations=operations)
                return
            except ClientError as exc:
                if error_code(exc) == "BadRequestException" and "permissions" in error_message(exc) and delay:
                    self._sleep(delay)
                    continue
                raise AwsError(resource="API Gateway account", action="UpdateAccount", code=error_code(exc),
                               detail=error_message(exc)) from exc  # fmt: skip

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

    def create_api(
        self, name: str, *, endpoint_type: str, tags: Mapping[str, str], settings: JsonMapping | None = None
    ) -> RestApiResponseTypeDef:
        """A REST API; `settings`: CreateRestApi's other fields (description, policy, binaryMediaTypes,
        minimumCompressionSize)."""
        return aws_call(
            f"REST API {name}",
            "CreateRestApi",
            self._client.create_rest_api,
            name=name,
            endpointConfiguration={"types": [endpoint_type]},
            tags=dict(tags),
            **(settings or {}),
        )

    def update_api(self, api_id: str, *, operations: list[dict[str, str]]) -> None:
        aws_call(f"REST API {api_id}", "UpdateRestApi", self._client.update_rest_api, restApiId=api_id,
                 patchOperations=operations)  # fmt: skip

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
    def replace_method(
        self,
        api_id: str,
        resource_id: str,
        *,
        method: str,
        settings: JsonMapping,
        target_arn: str,
        integration: JsonMapping,
        responses: Sequence[JsonMapping] = (),
        transfer_mode: str = "BUFFERED",
    ) -> None:
        """The method made anew (an existing one is deleted first: PutMethod does not replace one) with its
        settings (authorizationType, authorizerId, apiKeyRequired, requestParameters, ...), its integration with
        `target_arn` (type AWS_PROXY, or AWS with requestTemplates and passthroughBehavior) and, for an AWS
        integration, a method response and an integration response per status code (statusCode,
        selectionPattern, responseTemplates, responseParameters: `method.response.header.<name>` -> value).
        `transfer_mode` STREAM invokes the function with InvokeWithResponseStream (its own URI) and streams the
        answer (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html).
        https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-method-settings.html"""
        where = f"REST API {api_id} {method} on {resource_id}"
        ids = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": method}
        if call_or_none(where, "GetMethod", self._client.get_method, **ids) is not None:
            aws_call(where, "DeleteMethod", self._client.delete_method, **ids)
        aws_call(where, "PutMethod", self._client.put_method, **ids, **settings)
        aws_call(where, "PutIntegration", self._client.put_integration, **ids, integrationHttpMethod="POST",
                 uri=self.lambda_uri(target_arn, streaming=transfer_mode == "STREAM"),
                 responseTransferMode=transfer_mode, **integration)  # fmt: skip
        for response in responses:
            status = response["statusCode"]
            parameters = response.get("responseParameters")
            headers = {str(name): False for name in (parameters if isinstance(parameters, Mapping) else {})}
            aws_call(where, "PutMethodResponse", self._client.put_method_response, **ids, statusCode=status,
                     responseParameters=headers)  # fmt: skip
            aws_call(where, "PutIntegrationResponse", self._client.put_integration_response, **ids, **response)

    def delete_method(self, api_id: str, resource_id: str, *, method: str) -> None:
        call_or_none(
            f"REST API {api_id} {method} on {resource_id}",
            "DeleteMethod",
            self._client.delete_method,
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod=method,
        )

    def get_preflight(self, api_id: str, resource_id: str) -> tuple[dict[str, str], str | None] | None:
        """The response headers the OPTIONS mock integration answers with and its response template, or None
        without a preflight."""
        found = call_or_none(
            f"REST API {api_id} OPTIONS on {resource_id}",
            "GetIntegrationResponse",
            self._client.get_integration_response,
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod="OPTIONS",
            statusCode="200",
        )
        if not found:
            return None
        return dict(found.get("responseParameters") or {}), (found.get("responseTemplates") or {}).get(
            "application/json"
        )

    def put_preflight(
        self, api_id: str, resource_id: str, *, headers: Mapping[str, str], template: str | None = None
    ) -> None:
        """An OPTIONS method answered by a mock integration with the CORS headers (no Lambda call), and its response
        template (one that picks the request's Origin among several allowed), if any.
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
            responseTemplates={"application/json": template} if template else {},
            **ids,
        )

    # -- authorizers ----------------------------------------------------------------------------------------------
    def get_authorizers(self, api_id: str) -> list[AuthorizerTypeDef]:
        return paged(self._client, "get_authorizers", f"REST API {api_id}", "items", missing_ok=True,
                     restApiId=api_id)  # fmt: skip

    def create_authorizer(self, api_id: str, *, name: str, settings: JsonMapping) -> str:
        created = aws_call(f"REST API {api_id} authorizer {name}", "CreateAuthorizer",
                           self._client.create_authorizer, restApiId=api_id, name=name, **settings)  # fmt: skip
        return str(created["id"])

    def update_authorizer(self, api_id: str, authorizer_id: str, *, operations: list[dict[str, str]]) -> None:
        aws_call(f"REST API {api_id} authorizer {authorizer_id}", "UpdateAuthorizer", self._client.update_authorizer,
                 restApiId=api_id, authorizerId=authorizer_id, patchOperations=operations)  # fmt: skip

    def delete_authorizer(self, api_id: str, authorizer_id: str) -> None:
        call_or_none(f"REST API {api_id} authorizer {authorizer_id}", "DeleteAuthorizer",
                     self._client.delete_authorizer, restApiId=api_id, authorizerId=authorizer_id)  # fmt: skip

    # -- models and request validators ------------------------------------------------------------------------
    def get_models(self, api_id: str) -> list[ModelTypeDef]:
        return paged(self._client, "get_models", f"REST API {api_id}", "items", missing_ok=True, restApiId=api_id)

    def create_model(self, api_id: str, *, name: str, content_type: str, schema: str, description: str | None) -> None:
        extra = {"description": description} if description else {}
        aws_call(f"REST API {api_id} model {name}", "CreateModel", self._client.create_model, restApiId=api_id,
                 name=name, contentType=content_type, schema=schema, **extra)  # fmt: skip

    def update_model(self, api_id: str, name: str, *, operations: list[dict[str, str]]) -> None:
        aws_call(f"REST API {api_id} model {name}", "UpdateModel", self._client.update_model, restApiId=api_id,
                 modelName=name, patchOperations=operations)  # fmt: skip

    def delete_model(self, api_id: str, name: str) -> None:
        call_or_none(f"REST API {api_id} model {name}", "DeleteModel", self._client.delete_model, restApiId=api_id,
                     modelName=name)  # fmt: skip

    def get_request_validators(self, api_id: str) -> list[RequestValidatorTypeDef]:
        return paged(self._client, "get_request_validators", f"REST API {api_id}", "items", missing_ok=True,
                     restApiId=api_id)  # fmt: skip

    def create_request_validator(self, api_id: str, *, name: str, body: bool, parameters: bool) -> str:
        created = aws_call(f"REST API {api_id} validator {name}", "CreateRequestValidator",
                           self._client.create_request_validator, restApiId=api_id, name=name,
                           validateRequestBody=body, validateRequestParameters=parameters)  # fmt: skip
        return str(created["id"])

    def update_request_validator(self, api_id: str, validator_id: str, *, operations: list[dict[str, str]]) -> None:
        aws_call(f"REST API {api_id} validator {validator_id}", "UpdateRequestValidator",
                 self._client.update_request_validator, restApiId=api_id, requestValidatorId=validator_id,
                 patchOperations=operations)  # fmt: skip

    def delete_request_validator(self, api_id: str, validator_id: str) -> None:
        call_or_none(f"REST API {api_id} validator {validator_id}", "DeleteRequestValidator",
                     self._client.delete_request_validator, restApiId=api_id,
                     requestValidatorId=validator_id)  # fmt: skip

    # -- API keys and usage plans ------------------------------------------------------------------------------
    def api_key_arn(self, key_id: str) -> str:
        return arn("apigateway", f"/apikeys/{key_id}", region=self._region)

    def usage_plan_arn(self, plan_id: str) -> str:
        return arn("apigateway", f"/usageplans/{plan_id}", region=self._region)

    def set_tags_of(self, resource_arn: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        if remove:
            aws_call(resource_arn, "UntagResource", self._client.untag_resource, resourceArn=resource_arn,
                     tagKeys=list(remove))  # fmt: skip
        if add:
            aws_call(resource_arn, "TagResource", self._client.tag_resource, resourceArn=resource_arn, tags=dict(add))

    def get_api_keys(self, *, name: str, include_values: bool) -> list[ApiKeyTypeDef]:
        """The API keys whose name starts with `name` (GetApiKeys' nameQuery), with their values if asked."""
        return paged(self._client, "get_api_keys", f"API key {name}", "items", nameQuery=name,
                     includeValues=include_values)  # fmt: skip

    def create_api_key(self, name: str, *, settings: JsonMapping) -> str:
        created = aws_call(f"API key {name}", "CreateApiKey", self._client.create_api_key, name=name, **settings)
        return str(created["id"])

    def update_api_key(self, key_id: str, *, operations: list[dict[str, str]]) -> None:
        aws_call(f"API key {key_id}", "UpdateApiKey", self._client.update_api_key, apiKey=key_id,
                 patchOperations=operations)  # fmt: skip

    def delete_api_key(self, key_id: str) -> None:
        call_or_none(f"API key {key_id}", "DeleteApiKey", self._client.delete_api_key, apiKey=key_id)

    def get_usage_plans(self) -> list[UsagePlanTypeDef]:
        """Every usage plan of the account. Only for an endpoint whose tagging answer holds no API Gateway resources
        (the emulator): on AWS, plans are read by the ids the tagging answer names (`get_usage_plan_or_none`)."""
        return paged(self._client, "get_usage_plans", "usage plans", "items")

    def get_usage_plan_or_none(self, plan_id: str) -> UsagePlanResponseTypeDef | None:
        return call_or_none(f"usage plan {plan_id}", "GetUsagePlan", self._client.get_usage_plan, usagePlanId=plan_id)

    def get_api_key_or_none(self, key_id: str, *, include_value: bool) -> ApiKeyResponseTypeDef | None:
        return call_or_none(f"API key {key_id}", "GetApiKey", self._client.get_api_key, apiKey=key_id,
                            includeValue=include_value)  # fmt: skip

    def get_usage_plan_keys(self, plan_id: str) -> list[UsagePlanKeyTypeDef]:
        return paged(self._client, "get_usage_plan_keys", f"usage plan {plan_id}", "items", missing_ok=True,
                     usagePlanId=plan_id)  # fmt: skip

    def create_usage_plan(self, name: str, *, settings: JsonMapping) -> str:
        created = aws_call(f"usage plan {name}", "CreateUsagePlan", self._client.create_usage_plan, name=name,
                           **settings)  # fmt: skip
        return str(created["id"])

    def update_usage_plan(self, plan_id: str, *, operations: list[dict[str, str]]) -> None:
        aws_call(f"usage plan {plan_id}", "UpdateUsagePlan", self._client.update_usage_plan, usagePlanId=plan_id,
                 patchOperations=operations)  # fmt: skip

    def delete_usage_plan(self, plan_id: str) -> None:
        call_or_none(f"usage plan {plan_id}", "DeleteUsagePlan", self._client.delete_usage_plan, usagePlanId=plan_id)

    def add_usage_plan_key(self, plan_id: str, *, key_id: str) -> None:
        aws_call(f"usage plan {plan_id} key {key_id}", "CreateUsagePlanKey", self._client.create_usage_plan_key,
                 usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")  # fmt: skip

    def remove_usage_plan_key(self, plan_id: str, *, key_id: str) -> None:
        call_or_none(f"usage plan {plan_id} key {key_id}", "DeleteUsagePlanKey", self._client.delete_usage_plan_key,
                     usagePlanId=plan_id, keyId=key_id)  # fmt: skip

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

    def update_stage(self, api_id: str, stage: str, *, operations: list[dict[str, str]]) -> None:
        aws_call(f"REST API {api_id} stage {stage}", "UpdateStage", self._client.update_stage, restApiId=api_id,
                 stageName=stage, patchOperations=operations)  # fmt: skip

    def delete_stage(self, api_id: str, stage: str) -> None:
        call_or_none(
            f"REST API {api_id} stage {stage}",
            "DeleteStage",
            self._client.delete_stage,
            restApiId=api_id,
            stageName=stage,
        )
