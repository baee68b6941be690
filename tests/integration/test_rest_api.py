"""REST API (`http` events) beyond the Lambda proxy, against the moto server: authorizers (a Lambda of this service,
one by ARN, a Cognito user pool, AWS_IAM), `private: true`, request parameters, `integration: lambda` with its
templates and status codes, CORS; read back with boto3, a redeploy that changes nothing makes no call, changes
are deployed, remove leaves nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ACCOUNT, HELLO_HANDLER, REGION
from tests.integration.test_triggers import deploy, rest_api, statements
from tests.moto_calls import mutating_actions

POOL = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_abc123"
THEIR_AUTHORIZER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:their-authorizer"

MANIFEST = """\
service: svc
provider:
  name: aws
functions:
  auth:
    handler: handler.hello
  api:
    handler: handler.hello
    events:
      - http:
          method: get
          path: items/{{id}}
          private: true
          authorizer:
            name: auth
            resultTtlInSeconds: {ttl}
            identitySource: method.request.header.{header}
          request:
            parameters:
              querystrings:
                page: true
              headers:
                X-Trace: false
      - http:
          method: post
          path: items
          integration: lambda
          authorizer:
            arn: {pool}
            scopes: [items/write]
          cors:
            origin: https://app.example.com
            headers: [Content-Type, X-Custom]
            allowCredentials: true
          response:
            headers:
              X-Powered-By: "'fnship'"
            statusCodes:
              201:
                pattern: ''
              409:
                pattern: '.*\\[409\\].*'
                template: '{{"error": "conflict"}}'
      - http:
          method: delete
          path: items/{{id}}
          authorizer: aws_iam
      - http:
          method: put
          path: items/{{id}}
          authorizer:
            arn: {theirs}
            type: request
            identitySource: method.request.header.Authorization, method.request.querystring.key
            resultTtlInSeconds: 0
