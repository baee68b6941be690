"""The Serverless v3 trigger types beyond the first nine, against the moto server: what each creates read back
with boto3 (pointing at the alias ARN), an unchanged redeploy making no mutating call, and remove leaving nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ACCOUNT, HELLO_HANDLER, REGION
from tests.moto_calls import mutating_actions

ALIAS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:svc-dev-api:live"


def manifest(events: str, *, provider: str = "") -> str:
    return (
        "service: svc\nprovider:\n  name: aws\n"
        + provider
        + "functions:\n  api:\n    handler: handler.hello\n    events:\n"
        + events
    )


def deploy(project, text: str):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", text)
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


def statements(moto, function: str = "svc-dev-api") -> dict[str, dict]:
    try:
        policy = moto.client("lambda").get_policy(FunctionName=function, Qualifier="live")["Policy"]
    except moto.client("lambda").exceptions.ResourceNotFoundException:
        return {}
    return {s["Sid"]: s for s in json.loads(policy)["Statement"]}


def principal(statement: dict) -> str:
    """The service a statement allows (moto writes a principal outside amazonaws.com as a bare string)."""
    found = statement["Principal"]
    return found["Service"] if isinstance(found, dict) else found


def assert_converged(moto, project, text: str) -> None:
    """`fn plan` finds nothing to do, and a redeploy makes no mutating call."""
    plan = project.fn("plan", "--exit-code")
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert "No changes" in plan.stdout
    moto.start_recording()
    deploy(project, text)
    assert mutating_actions(moto.stop_recording()) == []


def remove(project) -> None:
    removed = project.fn("remove", "--yes")
    assert removed.exit_code == 0, removed.stderr


CLOUDWATCH_EVENT = """\
      - cloudwatchEvent:
          event:
            source: [aws.ec2]
            detail-type: [EC2 Instance State-change Notification]
          {extra}
"""


def test_a_cloudwatch_event_is_a_rule_on_the_default_bus_with_its_input_transformer(moto, project):
    transformer = (
        "inputTransformer:\n            inputPathsMap: {state: $.detail.state}\n"
        "            inputTemplate: '{\"s\": <state>}'"
    )
    text = manifest(CLOUDWATCH_EVENT.format(extra=transformer))
    deploy(project, text)

    events = moto.client("events")
    (rule,) = events.list_rules(NamePrefix="svc-dev-api")["Rules"]
    assert rule["Name"] == "svc-dev-api-rule"
    assert json.loads(rule["EventPattern"]) == {
        "source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]
    }  # fmt: skip
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == ALIAS
    assert target["InputTransformer"] == {
        "InputPathsMap": {"state": "$.detail.state"},
        "InputTemplate": '{"s": <state>}',
    }
    statement = statements(moto)["fnship-cloudwatchEvent-rule"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]
    assert_converged(moto, project, text)

    changed = manifest(CLOUDWATCH_EVENT.format(extra="enabled: false\n          input: {key: value}"))
    deploy(project, changed)
    (rule,) = events.list_rules(NamePrefix="svc-dev-api")["Rules"]
    assert rule["State"] == "DISABLED"
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert json.loads(target["Input"]) == {"key": "value"} and "InputTransformer" not in target

    remove(project)
    assert events.list_rules(NamePrefix="svc-dev-api")["Rules"] == []


SKILL = "amzn1.ask.skill.12345678-1234-1234-1234-123456789012"
SMART_HOME = "amzn1.ask.skill.abcdefab-1234-1234-1234-123456789012"


@pytest.fixture
def policy_double(moto, monkeypatch):
    """moto drops an Alexa statement's EventSourceToken: a double of the policy calls keeps it, as Lambda does."""
    from tests.integration.policy_double import PolicyTokenDouble

    served = PolicyTokenDouble(moto.endpoint).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", served.endpoint)
    yield served
    served.stop()


def test_alexa_skills_get_a_statement_for_their_skill_only(moto, policy_double, project):
    text = manifest(f"      - alexaSkill: {SKILL}\n      - alexaSmartHome:\n          appId: {SMART_HOME}\n")
    deploy(project, text)
    skill_id, smart_home_id = SKILL.rsplit(".", 1)[1], SMART_HOME.rsplit(".", 1)[1]
    found = statements(moto)
    assert set(found) == {f"fnship-alexaSkill-{skill_id}", f"fnship-alexaSmartHome-{smart_home_id}"}
    skill = found[f"fnship-alexaSkill-{skill_id}"]
    assert principal(skill) == "alexa-appkit.amazon.com"
    assert skill["Action"] == "lambda:InvokeFunction"
    assert skill["Resource"] == ALIAS
    assert principal(found[f"fnship-alexaSmartHome-{smart_home_id}"]) == "alexa-connectedhome.amazon.com"
    assert policy_double.tokens == {
        ("svc-dev-api", "live", f"fnship-alexaSkill-{skill_id}"): SKILL,
        ("svc-dev-api", "live", f"fnship-alexaSmartHome-{smart_home_id}"): SMART_HOME,
    }
    assert_converged(moto, project, text)

    disabled = manifest(f"      - alexaSkill:\n          appId: {SKILL}\n          enabled: false\n")
    deploy(project, disabled)
    (statement,) = statements(moto).values()
    assert statement["Action"] == "lambda:DisableInvokeFunction"
    assert_converged(moto, project, disabled)
    remove(project)
    assert policy_double.tokens == {}