"""
FIRST = {"ttl": 300, "header": "Authorization", "pool": POOL, "theirs": THEIR_AUTHORIZER}


def their_authorizer(moto) -> None:
    """The Lambda authorizer another team deploys, which the manifest names by ARN."""
    import io
    import zipfile

    role = moto.client("iam").create_role(RoleName="theirs", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", HELLO_HANDLER)
    moto.client("lambda").create_function(FunctionName="their-authorizer", Runtime="python3.12", Role=role,
                                          Handler="handler.hello", Code={"ZipFile": code.getvalue()})  # fmt: skip


def their_statements(moto) -> dict[str, dict]:
    found = moto.client("lambda").get_policy(FunctionName="their-authorizer")["Policy"]
    return {s["Sid"]: s for s in json.loads(found)["Statement"]}


def methods(moto) -> dict[str, dict]:
    gateway = moto.client("apigateway")
    api = rest_api(moto)
    found = {}
    for item in gateway.get_resources(restApiId=api["id"], embed=["methods"])["items"]:
        for verb, method in (item.get("resourceMethods") or {}).items():
            found[f"{verb} {item['path']}"] = method
    return found


def authorizers(moto) -> dict[str, dict]:
    gateway = moto.client("apigateway")
    return {a["name"]: a for a in gateway.get_authorizers(restApiId=rest_api(moto)["id"])["items"]}


def test_authorizers_api_keys_parameters_and_the_lambda_integration_are_created(moto, project):
    their_authorizer(moto)
    deploy(project, MANIFEST.format(**FIRST))
    found = authorizers(moto)
    assert set(found) == {"auth", f"{REGION}_abc123", "their-authorizer"}
    assert found["auth"]["type"] == "TOKEN"
    assert found["auth"]["authorizerUri"].endswith(":function:svc-dev-auth:live/invocations") and found["auth"][
        "authorizerUri"
    ].startswith(f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/")
    assert found["auth"]["identitySource"] == "method.request.header.Authorization"
    assert found["auth"]["authorizerResultTtlInSeconds"] == 300
    assert found[f"{REGION}_abc123"]["type"] == "COGNITO_USER_POOLS"
    assert found[f"{REGION}_abc123"]["providerARNs"] == [POOL]
    assert found["their-authorizer"]["type"] == "REQUEST"
    assert found["their-authorizer"]["authorizerResultTtlInSeconds"] == 0

    by_route = methods(moto)
    get = by_route["GET /items/{id}"]
    assert get["authorizationType"] == "CUSTOM" and get["authorizerId"] == found["auth"]["id"]
    assert get["apiKeyRequired"] is True
    assert get["requestParameters"] == {"method.request.querystring.page": True, "method.request.header.X-Trace": False}
    assert get["methodIntegration"]["type"] == "AWS_PROXY"

    post = by_route["POST /items"]
    assert post["authorizationType"] == "COGNITO_USER_POOLS" and post["authorizationScopes"] == ["items/write"]
    integration = post["methodIntegration"]
    assert integration["type"] == "AWS" and integration["passthroughBehavior"] == "NEVER"
    assert integration["uri"].endswith(":function:svc-dev-api:live/invocations")
    assert set(integration["requestTemplates"]) == {"application/json", "application/x-www-form-urlencoded"}
    assert '"principalId": "$context.authorizer.principalId"' in integration["requestTemplates"]["application/json"]
    responses = integration["integrationResponses"]
    assert set(responses) == {"201", "409"}
    assert responses["409"]["selectionPattern"] == ".*\\[409\\].*"
    assert responses["409"]["responseTemplates"] == {"application/json": '{"error": "conflict"}'}
    assert responses["201"]["responseParameters"] == {
        "method.response.header.Access-Control-Allow-Origin": "'https://app.example.com'",
        "method.response.header.Access-Control-Allow-Credentials": "'true'",
        "method.response.header.X-Powered-By": "'fnship'",
    }
    assert set(post["methodResponses"]) == {"201", "409"}
    preflight = by_route["OPTIONS /items"]["methodIntegration"]["integrationResponses"]["200"]["responseParameters"]
    assert preflight["method.response.header.Access-Control-Allow-Headers"] == "'Content-Type,X-Custom'"
    assert preflight["method.response.header.Access-Control-Allow-Methods"] == "'OPTIONS,POST'"

    assert by_route["DELETE /items/{id}"]["authorizationType"] == "AWS_IAM"
    assert by_route["PUT /items/{id}"]["authorizerId"] == found["their-authorizer"]["id"]

    # API Gateway may invoke the service's own authorizer, for this API's authorizers only.
    statement = statements(moto, "svc-dev-auth")["fnship-httpAuthorizer-auth"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {
        "AWS:SourceArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{rest_api(moto)['id']}/authorizers/*"
    }
    # ... and the authorizer given by ARN, as v3 allows it (its function is not the service's: a statement of its own).
    theirs = their_statements(moto)["fnshipauth-svc-dev-rest-their-authorizer"]
    assert theirs["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert theirs["Action"] == "lambda:InvokeFunction"
    assert theirs["Condition"]["ArnLike"] == {
        "AWS:SourceArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{rest_api(moto)['id']}/authorizers/*"
    }


def test_an_unchanged_rest_api_makes_no_call_and_changes_are_deployed(moto, project):
    their_authorizer(moto)
    deploy(project, MANIFEST.format(**FIRST))
    plan = project.fn("plan", "--exit-code")
    assert plan.exit_code == 0, plan.stdout
    moto.start_recording()
    deploy(project, MANIFEST.format(**FIRST))
    assert mutating_actions(moto.stop_recording()) == []

    gateway = moto.client("apigateway")
    api_id = rest_api(moto)["id"]
    before = gateway.get_stage(restApiId=api_id, stageName="dev")["deploymentId"]
    auth_id = authorizers(moto)["auth"]["id"]
    deploy(project, MANIFEST.format(**{**FIRST, "ttl": 60, "header": "X-Token"}))
    changed = authorizers(moto)["auth"]
    assert changed["id"] == auth_id  # changed in place: the methods keep naming it
    assert changed["authorizerResultTtlInSeconds"] == 60
    assert changed["identitySource"] == "method.request.header.X-Token"
    assert gateway.get_stage(restApiId=api_id, stageName="dev")["deploymentId"] != before
    assert project.fn("plan", "--exit-code").exit_code == 0


def their_statements_left(moto) -> dict[str, dict]:
    try:
        return their_statements(moto)
    except moto.client("lambda").exceptions.ResourceNotFoundException:  # no policy left at all
        return {}


def test_remove_leaves_no_authorizer_method_or_statement(moto, project):
    their_authorizer(moto)
    deploy(project, MANIFEST.format(**FIRST))
    assert set(their_statements(moto)) == {"fnshipauth-svc-dev-rest-their-authorizer"}
    result = project.fn("remove", "--yes")
    assert result.exit_code == 0, result.stderr
    assert their_statements_left(moto) == {}
    assert [a for a in moto.client("apigateway").get_rest_apis()["items"] if a["name"] == "dev-svc"] == []
    lam = moto.client("lambda")
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["their-authorizer"]


def test_a_removed_authorizer_goes_after_its_methods(moto, project):
    their_authorizer(moto)
    deploy(project, MANIFEST.format(**FIRST))
    without = MANIFEST.format(**FIRST).split("      - http:\n          method: put")[0]
    deploy(project, without)
    assert set(authorizers(moto)) == {"auth", f"{REGION}_abc123"}
    assert their_statements_left(moto) == {}  # its statement on the function given by ARN went with it
    assert "PUT /items/{id}" not in methods(moto)
    assert project.fn("plan", "--exit-code").exit_code == 0


def test_a_lambda_integration_without_responses_gets_serverless_v3s_status_codes(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    text = MANIFEST.format(**FIRST).split("      - http:\n          method: post")[0] + (
        "      - http: {method: post, path: legacy, integration: lambda}\n"
    )
    deploy(project, text)
    responses = methods(moto)["POST /legacy"]["methodIntegration"]["integrationResponses"]
    assert sorted(responses) == ["200", "400", "401", "403", "404", "422", "500", "502", "504"]
    assert "selectionPattern" not in responses["200"]
    assert responses["404"]["selectionPattern"] == "[\\s\\S]*\\[404\\][\\s\\S]*"


SETTINGS = """\
service: svc
provider:
  name: aws
  tracing:
    apiGateway: {tracing}
  apiGateway:
    description: {description}
    shouldStartNameWithService: {with_service}
    minimumCompressionSize: 1024
    resourcePolicy:
      - Effect: Allow
        Principal: '*'
        Action: execute-api:Invoke
        Resource: execute-api:/*/*/*
        Condition:
          IpAddress:
            aws:SourceIp: [{ip}]
functions:
  api:
    handler: handler.hello
    events:
      - http: GET /items
"""


def test_provider_api_gateway_settings_reach_the_api_and_change_in_place(moto, project):
    first = {"tracing": "true", "description": "Orders", "with_service": "false", "ip": "10.0.0.0/8"}
    deploy(project, SETTINGS.format(**first))
    gateway = moto.client("apigateway")
    api = rest_api(moto)
    # (moto drops CreateRestApi's binaryMediaTypes: tests/kinds/test_rest_settings.py has them)
    assert api["description"] == "Orders"
    assert api["minimumCompressionSize"] == 1024
    assert '"aws:SourceIp":["10.0.0.0/8"]' in api["policy"].replace('\\"', '"')
    assert gateway.get_stage(restApiId=api["id"], stageName="dev")["tracingEnabled"] is True
    moto.start_recording()
    deploy(project, SETTINGS.format(**first))
    assert mutating_actions(moto.stop_recording()) == []

    second = {"tracing": "false", "description": "Orders API", "with_service": "true", "ip": "192.168.0.0/16"}
    deploy(project, SETTINGS.format(**second))
    (renamed,) = [a for a in gateway.get_rest_apis()["items"] if a["id"] == api["id"]]
    assert renamed["name"] == "svc-dev" and renamed["description"] == "Orders API"
    assert "192.168.0.0/16" in renamed["policy"]
    assert gateway.get_stage(restApiId=api["id"], stageName="dev")["tracingEnabled"] is False
    assert project.fn("plan", "--exit-code").exit_code == 0
    assert project.fn("remove", "--yes").exit_code == 0
    assert gateway.get_rest_apis()["items"] == []


def test_what_fnship_does_not_deploy_yet_is_refused_before_any_call(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write(
        "serverless.yml",
        "service: svc\nprovider:\n  name: aws\n  apiGateway:\n    restApiId: abc\n    description: mine\n"
        "    apiKeySourceType: HEADER\nfunctions:\n  api:\n    handler: handler.hello\n",
    )
    moto.start_recording()
    result = project.fn("deploy", "--yes")
    assert moto.stop_recording() == []
    assert result.exit_code == 2
    assert "serverless.yml:6:5 provider.apiGateway.description: cannot set description on an existing REST API" in (
        result.stderr
    )
    assert "serverless.yml:7:5 provider.apiGateway.apiKeySourceType: provider.apiGateway.apiKeySourceType is not" in (
        result.stderr
    )
    project.write(
        "serverless.yml",
        "service: svc\nprovider:\n  name: aws\n  apiGateway:\n    restApiRootResourceId: r00t\n"
        "functions:\n  api:\n    handler: handler.hello\n",
    )
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "serverless.yml:5:5 provider.apiGateway.restApiRootResourceId: restApiRootResourceId needs" in result.stderr


EXISTING_REST = """\
service: svc
provider:
  name: aws
  apiGateway:
    restApiId: {api}
    restApiRootResourceId: {root}
    restApiResources:
      /shared: {shared}
functions:
  api:
    handler: handler.hello
    events:
      - http: GET shared/{{id}}
      - http:
          method: post
          path: {second}
          cors: true