def test_a_bare_alexa_skill_is_accepted_with_v3s_warning(moto, project):
    text = manifest("      - alexaSkill\n")
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", text)
    validated = project.fn("validate")
    assert validated.exit_code == 0, validated.stderr
    assert "without appId lets any Alexa skill invoke the function" in validated.stdout + validated.stderr
    deploy(project, text)
    (statement,) = statements(moto).values()
    assert statement["Sid"] == "fnship-alexaSkill-any"
    assert "Condition" not in statement
    assert_converged(moto, project, text)


def test_a_cloudwatch_log_event_subscribes_the_alias_to_the_log_group(moto, project):
    logs = moto.client("logs")
    for group in ("/app/orders", "/app/audit"):
        logs.create_log_group(logGroupName=group)
    events = "      - cloudwatchLog: /app/orders\n      - cloudwatchLog:\n          logGroup: /app/audit\n"
    text = manifest(events + "          filter: '{filter}'\n")
    deploy(project, text.format(filter="ERROR"))

    (orders,) = logs.describe_subscription_filters(logGroupName="/app/orders")["subscriptionFilters"]
    assert (orders["filterName"], orders["destinationArn"], orders["filterPattern"]) == (
        "svc-dev-api-app-orders", ALIAS, ""
    )  # fmt: skip
    (audit,) = logs.describe_subscription_filters(logGroupName="/app/audit")["subscriptionFilters"]
    assert audit["filterPattern"] == "ERROR"
    statement = statements(moto)["fnship-cloudwatchLog-app-orders"]
    assert principal(statement) == f"logs.{REGION}.amazonaws.com"
    assert (
        statement["Condition"]["ArnLike"]["AWS:SourceArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/orders:*"
    )
    assert_converged(moto, project, text.format(filter="ERROR"))

    project.write("serverless.yml", text.format(filter="WARN"))
    changes = {c["address"]: c["action"] for c in project.fn("plan", "--json").json["plan"]["changes"]}
    assert changes == {"trigger.api.cloudwatchLog.app-audit": "update"}
    deploy(project, text.format(filter="WARN"))
    (audit,) = logs.describe_subscription_filters(logGroupName="/app/audit")["subscriptionFilters"]
    assert audit["filterPattern"] == "WARN"

    deploy(project, manifest("      - cloudwatchLog: /app/audit\n"))
    assert logs.describe_subscription_filters(logGroupName="/app/orders")["subscriptionFilters"] == []
    assert set(statements(moto)) == {"fnship-cloudwatchLog-app-audit"}
    remove(project)
    assert logs.describe_subscription_filters(logGroupName="/app/audit")["subscriptionFilters"] == []


IOT = """\
      - iot:
          sql: "SELECT * FROM 'sensors/+/temperature' WHERE temperature > {limit}"
          {extra}
"""


def test_an_iot_event_is_a_topic_rule_invoking_the_alias(moto, project):
    text = manifest(IOT.format(limit=30, extra="sqlVersion: '2016-03-23'"))
    deploy(project, text)
    iot = moto.client("iot")
    found = iot.get_topic_rule(ruleName="svc_dev_api_rule")
    rule = found["rule"]
    assert rule["sql"] == "SELECT * FROM 'sensors/+/temperature' WHERE temperature > 30"
    assert rule["awsIotSqlVersion"] == "2016-03-23"
    assert rule["actions"] == [{"lambda": {"functionArn": ALIAS}}]
    assert rule["ruleDisabled"] is False
    statement = statements(moto)["fnship-iot-rule"]
    assert principal(statement) == "iot.amazonaws.com"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == found["ruleArn"]
    assert_converged(moto, project, text)

    changed = manifest(IOT.format(limit=40, extra="enabled: false"))
    deploy(project, changed)
    rule = iot.get_topic_rule(ruleName="svc_dev_api_rule")["rule"]
    assert rule["sql"].endswith("> 40") and rule["ruleDisabled"] is True
    assert rule["awsIotSqlVersion"] == "2015-10-08"  # AWS's default, sent explicitly
    assert_converged(moto, project, changed)

    named = manifest(IOT.format(limit=40, extra="name: hot_sensors"))
    deploy(project, named)
    assert [r["ruleName"] for r in iot.list_topic_rules()["rules"]] == ["hot_sensors"]
    remove(project)
    assert iot.list_topic_rules()["rules"] == []


SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:kafka-login-AbCdEf"
CLUSTER = f"arn:aws:kafka:{REGION}:{ACCOUNT}:cluster/orders/a1b2c3d4-5678-90ab-cdef-11111example-1"
BROKER = f"arn:aws:mq:{REGION}:{ACCOUNT}:broker:orders:b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9"
BROKER_EVENTS = """\
      - kafka:
          bootstrapServers: [b-1.example.com:9092, b-2.example.com:9092]
          topic: orders
          consumerGroupId: order-readers
          batchSize: {batch}
          accessConfigurations:
            saslScram512Auth: {secret}
            vpcSubnet: [subnet-0abc]
            vpcSecurityGroup: [sg-0abc]
      - msk:
          arn: {cluster}
          topic: payments
          startingPosition: LATEST
          saslScram512: {secret}
          filterPatterns:
            - value: {{amount: [{{numeric: [">", 100]}}]}}
      - activemq:
          arn: {broker}
          queue: invoices
          basicAuthArn: {secret}
          maximumBatchingWindow: 5
      - rabbitmq:
          arn: {broker}
          queue: refunds
          basicAuthArn: {secret}
          enabled: {enabled}
"""


@pytest.fixture
def mapping_double(moto, monkeypatch):
    """moto refuses MSK, Kafka and MQ mappings: a double of Lambda's mapping API answers them as Lambda does."""
    from tests.integration.mapping_double import MappingDouble

    served = MappingDouble(moto.endpoint).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", served.endpoint)
    yield served
    served.stop()


def test_kafka_msk_and_mq_events_map_the_topic_or_queue_into_the_alias(moto, mapping_double, project):
    from tests.conftest import Moto

    text = manifest(BROKER_EVENTS.format(secret=SECRET, cluster=CLUSTER, broker=BROKER, batch=50, enabled="true"))
    deploy(project, text)
    listed = Moto(mapping_double.endpoint).client("lambda").list_event_source_mappings(FunctionName=ALIAS)
    found = {tuple(m.get("Topics") or m.get("Queues")): m for m in listed["EventSourceMappings"]}
    assert set(found) == {("orders",), ("payments",), ("invoices",), ("refunds",)}
    kafka = found[("orders",)]
    assert "EventSourceArn" not in kafka
    assert kafka["SelfManagedEventSource"] == {
        "Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["b-1.example.com:9092", "b-2.example.com:9092"]}
    }
    assert kafka["SelfManagedKafkaEventSourceConfig"] == {"ConsumerGroupId": "order-readers"}
    assert (kafka["BatchSize"], kafka["StartingPosition"]) == (50, "TRIM_HORIZON")
    assert sorted((a["Type"], a["URI"]) for a in kafka["SourceAccessConfigurations"]) == [
        ("SASL_SCRAM_512_AUTH", SECRET),
        ("VPC_SECURITY_GROUP", "security_group:sg-0abc"),
        ("VPC_SUBNET", "subnet:subnet-0abc"),
    ]
    msk = found[("payments",)]
    assert (msk["EventSourceArn"], msk["StartingPosition"], msk["FunctionArn"]) == (CLUSTER, "LATEST", ALIAS)
    assert json.loads(msk["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "value": {"amount": [{"numeric": [">", 100]}]}
    }
    assert found[("invoices",)]["SourceAccessConfigurations"] == [{"Type": "BASIC_AUTH", "URI": SECRET}]
    assert found[("invoices",)]["MaximumBatchingWindowInSeconds"] == 5
    assert sorted(a["Type"] for a in found[("refunds",)]["SourceAccessConfigurations"]) == [
        "BASIC_AUTH",
        "VIRTUAL_HOST",
    ]

    iam = moto.client("iam")
    role = iam.list_roles(PathPrefix="/fnship/svc/dev/")["Roles"][0]["RoleName"]
    policy = iam.get_role_policy(RoleName=role, PolicyName="fnship")["PolicyDocument"]
    by_action = {
        a: s["Resource"]
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert by_action["secretsmanager:GetSecretValue"] == SECRET
    assert by_action["kafka:DescribeClusterV2"] == CLUSTER and by_action["mq:DescribeBroker"] == BROKER
    assert by_action["ec2:CreateNetworkInterface"] == "*"  # AWS cannot scope network interfaces

    plan = project.fn("plan", "--exit-code")
    assert plan.exit_code == 0 and "No changes" in plan.stdout, plan.stdout
    answered = len(mapping_double.requests)
    moto.start_recording()
    deploy(project, text)
    assert mutating_actions(moto.stop_recording()) == []
    assert [m for m, _ in mapping_double.requests[answered:] if m != "GET"] == []

    changed = manifest(BROKER_EVENTS.format(secret=SECRET, cluster=CLUSTER, broker=BROKER, batch=70, enabled="false"))
    project.write("serverless.yml", changed)
    changes = {c["address"]: c["action"] for c in project.fn("plan", "--json").json["plan"]["changes"]}
    assert changes == {"trigger.api.kafka.orders": "update", "trigger.api.rabbitmq.refunds": "update"}
    deploy(project, changed)
    states = {tuple(m.get("Topics") or m.get("Queues")): m for m in mapping_double.mappings.values()}
    assert states[("orders",)]["BatchSize"] == 70 and states[("refunds",)]["State"] == "Disabled"
    assert "No changes" in project.fn("plan").stdout

    remove(project)
    assert mapping_double.mappings == {}


REGISTRY = f"arn:aws:glue:{REGION}:{ACCOUNT}:registry/orders"
POLLED = """\
      - msk:
          arn: {cluster}
          topic: payments
          provisionedPollers:
            minimum: {low}
            maximum: 10
{registry}
      - kafka:
          bootstrapServers: [b-1.example.com:9092]
          topic: orders
          accessConfigurations:
            saslScram512Auth: {secret}
          provisionedPollers: {{minimum: 2}}
          schemaRegistry:
            uri: https://registry.example.com
            eventRecordFormat: SOURCE
            accessConfigurations:
              basicAuth: {registry_secret}
            validate: [value]
"""
GLUE = """\
          schemaRegistry:
            uri: {registry}
            validate: [key, value]"""


def test_kafka_schema_registries_and_provisioned_pollers(moto, mapping_double, project):
    registry_secret = SECRET.replace("kafka", "registry")
    values = {"cluster": CLUSTER, "secret": SECRET, "registry_secret": registry_secret, "low": 1,
              "registry": GLUE.format(registry=REGISTRY)}  # fmt: skip
    text = manifest(POLLED.format(**values))
    deploy(project, text)
    found = {m["Topics"][0]: m for m in mapping_double.mappings.values()}
    msk, kafka = found["payments"], found["orders"]
    assert msk["ProvisionedPollerConfig"] == {"MinimumPollers": 1, "MaximumPollers": 10}
    assert msk["AmazonManagedKafkaEventSourceConfig"]["SchemaRegistryConfig"] == {
        "SchemaRegistryURI": REGISTRY,
        "EventRecordFormat": "JSON",
        "AccessConfigs": [],
        "SchemaValidationConfigs": [{"Attribute": "KEY"}, {"Attribute": "VALUE"}],
    }
    assert kafka["ProvisionedPollerConfig"] == {"MinimumPollers": 2, "MaximumPollers": 200}  # Lambda's maximum
    assert kafka["SelfManagedKafkaEventSourceConfig"]["SchemaRegistryConfig"] == {
        "SchemaRegistryURI": "https://registry.example.com",
        "EventRecordFormat": "SOURCE",
        "AccessConfigs": [{"Type": "BASIC_AUTH", "URI": registry_secret}],
        "SchemaValidationConfigs": [{"Attribute": "VALUE"}],
    }
    iam = moto.client("iam")
    role = iam.list_roles(PathPrefix="/fnship/svc/dev/")["Roles"][0]["RoleName"]
    statements_ = iam.get_role_policy(RoleName=role, PolicyName="fnship")["PolicyDocument"]["Statement"]
    resources = {
        (action, resource)
        for s in statements_
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        for resource in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    assert ("glue:GetSchemaVersion", REGISTRY) in resources
    assert ("glue:GetSchemaVersion", f"arn:aws:glue:{REGION}:{ACCOUNT}:schema/orders/*") in resources
    assert ("secretsmanager:GetSecretValue", registry_secret) in resources
    assert_converged(moto, project, text)

    # Pollers and the registry change in place (the same mapping); removing the registry removes it.
    changed = manifest(POLLED.format(**{**values, "low": 3, "registry": ""}))
    project.write("serverless.yml", changed)
    changes = {c["address"]: c["action"] for c in project.fn("plan", "--json").json["plan"]["changes"]}
    assert changes == {"trigger.api.msk.payments": "update", "role.api": "update"}  # (the role: no Glue reads)
    deploy(project, changed)
    msk = mapping_double.mappings[msk["UUID"]]
    assert msk["ProvisionedPollerConfig"]["MinimumPollers"] == 3
    assert "SchemaRegistryConfig" not in msk["AmazonManagedKafkaEventSourceConfig"]
    assert "No changes" in project.fn("plan").stdout
    remove(project)


def test_a_schema_registry_without_provisioned_pollers_is_refused(moto, project):
    text = manifest(
        "      - msk:\n          arn: " + CLUSTER + "\n          topic: t\n          provisionedPollers:\n"
        "            minimum: 5\n            maximum: 2\n"
        "      - msk:\n          arn: " + CLUSTER + "\n          topic: u\n          schemaRegistry:\n"
        "            uri: " + REGISTRY + "\n            validate: [headers]\n"
        "            accessConfigurations: {basicAuth: " + SECRET + "}\n"
    )
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", text)
    moto.start_recording()
    result = project.fn("deploy", "--yes")
    assert moto.stop_recording() == []
    assert result.exit_code == 2
    assert (
        "serverless.yml:12:22 functions.api.events.0.msk.provisionedPollers.minimum: a minimum of 5 pollers is above"
        in (result.stderr)
    )
    assert "functions.api.events.1.msk.schemaRegistry: a schema registry needs provisioned mode" in result.stderr
    assert "'headers' is not a record part: write key or value" in result.stderr
    assert "a Glue schema registry is reached with the function's role: it takes no secrets" in result.stderr


WEBSOCKET = """\
service: svc
provider:
  name: aws
  websocketsApiRouteSelectionExpression: {selection}
functions:
  api:
    handler: handler.hello
    events:
      - websocket:
          route: $connect
          authorizer:
            name: auth
            identitySource: [route.request.header.Auth, route.request.querystring.token]
      - websocket: $disconnect
      - websocket:
          route: sendMessage
          routeResponseSelectionExpression: $default
  auth:
    handler: handler.hello
"""
AUTH_ALIAS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:svc-dev-auth:live"


def invocation(arn: str) -> str:
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"


def test_websocket_routes_authorizer_stage_and_the_roles_own_connections(moto, project):
    text = WEBSOCKET.format(selection="$request.body.action")
    moto.start_recording()
    deploy(project, text)
    made = mutating_actions(moto.stop_recording())
    v2 = moto.client("apigatewayv2")
    (api,) = [a for a in v2.get_apis()["Items"] if a["Name"] == "dev-svc-websockets"]
    assert (api["ProtocolType"], api["RouteSelectionExpression"]) == ("WEBSOCKET", "$request.body.action")
    assert api["Tags"] == {"fnship:service": "svc", "fnship:stage": "dev"}
    assert v2.get_stage(ApiId=api["ApiId"], StageName="dev")["AutoDeploy"] is True
    integrations = {i["IntegrationId"]: i for i in v2.get_integrations(ApiId=api["ApiId"])["Items"]}
    routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=api["ApiId"])["Items"]}
    assert set(routes) == {"$connect", "$disconnect", "sendMessage"}
    for route in routes.values():
        integration = integrations[route["Target"].removeprefix("integrations/")]
        assert (integration["IntegrationType"], integration["IntegrationUri"]) == ("AWS_PROXY", invocation(ALIAS))
    connect = routes["$connect"]
    assert connect["AuthorizationType"] == "CUSTOM"
    authorizer = v2.get_authorizer(ApiId=api["ApiId"], AuthorizerId=connect["AuthorizerId"])
    assert (authorizer["AuthorizerType"], authorizer["AuthorizerUri"]) == ("REQUEST", invocation(AUTH_ALIAS))
    assert authorizer["IdentitySource"] == ["route.request.header.Auth", "route.request.querystring.token"]
    assert routes["sendMessage"]["RouteResponseSelectionExpression"] == "$default"
    # (GetRouteResponses answers 500 in moto: the one CreateRouteResponse call is what shows the route answers.)
    answering = f"/v2/apis/{api['ApiId']}/routes/{routes['sendMessage']['RouteId']}/routeresponses"
    assert [a for a in made if "routeresponses" in a] == [f"POST {answering}"]

    statement = statements(moto)["fnship-websocket-connect"]
    assert principal(statement) == "apigateway.amazonaws.com"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == (
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api['ApiId']}/*/$connect"
    )
    auth_statement = statements(moto, "svc-dev-auth")["fnship-websocketAuthorizer-auth"]
    assert auth_statement["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(f":{api['ApiId']}/authorizers/*")
    iam = moto.client("iam")
    role = [r["RoleName"] for r in iam.list_roles(PathPrefix="/fnship/svc/dev/")["Roles"] if "-api-" in r["RoleName"]]
    policy = iam.get_role_policy(RoleName=role[0], PolicyName="fnship")["PolicyDocument"]
    (manage,) = [s for s in policy["Statement"] if s["Action"] == "execute-api:ManageConnections"]
    assert manage["Resource"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api['ApiId']}/*/*/@connections/*"

    info = project.fn("info")
    assert f"wss://{api['ApiId']}.execute-api" in info.stdout or f"{api['ApiEndpoint']}/dev" in info.stdout, info.stdout
    assert_converged(moto, project, text)

    changed = WEBSOCKET.format(selection="$request.body.route").replace("      - websocket: $disconnect\n", "")
    deploy(project, changed)
    (api,) = [a for a in v2.get_apis()["Items"] if a["Name"] == "dev-svc-websockets"]
    assert api["RouteSelectionExpression"] == "$request.body.route"
    assert {r["RouteKey"] for r in v2.get_routes(ApiId=api["ApiId"])["Items"]} == {"$connect", "sendMessage"}
    assert_converged(moto, project, changed)

    remove(project)
    assert [a for a in v2.get_apis()["Items"] if a["Name"] == "dev-svc-websockets"] == []


def load_balancer_listener(moto) -> str:
    """An application load balancer with an HTTP listener: what an `alb` event attaches its rule to."""
    ec2, elb = moto.client("ec2"), moto.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for n, zone in ((1, "a"), (2, "b"))
    ]
    balancer = elb.create_load_balancer(Name="web", Subnets=subnets, Type="application")["LoadBalancers"][0]
    listener = elb.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )  # fmt: skip
    return listener["Listeners"][0]["ListenerArn"]


ALB = """\
      - alb:
          listenerArn: {listener}
          priority: 10
          conditions:
            path: /users/*
            method: [GET, POST]
            {extra}
          multiValueHeaders: true
          healthCheck:
            path: /health
            intervalSeconds: 60
"""


def test_an_alb_event_is_a_lambda_target_group_and_a_listener_rule_on_the_alias(moto, project):
    listener = load_balancer_listener(moto)
    text = manifest(ALB.format(listener=listener, extra="query: {verbose: 'true'}"))
    deploy(project, text)
    elb = moto.client("elbv2")
    (group,) = elb.describe_target_groups(Names=["svc-dev-api-10"])["TargetGroups"]
    assert group["TargetType"] == "lambda"
    assert (group["HealthCheckEnabled"], group["HealthCheckPath"], group["HealthCheckIntervalSeconds"]) == (
        True, "/health", 60
    )  # fmt: skip
    attributes = elb.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"]
    assert {a["Key"]: a["Value"] for a in attributes}["lambda.multi_value_headers.enabled"] == "true"
    health = elb.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
    assert [d["Target"]["Id"] for d in health] == [ALIAS]
    (rule,) = [r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]]
    assert rule["Priority"] == "10"
    assert rule["Actions"][0]["Type"] == "forward" and rule["Actions"][0]["TargetGroupArn"] == group["TargetGroupArn"]
    fields = {c["Field"]: c for c in rule["Conditions"]}
    assert fields["path-pattern"]["PathPatternConfig"]["Values"] == ["/users/*"]
    assert sorted(fields["http-request-method"]["HttpRequestMethodConfig"]["Values"]) == ["GET", "POST"]
    assert fields["query-string"]["QueryStringConfig"]["Values"] == [{"Key": "verbose", "Value": "true"}]
    statement = statements(moto)["fnship-alb-10"]
    assert principal(statement) == "elasticloadbalancing.amazonaws.com"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == group["TargetGroupArn"]
    assert_converged(moto, project, text)

    changed = manifest(ALB.format(listener=listener, extra="ip: 10.0.0.0/8"))
    project.write("serverless.yml", changed)
    changes = {c["address"]: c["action"] for c in project.fn("plan", "--json").json["plan"]["changes"]}
    assert changes == {"trigger.api.alb.10": "update"}
    deploy(project, changed)
    (rule,) = [r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]]
    assert {c["Field"] for c in rule["Conditions"]} == {"path-pattern", "http-request-method", "source-ip"}
    assert_converged(moto, project, changed)

    remove(project)
    assert [r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]] == []
    assert [g for g in elb.describe_target_groups()["TargetGroups"] if g["TargetGroupName"] == "svc-dev-api-10"] == []


USER_POOL = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_abc123"
ALB_AUTHORIZERS = """\
  alb:
    authorizers:
      members:
        type: cognito
        userPoolArn: {pool}
        userPoolClientId: 1h57kf5cpq17m0eml12EXAMPLE
        userPoolDomain: members-login
        scope: openid email
      partners:
        type: oidc
        authorizationEndpoint: https://idp.example.com/authorize
        clientId: partner-portal
        clientSecret: {secret}
        issuer: https://idp.example.com
        tokenEndpoint: https://idp.example.com/token
        userInfoEndpoint: https://idp.example.com/userinfo
        onUnauthenticatedRequest: authenticate
        requestExtraParams:
          prompt: login
          redirect: false
        sessionTimeout: {timeout}
"""
AUTHORIZED_ALB = """\
      - alb:
          listenerArn: {listener}
          priority: 20
          conditions:
            path: /members/*
          authorizer: {authorizer}
"""


def test_alb_authorizers_put_authenticate_actions_before_the_forward(moto, project):
    listener = load_balancer_listener(moto)
    client_secret = "oidc-client-secret-value"
    provider = ALB_AUTHORIZERS.format(pool=USER_POOL, secret=client_secret, timeout=3600)
    text = manifest(AUTHORIZED_ALB.format(listener=listener, authorizer="[members, partners]"), provider=provider)
    deploy(project, text)
    elb = moto.client("elbv2")
    (rule,) = [r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]]
    actions = sorted(rule["Actions"], key=lambda a: a["Order"])
    assert [a["Type"] for a in actions] == ["authenticate-cognito", "authenticate-oidc", "forward"]
    cognito = actions[0]["AuthenticateCognitoConfig"]
    assert (cognito["UserPoolArn"], cognito["UserPoolDomain"], cognito["Scope"]) == (
        USER_POOL, "members-login", "openid email"
    )  # fmt: skip
    assert cognito["OnUnauthenticatedRequest"] == "deny"  # Serverless v3's default
    oidc = actions[1]["AuthenticateOidcConfig"]
    assert (oidc["Issuer"], oidc["OnUnauthenticatedRequest"], int(oidc["SessionTimeout"])) == (
        "https://idp.example.com", "authenticate", 3600
    )  # fmt: skip
    assert oidc["AuthenticationRequestExtraParams"] == {"prompt": "login", "redirect": "false"}
    (group,) = elb.describe_target_groups(Names=["svc-dev-api-20"])["TargetGroups"]
    assert actions[2]["TargetGroupArn"] == group["TargetGroupArn"]
    plan = project.fn("plan", "--json")
    assert client_secret not in plan.stdout and client_secret not in project.fn("plan").stdout
    assert_converged(moto, project, text)

    # An authorizer's settings change the rule in place; dropping the authorizers leaves the forward alone.
    changed = manifest(AUTHORIZED_ALB.format(listener=listener, authorizer="partners"),
                       provider=ALB_AUTHORIZERS.format(pool=USER_POOL, secret=client_secret, timeout=600))  # fmt: skip
    project.write("serverless.yml", changed)
    changes = {c["address"]: c["action"] for c in project.fn("plan", "--json").json["plan"]["changes"]}
    assert changes == {"trigger.api.alb.20": "update"}
    deploy(project, changed)
    (rule,) = [r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]]
    actions = sorted(rule["Actions"], key=lambda a: a["Order"])
    assert [a["Type"] for a in actions] == ["authenticate-oidc", "forward"]
    assert int(actions[0]["AuthenticateOidcConfig"]["SessionTimeout"]) == 600
    assert actions[0]["AuthenticateOidcConfig"]["ClientSecret"] == client_secret  # sent again with the change
    assert_converged(moto, project, changed)
    plain = AUTHORIZED_ALB.format(listener=listener, authorizer="x").replace("          authorizer: x\n", "")
    deploy(project, manifest(plain, provider=provider))
    (rule,) = [r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]]
    assert [a["Type"] for a in rule["Actions"]] == ["forward"]
    remove(project)


def test_alb_authorizers_that_elb_would_refuse_are_refused_before_any_call(moto, project):
    listener = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
    provider = "  alb:\n    authorizers:\n      broken:\n        type: oidc\n        clientId: x\n"
    text = manifest(AUTHORIZED_ALB.format(listener=listener, authorizer="[broken, missing]"), provider=provider)
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", text)
    moto.start_recording()
    result = project.fn("deploy", "--yes")
    assert moto.stop_recording() == []
    assert result.exit_code == 2
    assert "provider.alb.authorizers.broken: issuer is required for an oidc authorizer" in result.stderr
    assert "clientSecret is required for an oidc authorizer" in result.stderr
    assert "functions.api.events.0.alb.authorizer.1: 'missing' is not an authorizer of provider.alb.authorizers" in (
        result.stderr
    )
    assert result.stderr.count("issuer is required") == 1  # the definition is checked once, not per event


COGNITO = """\
      - cognitoUserPool:
          pool: {pool}
          trigger: PreSignUp
          {extra}
      - cognitoUserPool:
          pool: {pool}
          trigger: CustomMessage
          {extra}
"""


def pools(moto, name: str) -> list[dict]:
    idp = moto.client("cognito-idp")
    found = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == name]
    return [idp.describe_user_pool(UserPoolId=p["Id"])["UserPool"] for p in found]


def test_a_cognito_event_creates_and_owns_its_pool_with_the_alias_as_its_trigger(moto, project):
    text = manifest(COGNITO.format(pool="members", extra=""))
    deploy(project, text)
    (pool,) = pools(moto, "members")
    assert pool["LambdaConfig"] == {"PreSignUp": ALIAS, "CustomMessage": ALIAS}
    assert pool["UserPoolTags"] == {"fnship:service": "svc", "fnship:stage": "dev"}
    statement = statements(moto)["fnship-cognitoUserPool-members-presignup"]
    assert principal(statement) == "cognito-idp.amazonaws.com"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == pool["Arn"]
    assert_converged(moto, project, text)

    deploy(project, manifest("      - cognitoUserPool:\n          pool: members\n          trigger: PreSignUp\n"))
    (pool,) = pools(moto, "members")
    assert pool["LambdaConfig"] == {"PreSignUp": ALIAS}
    remove(project)
    assert pools(moto, "members") == []


KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/12345678-9abc-def0-1234-56789abcdef1"
SENDERS = """\
      - cognitoUserPool:
          pool: customers
          trigger: CustomEmailSender
          kmsKeyId: {key}
          existing: true
      - cognitoUserPool:
          pool: customers
          trigger: CustomSMSSender
          kmsKeyId: {key}
          existing: true
"""


def test_cognito_custom_senders_take_the_pools_kms_key(moto, project):
    idp = moto.client("cognito-idp")
    other = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:someone-else"
    pool_id = idp.create_user_pool(PoolName="customers", LambdaConfig={"PostConfirmation": other})["UserPool"]["Id"]
    text = manifest(SENDERS.format(key=KMS_KEY))
    deploy(project, text)
    config = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["LambdaConfig"]
    assert config == {
        "PostConfirmation": other,
        "CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": ALIAS},
        "CustomSMSSender": {"LambdaVersion": "V1_0", "LambdaArn": ALIAS},
        "KMSKeyID": KMS_KEY,
    }
    iam = moto.client("iam")
    role = iam.list_roles(PathPrefix="/fnship/svc/dev/")["Roles"][0]["RoleName"]
    policy = iam.get_role_policy(RoleName=role, PolicyName="fnship")["PolicyDocument"]
    decrypt = [s for s in policy["Statement"] if "kms:Decrypt" in ([s["Action"]] if isinstance(s["Action"], str)
                                                                  else s["Action"])]  # fmt: skip
    assert [s["Resource"] for s in decrypt] == [KMS_KEY]  # that key only
    assert principal(statements(moto)["fnship-cognitoUserPool-customers-customemailsender"]) == (
        "cognito-idp.amazonaws.com"
    )
    assert_converged(moto, project, text)

    other_key = KMS_KEY.replace("12345678", "87654321")
    deploy(project, manifest(SENDERS.format(key=other_key)))
    assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["LambdaConfig"]["KMSKeyID"] == other_key
    remove(project)
    assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["LambdaConfig"] == {"PostConfirmation": other}


def test_a_custom_sender_without_its_key_is_refused(moto, project):
    text = manifest(
        "      - cognitoUserPool:\n          pool: customers\n          trigger: CustomEmailSender\n"
        "      - cognitoUserPool:\n          pool: customers\n          trigger: PreSignUp\n"
        "          kmsKeyId: " + KMS_KEY + "\n"
        "      - cognitoUserPool:\n          pool: others\n          trigger: CustomSMSSender\n"
        "          kmsKeyId: " + KMS_KEY + "\n"
        "      - cognitoUserPool:\n          pool: others\n          trigger: CustomEmailSender\n"
        "          kmsKeyId: " + KMS_KEY.replace("12345678", "87654321") + "\n"
    )
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", text)
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "functions.api.events.0.cognitoUserPool: kmsKeyId is required with CustomEmailSender" in result.stderr
    assert "functions.api.events.1.cognitoUserPool.kmsKeyId: kmsKeyId is for the custom sender triggers" in (
        result.stderr
    )
    assert "functions.api.events.3.cognitoUserPool.kmsKeyId: user pool others has one KMS key" in result.stderr


def test_an_existing_pool_keeps_its_settings_and_other_triggers(moto, project):
    idp = moto.client("cognito-idp")
    other = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:someone-else"
    pool_id = idp.create_user_pool(
        PoolName="customers", MfaConfiguration="OFF", LambdaConfig={"PostConfirmation": other},
        Policies={"PasswordPolicy": {"MinimumLength": 12}},
    )["UserPool"]["Id"]  # fmt: skip
    text = manifest(COGNITO.format(pool="customers", extra="existing: true"))
    deploy(project, text)
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["LambdaConfig"] == {"PostConfirmation": other, "PreSignUp": ALIAS, "CustomMessage": ALIAS}
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert_converged(moto, project, text)
    remove(project)
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["LambdaConfig"] == {"PostConfirmation": other}  # the pool stays, with only what was not ours


FLEET = """\
      - iotFleetProvisioning:
          templateBody:
            Parameters: {{SerialNumber: {{Type: String}}}}
            Resources:
              thing: {{Type: AWS::IoT::Thing, Properties: {{ThingName: {{Ref: SerialNumber}}}}}}
          provisioningRoleArn: arn:aws:iam::123456789012:role/provisioning
          {extra}
"""


@pytest.fixture
def iot_double(moto, monkeypatch):
    """moto has no fleet provisioning templates: a double of that API answers as AWS IoT does."""
    from tests.integration.iot_template_double import IotTemplateDouble

    served = IotTemplateDouble(moto.endpoint).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", served.endpoint)
    yield served
    served.stop()


def test_an_iot_fleet_provisioning_template_hooks_the_alias(moto, iot_double, project):
    text = manifest(FLEET.format(extra=""))
    deploy(project, text)
    (template,) = iot_double.templates.values()
    assert template["templateName"] == "svc-dev-api" and template["enabled"] is True
    assert template["preProvisioningHook"] == {"targetArn": ALIAS, "payloadVersion": "2020-04-01"}
    assert json.loads(template["templateBody"])["Parameters"] == {"SerialNumber": {"Type": "String"}}
    statement = statements(moto)["fnship-iotFleetProvisioning-template"]
    assert principal(statement) == "iot.amazonaws.com"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == template["templateArn"]
    answered = len(iot_double.calls)
    assert_converged(moto, project, text)
    assert [m for m in iot_double.calls[answered:] if m != "GET"] == []

    deploy(project, manifest(FLEET.format(extra="enabled: false").replace("SerialNumber: {Type: String}",
                                                                           "Serial: {Type: String}")))  # fmt: skip
    (template,) = iot_double.templates.values()
    assert template["enabled"] is False and template["defaultVersionId"] == 2
    assert "Serial" in json.loads(template["templateBody"])["Parameters"]
    remove(project)
    assert iot_double.templates == {}