"""


def test_methods_go_on_an_existing_rest_api_which_remove_leaves_in_place(moto, project):
    gateway = moto.client("apigateway")
    theirs = gateway.create_rest_api(name="shared-api", description="not ours")
    api_id = theirs["id"]
    root = next(r["id"] for r in gateway.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    shared = gateway.create_resource(restApiId=api_id, parentId=root, pathPart="shared")["id"]
    other = gateway.create_resource(restApiId=api_id, parentId=root, pathPart="others")["id"]
    gateway.put_method(restApiId=api_id, resourceId=other, httpMethod="GET", authorizationType="NONE")
    values = {"api": api_id, "root": root, "shared": shared, "second": "mine"}
    deploy(project, EXISTING_REST.format(**values))

    def paths() -> dict[str, set[str]]:
        items = gateway.get_resources(restApiId=api_id, embed=["methods"])["items"]
        return {item["path"]: set(item.get("resourceMethods") or {}) for item in items}

    assert paths() == {"/": set(), "/shared": set(), "/shared/{id}": {"GET"}, "/others": {"GET"},
                       "/mine": {"POST", "OPTIONS"}}  # fmt: skip
    assert [a["name"] for a in gateway.get_rest_apis()["items"]] == ["shared-api"]
    found = gateway.get_rest_api(restApiId=api_id)
    assert found["description"] == "not ours" and not found.get("tags")
    assert gateway.get_stage(restApiId=api_id, stageName="dev")["deploymentId"]
    assert statements(moto)["fnship-http-get-shared-id"]["Condition"]["ArnLike"] == {
        "AWS:SourceArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*/GET/shared/*"
    }
    plan = project.fn("plan", "--exit-code")
    assert plan.exit_code == 0, plan.stdout
    info = project.fn("info")
    assert f"REST API: https://{api_id}.execute-api.{REGION}.amazonaws.com/dev" in info.stdout, info.stdout
    assert "GET /shared/{id}  -> api" in info.stdout and "/others" not in info.stdout
    moto.start_recording()
    deploy(project, EXISTING_REST.format(**values))
    assert mutating_actions(moto.stop_recording()) == []

    deploy(project, EXISTING_REST.format(**{**values, "second": "yours"}))  # a path of ours is left, not removed
    assert paths()["/yours"] == {"POST", "OPTIONS"} and paths()["/others"] == {"GET"}
    assert project.fn("remove", "--yes").exit_code == 0
    left = paths()
    assert left["/others"] == {"GET"} and left["/shared/{id}"] == set()
    assert [a["name"] for a in gateway.get_rest_apis()["items"]] == ["shared-api"]


HTTP_API = """\
service: svc
provider:
  name: aws
  httpApi:
    authorizers:
      custom:
        type: request
        functionName: auth
        identitySource: [$request.header.Authorization]
        resultTtlInSeconds: {ttl}
        enableSimpleResponses: true
functions:
  auth:
    handler: handler.hello
  api:
    handler: handler.hello
    events:
      - httpApi:
          method: GET
          path: /me
          authorizer: custom
      - httpApi:
          method: GET
          path: /admin
          authorizer:
            type: aws_iam
"""


def http_api_routes(moto) -> tuple[str, dict[str, dict]]:
    client = moto.client("apigatewayv2")
    (api,) = [a for a in client.get_apis()["Items"] if a["Name"] == "dev-svc"]
    return api["ApiId"], {r["RouteKey"]: r for r in client.get_routes(ApiId=api["ApiId"])["Items"]}


def test_http_api_lambda_request_authorizers_and_aws_iam_routes(moto, project):
    deploy(project, HTTP_API.format(ttl=300))
    client = moto.client("apigatewayv2")
    api_id, routes = http_api_routes(moto)
    me = routes["GET /me"]
    assert me["AuthorizationType"] == "CUSTOM"
    authorizer = client.get_authorizer(ApiId=api_id, AuthorizerId=me["AuthorizerId"])
    assert authorizer["AuthorizerType"] == "REQUEST" and authorizer["Name"] == "custom"
    assert authorizer["AuthorizerUri"].endswith(":function:svc-dev-auth:live/invocations")
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    assert authorizer["AuthorizerResultTtlInSeconds"] == 300 and authorizer["EnableSimpleResponses"] is True
    assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"
    assert routes["GET /admin"]["AuthorizationType"] == "AWS_IAM"
    statement = statements(moto, "svc-dev-auth")["fnship-httpApiAuthorizer-custom"]
    assert statement["Condition"]["ArnLike"] == {
        "AWS:SourceArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/authorizers/*"
    }
    moto.start_recording()
    deploy(project, HTTP_API.format(ttl=300))
    assert mutating_actions(moto.stop_recording()) == []
    deploy(project, HTTP_API.format(ttl=60))
    changed = client.get_authorizer(ApiId=api_id, AuthorizerId=me["AuthorizerId"])
    assert changed["AuthorizerResultTtlInSeconds"] == 60
    assert project.fn("plan", "--exit-code").exit_code == 0
    assert project.fn("remove", "--yes").exit_code == 0
    assert client.get_apis()["Items"] == []


def test_routes_go_on_an_existing_http_api_which_remove_leaves_in_place(moto, project):
    client = moto.client("apigatewayv2")
    theirs = client.create_api(Name="shared", ProtocolType="HTTP")["ApiId"]
    text = (
        "service: svc\nprovider:\n  name: aws\n  httpApi:\n    id: " + theirs + "\n"
        "functions:\n  api:\n    handler: handler.hello\n    events:\n      - httpApi: GET /mine\n"
    )
    deploy(project, text)
    routes = {r["RouteKey"]: r for r in client.get_routes(ApiId=theirs)["Items"]}
    assert set(routes) == {"GET /mine"}
    assert [a["Name"] for a in client.get_apis()["Items"]] == ["shared"]
    assert statements(moto)["fnship-httpApi-get-mine"]["Condition"]["ArnLike"] == {
        "AWS:SourceArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{theirs}/*/GET/mine"
    }
    moto.start_recording()
    deploy(project, text)
    assert mutating_actions(moto.stop_recording()) == []
    assert project.fn("remove", "--yes").exit_code == 0
    assert client.get_routes(ApiId=theirs)["Items"] == []
    assert [a["Name"] for a in client.get_apis()["Items"]] == ["shared"]


KEYS = """\
service: svc
provider:
  name: aws
  apiGateway:
    apiKeys:
      - free:
          - {first}
      - paid:
          - name: partner
            value: {value}
            description: Partner key
    usagePlan:
      - free:
          quota:
            limit: {limit}
            period: MONTH
          throttle:
            burstLimit: 20
            rateLimit: 10
      - paid:
          throttle:
            burstLimit: 200
            rateLimit: 100
functions:
  api:
    handler: handler.hello
    events:
      - http:
          method: get
          path: items
          private: true
"""
VALUE = "p" * 24


def plans(moto) -> dict[str, dict]:
    gateway = moto.client("apigateway")
    found = {}
    for plan in gateway.get_usage_plans()["items"]:
        keys = gateway.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
        found[plan["name"]] = {**plan, "keys": sorted(k["name"] for k in keys)}
    return found


def test_api_keys_and_usage_plans_are_created_changed_and_removed(moto, project):
    keys_and_plans_lifecycle(moto, project)


@pytest.fixture
def tagging_double(moto, monkeypatch):
    """moto's tagging API indexes no API Gateway resource: a double answers them as AWS's does."""
    from tests.integration.tagging_double import TaggingDouble

    served = TaggingDouble(moto.endpoint).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", served.endpoint)
    yield served
    served.stop()


def test_usage_plans_and_api_keys_are_read_by_the_ids_the_tagging_answer_names(moto, tagging_double, project):
    gateway = moto.client("apigateway")
    theirs = gateway.create_usage_plan(name="svc-free-dev", tags={"team": "other"})["id"]  # our plan's name, not ours
    keys_and_plans_lifecycle(moto, project, keep={theirs})
    listed = [(path, query) for method, path, query in tagging_double.seen
              if method == "GET" and path in ("/usageplans", "/apikeys")]  # fmt: skip
    assert listed == []  # never the account's plans or keys: GetUsagePlan / GetApiKey by id only
    assert any(path.startswith("/usageplans/") for _method, path, _query in tagging_double.seen)


def keys_and_plans_lifecycle(moto, project, keep: set[str] = frozenset()) -> None:
    """Keys and plans created, left alone by an unchanged deploy, changed, and removed (but plans in `keep`)."""
    deploy(project, KEYS.format(first="mobile", value=VALUE, limit=5000))
    gateway = moto.client("apigateway")
    api_id = rest_api(moto)["id"]
    found = {name: plan for name, plan in plans(moto).items() if plan["id"] not in keep}
    assert set(found) == {"svc-free-dev", "svc-paid-dev"}
    free, paid = found["svc-free-dev"], found["svc-paid-dev"]
    assert free["apiStages"] == [{"apiId": api_id, "stage": "dev"}] and free["keys"] == ["mobile"]
    assert free["quota"] == {"limit": 5000, "offset": 0, "period": "MONTH"}
    assert free["throttle"] == {"burstLimit": 20, "rateLimit": 10.0}
    assert paid["keys"] == ["partner"] and paid["description"] == 'Usage plan "paid" for svc dev stage'
    keys = {k["name"]: k for k in gateway.get_api_keys(includeValues=True)["items"]}
    assert keys["partner"]["value"] == VALUE and keys["partner"]["description"] == "Partner key"
    assert keys["mobile"]["enabled"] is True
    plan = project.fn("plan", "--exit-code")
    assert plan.exit_code == 0, plan.stdout
    assert VALUE not in project.fn("plan", "--json").stdout
    moto.start_recording()
    deploy(project, KEYS.format(first="mobile", value=VALUE, limit=5000))
    assert mutating_actions(moto.stop_recording()) == []

    # A renamed key replaces the old one in its plan; a quota changes in place.
    deploy(project, KEYS.format(first="web", value=VALUE, limit=100))
    found = {name: plan for name, plan in plans(moto).items() if plan["id"] not in keep}
    assert found["svc-free-dev"]["keys"] == ["web"] and found["svc-free-dev"]["quota"]["limit"] == 100
    assert sorted(k["name"] for k in gateway.get_api_keys()["items"]) == ["partner", "web"]
    assert project.fn("plan", "--exit-code").exit_code == 0

    assert project.fn("remove", "--yes").exit_code == 0
    assert [p["id"] for p in gateway.get_usage_plans()["items"]] == sorted(keep)
    assert gateway.get_api_keys()["items"] == [] and gateway.get_rest_apis()["items"] == []


def test_api_keys_without_a_usage_plan_get_one_plan_named_after_the_service(moto, project):
    text = (
        "service: svc\nprovider:\n  name: aws\n  apiGateway:\n    apiKeys:\n      - partner\n"
        "functions:\n  api:\n    handler: handler.hello\n    events:\n      - http: GET /items\n"
    )
    deploy(project, text)
    found = plans(moto)
    assert list(found) == ["svc-dev"] and found["svc-dev"]["keys"] == ["partner"]
    assert found["svc-dev"]["description"] == "Usage plan for svc dev stage"
    assert "quota" not in found["svc-dev"] or not found["svc-dev"]["quota"]


SCHEMAS = """\
service: svc
provider:
  name: aws
  apiGateway:
    request:
      schemas:
        item:
          name: Item
          description: An item
          schema:
            type: object
            required: [name]
            properties:
              name: {{type: string}}
functions:
  api:
    handler: handler.hello
    events:
      - http:
          method: post
          path: items
          request:
            schemas:
              application/json: item
      - http:
          method: put
          path: items/{{id}}
          request:
            schemas:
              application/json:
                type: object
                properties:
                  {field}: {{type: integer}}
"""


def test_request_schemas_make_models_and_the_validator_the_methods_use(moto, project):
    deploy(project, SCHEMAS.format(field="count"))
    gateway = moto.client("apigateway")
    api_id = rest_api(moto)["id"]
    models = {m["name"]: m for m in gateway.get_models(restApiId=api_id)["items"]}
    assert set(models) == {"Item", "PutItemsIdApplicationJsonModel"}
    assert json.loads(models["Item"]["schema"])["required"] == ["name"] and models["Item"]["description"] == "An item"
    (validator,) = gateway.get_request_validators(restApiId=api_id)["items"]
    assert validator["validateRequestBody"] is True and validator["validateRequestParameters"] is True
    assert validator["name"] == "svc-dev | Validate request body and querystring parameters"
    by_route = methods(moto)
    assert by_route["POST /items"]["requestModels"] == {"application/json": "Item"}
    assert by_route["POST /items"]["requestValidatorId"] == validator["id"]
    assert by_route["PUT /items/{id}"]["requestModels"] == {"application/json": "PutItemsIdApplicationJsonModel"}
    moto.start_recording()
    deploy(project, SCHEMAS.format(field="count"))
    assert mutating_actions(moto.stop_recording()) == []

    # Without schemas the models and the validator go, after the methods stop naming them.
    without = SCHEMAS.format(field="count").split("          request:")[0] + ("      - http: PUT items/{id}\n")
    deploy(project, without)
    assert gateway.get_models(restApiId=api_id)["items"] == []
    assert gateway.get_request_validators(restApiId=api_id)["items"] == []
    assert "requestModels" not in methods(moto)["POST /items"] or not methods(moto)["POST /items"]["requestModels"]
    assert project.fn("plan", "--exit-code").exit_code == 0


THROTTLED = """\
service: svc
plugins:
  - serverless-api-gateway-throttling
custom:
  apiGatewayThrottling:
    maxRequestsPerSecond: {rate}
    maxConcurrentRequests: 50
provider:
  name: aws
functions:
  api:
    handler: handler.hello
    events:
      - http:
          method: get
          path: items/{{id}}
{throttling}
      - http: POST items
"""
OVERRIDE = "          throttling:\n            maxRequestsPerSecond: 5\n            maxConcurrentRequests: 2"


def test_stage_and_method_throttling_as_serverless_api_gateway_throttling_sets_them(moto, project):
    deploy(project, THROTTLED.format(rate=100, throttling=OVERRIDE))
    gateway = moto.client("apigateway")
    api_id = rest_api(moto)["id"]
    settings = gateway.get_stage(restApiId=api_id, stageName="dev")["methodSettings"]
    assert (settings["*/*"]["throttlingBurstLimit"], settings["*/*"]["throttlingRateLimit"]) == (50, 100.0)
    method = settings["~1items~1{id}/GET"]
    assert (method["throttlingBurstLimit"], method["throttlingRateLimit"]) == (2, 5.0)
    moto.start_recording()
    deploy(project, THROTTLED.format(rate=100, throttling=OVERRIDE))
    assert mutating_actions(moto.stop_recording()) == []
    # The method's own throttle removed: it inherits the stage's again; the stage's changes in place.
    deploy(project, THROTTLED.format(rate=200, throttling=""))
    settings = gateway.get_stage(restApiId=api_id, stageName="dev")["methodSettings"]
    assert settings["*/*"]["throttlingRateLimit"] == 200.0
    assert settings["~1items~1{id}/GET"]["throttlingRateLimit"] == 200.0
    assert project.fn("plan", "--exit-code").exit_code == 0


def test_throttling_without_its_plugin_is_refused(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", THROTTLED.format(rate=1, throttling=OVERRIDE).replace(
        "plugins:\n  - serverless-api-gateway-throttling\n", ""))  # fmt: skip
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "functions.api.events.0.http.throttling: throttling is a key of the serverless-api-gateway-throttling" in (
        result.stderr
    )


LOGS = """\
service: svc
provider:
  name: aws
  logRetentionInDays: 14
  logs:
    restApi: {logs}
functions:
  api:
    handler: handler.hello
    events:
      - http: GET items
"""


def test_rest_api_logs_set_access_and_execution_logging_and_the_accounts_cloudwatch_role(moto, project):
    gateway, logs, iam = moto.client("apigateway"), moto.client("logs"), moto.client("iam")
    deploy(project, LOGS.format(logs="true"))
    api_id = rest_api(moto)["id"]
    stage = gateway.get_stage(restApiId=api_id, stageName="dev")
    group = logs.describe_log_groups(logGroupNamePrefix="/aws/api-gateway/")["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in group] == [("/aws/api-gateway/svc-dev", 14)]
    assert stage["accessLogSettings"] == {
        "destinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/api-gateway/svc-dev",
        "format": "requestId: $context.requestId, ip: $context.identity.sourceIp, caller: $context.identity.caller, "
        "user: $context.identity.user, requestTime: $context.requestTime, httpMethod: $context.httpMethod, "
        "resourcePath: $context.resourcePath, status: $context.status, protocol: $context.protocol, "
        "responseLength: $context.responseLength",
    }
    everything = stage["methodSettings"]["*/*"]
    assert (everything["loggingLevel"], everything["dataTraceEnabled"]) == ("INFO", True)
    role = iam.get_role(RoleName="serverlessApiGatewayCloudWatchRole")["Role"]
    assert gateway.get_account()["cloudwatchRoleArn"] == role["Arn"]
    policy = iam.get_role_policy(RoleName="serverlessApiGatewayCloudWatchRole", PolicyName="push-to-cloudwatch-logs")
    assert policy["PolicyDocument"]["Statement"][0]["Action"][:2] == ["logs:CreateLogGroup", "logs:CreateLogStream"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}

    plan = project.fn("plan", "--exit-code")
    assert plan.exit_code == 0, plan.stdout
    moto.start_recording()
    deploy(project, LOGS.format(logs="true"))
    assert mutating_actions(moto.stop_recording()) == []

    ours = f"arn:aws:iam::{ACCOUNT}:role/ours"
    deploy(
        project, LOGS.format(logs="{accessLogging: false, level: ERROR, fullExecutionData: false, role: " + ours + "}")
    )
    stage = gateway.get_stage(restApiId=api_id, stageName="dev")
    assert not stage.get("accessLogSettings")
    everything = stage["methodSettings"]["*/*"]
    assert (everything["loggingLevel"], everything["dataTraceEnabled"]) == ("ERROR", False)
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/api-gateway/")["logGroups"] == []
    # The region's setting already names a role: v3 leaves it as it is, and so does fnship.
    assert gateway.get_account()["cloudwatchRoleArn"] == role["Arn"]
    assert project.fn("plan", "--exit-code").exit_code == 0

    deploy(project, LOGS.format(logs="{level: INFO}"))
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/api-gateway/")["logGroups"]
    assert project.fn("remove", "--yes").exit_code == 0
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/api-gateway/")["logGroups"] == []
    assert gateway.get_account()["cloudwatchRoleArn"] == role["Arn"]  # the region's, kept


def test_rest_api_logs_with_a_role_given_and_managed_externally(moto, project):
    gateway = moto.client("apigateway")
    ours = f"arn:aws:iam::{ACCOUNT}:role/ours"
    deploy(project, LOGS.format(logs="{roleManagedExternally: true, executionLogging: false}"))
    assert not gateway.get_account().get("cloudwatchRoleArn")
    stage = gateway.get_stage(restApiId=rest_api(moto)["id"], stageName="dev")
    assert "loggingLevel" not in stage.get("methodSettings", {}).get("*/*", {})  # execution logging stays off
    assert stage["accessLogSettings"]["destinationArn"].endswith(":log-group:/aws/api-gateway/svc-dev")
    deploy(project, LOGS.format(logs="{role: " + ours + "}"))
    assert gateway.get_account()["cloudwatchRoleArn"] == ours
    assert "serverlessApiGatewayCloudWatchRole" not in [r["RoleName"] for r in moto.client("iam").list_roles()["Roles"]]


def test_rest_api_logs_bad_settings_are_refused_before_any_call(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write(
        "serverless.yml",
        "service: svc\nprovider:\n  name: aws\n  logs:\n    restApi:\n      level: DEBUG\n      formats: x\n"
        "    websocket: true\nfunctions:\n  api:\n    handler: handler.hello\n",
    )
    moto.start_recording()
    result = project.fn("deploy", "--yes")
    assert moto.stop_recording() == []
    assert result.exit_code == 2
    assert "serverless.yml:6:14 provider.logs.restApi.level: 'DEBUG' is not a log level; allowed: INFO, ERROR" in (
        result.stderr
    )
    assert "serverless.yml:7:7 provider.logs.restApi.formats" in result.stderr
    assert "serverless.yml:8:5 provider.logs.websocket: provider.logs.websocket is not supported" in result.stderr


def test_an_authorizer_by_arn_managed_externally_gets_no_statement(moto, project):
    their_authorizer(moto)
    text = MANIFEST.format(**FIRST).replace(
        "            resultTtlInSeconds: 0\n",
        "            resultTtlInSeconds: 0\n            managedExternally: true\n",
    )
    deploy(project, text)
    assert "their-authorizer" in authorizers(moto)
    assert their_statements_left(moto) == {}
    assert project.fn("plan", "--exit-code").exit_code == 0


def test_several_cors_origins_answer_each_request_with_its_own_origin(moto, project):
    text = (
        "service: svc\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: handler.hello\n    events:\n"
        "      - http:\n          method: get\n          path: items\n          cors:\n"
        "            origins: [https://app.example.com, 'https://*.partners.example.com']\n"
    )
    deploy(project, text)
    gateway = moto.client("apigateway")
    api_id = rest_api(moto)["id"]
    (items,) = [r for r in gateway.get_resources(restApiId=api_id)["items"] if r["path"] == "/items"]
    answer = gateway.get_integration_response(restApiId=api_id, resourceId=items["id"], httpMethod="OPTIONS",
                                              statusCode="200")  # fmt: skip
    template = answer["responseTemplates"]["application/json"]
    # As Serverless v3 writes it: the request's Origin is answered when it matches one of them (wildcards as .*).
    assert '#if($origin.matches("https://app\\.example\\.com|https://.*\\.partners\\.example\\.com"))' in template
    assert "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)" in template
    plan = project.fn("plan", "--exit-code")
    assert plan.exit_code == 0, plan.stdout
    moto.start_recording()
    deploy(project, text)
    assert mutating_actions(moto.stop_recording()) == []
    # Back to one origin: the template goes, the header is that origin.
    deploy(
        project,
        text.replace("[https://app.example.com, 'https://*.partners.example.com']", "[https://app.example.com]"),
    )
    answer = gateway.get_integration_response(restApiId=api_id, resourceId=items["id"], httpMethod="OPTIONS",
                                              statusCode="200")  # fmt: skip
    assert not (answer.get("responseTemplates") or {}).get("application/json")
    assert (
        answer["responseParameters"]["method.response.header.Access-Control-Allow-Origin"]
        == "'https://app.example.com'"
    )


BY_ARN = """\
service: svc
provider:
  name: aws
  httpApi:
    authorizers:
      theirs:
        type: request
        functionArn: {theirs}
        identitySource: [$request.header.Authorization]
functions:
  api:
    handler: handler.hello
    events:
      - httpApi:
          method: GET
          path: /me
          authorizer: theirs
      - websocket:
          route: $connect
          authorizer: {theirs}
      - websocket: $default
"""


def test_http_and_websocket_authorizers_by_arn_get_their_statements(moto, project):
    their_authorizer(moto)
    text = BY_ARN.format(theirs=THEIR_AUTHORIZER)
    deploy(project, text)
    v2 = moto.client("apigatewayv2")
    apis = {a["ProtocolType"]: a["ApiId"] for a in v2.get_apis()["Items"]}
    theirs = their_statements(moto)
    assert set(theirs) == {"fnshipauth-svc-dev-http-theirs", "fnshipauth-svc-dev-ws-their-authorizer"}
    for sid, api in (
        ("fnshipauth-svc-dev-http-theirs", "HTTP"),
        ("fnshipauth-svc-dev-ws-their-authorizer", "WEBSOCKET"),
    ):
        assert theirs[sid]["Condition"]["ArnLike"] == {
            "AWS:SourceArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{apis[api]}/authorizers/*"
        }
    plan = project.fn("plan", "--exit-code")
    assert plan.exit_code == 0, plan.stdout
    moto.start_recording()
    deploy(project, text)
    assert mutating_actions(moto.stop_recording()) == []
    assert project.fn("remove", "--yes").exit_code == 0
    assert their_statements_left(moto) == {}
