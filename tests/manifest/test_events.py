"""Event definitions: each type's keys and limits, reported with file:line:col before any AWS call."""

from __future__ import annotations

import pytest

from fnship.triggers.sqs import SqsEvent

from .conftest import Env, with_function

QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"
FIFO = "arn:aws:sqs:us-east-1:123456789012:orders.fifo"
STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/todos/stream/2024-01-01T00:00:00.000"
KINESIS = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"

# Each case: the lines under `events:` (the first event is line 8), and the one expected diagnostic (None: valid).
CASES = [
    ("- schedule: rate(5 minutes)", None),
    ("- schedule: cron(0 12 * * ? *)", None),
    (
        "- schedule: rate(5 minute)",
        "8:19 functions.api.events.0.schedule: 'rate(5 minute)' is not a valid schedule expression: "
        "a rate above 1 takes the plural unit: rate(5 minutes)",
    ),
    (
        "- schedule:\n    rate: cron(0 12 * * * *)",
        "9:17 functions.api.events.0.schedule.rate: 'cron(0 12 * * * *)' is not a valid schedule expression: "
        "exactly one of day-of-month and day-of-week must be '?' (AWS cannot combine them)",
    ),
    (
        "- schedule:\n    rate: [rate(1 hour), cron(bad)]",
        "9:32 functions.api.events.0.schedule.rate.1: 'cron(bad)' is not a valid schedule expression: "
        "a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), this one has 1",
    ),
    (
        "- schedule:\n    rate: rate(1 hour)\n    enable: false",
        "10:11 functions.api.events.0.schedule.enable: unknown key 'enable' in functions.api.events.0.schedule; "
        "did you mean 'enabled'?",
    ),
    (f"- sqs: {QUEUE}", None),
    (f"- sqs:\n    arn: {QUEUE}\n    batchSize: 10000\n    maximumBatchingWindow: 1", None),
    (
        f"- sqs:\n    arn: {QUEUE}\n    batchSize: 10001\n    maximumBatchingWindow: 1",
        "10:22 functions.api.events.0.sqs.batchSize: 10001 is out of range for SQS: batchSize must be between "
        "1 and 10000",
    ),
    (
        f"- sqs:\n    arn: {FIFO}\n    maximumBatchingWindow: 5",
        "10:34 functions.api.events.0.sqs.maximumBatchingWindow: a FIFO queue takes no batching window "
        "(AWS refuses it)",
    ),
    (f"- sqs:\n    arn: {FIFO}\n    maximumBatchingWindow: 0", None),
    (
        f"- sqs:\n    arn: {FIFO}\n    batchSize: 11",
        "10:22 functions.api.events.0.sqs.batchSize: 11 is out of range for a FIFO SQS queue: batchSize must be "
        "between 1 and 10",
    ),
    (
        f"- sqs:\n    arn: {QUEUE}\n    batchSize: 50",
        "10:22 functions.api.events.0.sqs.batchSize: a batchSize of 50 (above 10) needs maximumBatchingWindow of "
        "at least 1 second",
    ),
    (
        f"- sqs:\n    arn: {QUEUE}\n    batchsize: 5",
        "10:11 functions.api.events.0.sqs.batchsize: unknown key 'batchsize' in functions.api.events.0.sqs; "
        "did you mean 'batchSize'?",
    ),
    (
        f"- sqs:\n    arn: {QUEUE}\n    maximumConcurrency: 1",
        "10:31 functions.api.events.0.sqs.maximumConcurrency: 1 is below the AWS minimum of 2",
    ),
    (
        "- sqs:\n    arn:\n      Fn::GetAtt: [Queue, Arn]",
        "9:11 functions.api.events.0.sqs.arn: CloudFormation Fn::GetAtt needs the service's companion stack, and "
        "this service has no `resources:`",
    ),
    (
        "- sqs: arn:aws:sns:us-east-1:123456789012:topic",
        "8:14 functions.api.events.0.sqs: 'arn:aws:sns:us-east-1:123456789012:topic' is not an SQS queue ARN "
        "(arn:aws:sqs:<region>:<account>:...)",
    ),
    (f"- stream:\n    arn: {STREAM}\n    batchSize: 10000", None),
    (
        f"- stream:\n    arn: {STREAM}\n    batchSize: 20000",
        "10:22 functions.api.events.0.stream.batchSize: 20000 is out of range for a DynamoDB stream: batchSize "
        "must be between 1 and 10000",
    ),
    (
        f"- stream:\n    arn: {STREAM}\n    startingPosition: AT_TIMESTAMP",
        "10:29 functions.api.events.0.stream.startingPosition: 'AT_TIMESTAMP' is not a starting position for a "
        "DynamoDB stream; allowed: LATEST, TRIM_HORIZON",
    ),
    (f"- stream:\n    arn: {KINESIS}\n    startingPosition: AT_TIMESTAMP\n    startingPositionTimestamp: 1", None),
    (
        f"- stream:\n    arn: {KINESIS}\n    parallelizationFactor: 11",
        "10:34 functions.api.events.0.stream.parallelizationFactor: 11 is above the AWS maximum of 10",
    ),
    (
        "- stream: arn:aws:dynamodb:us-east-1:123456789012:table/todos",
        "8:17 functions.api.events.0.stream: 'arn:aws:dynamodb:us-east-1:123456789012:table/todos' is a table ARN; "
        "give its stream's ARN (…:table/NAME/stream/LABEL)",
    ),
    ("- httpApi: GET /todos/{id}", None),
    ("- httpApi: '*'", None),
    (
        "- httpApi: FETCH /todos",
        "8:18 functions.api.events.0.httpApi: 'FETCH' is not an HTTP method; allowed: GET, POST, PUT, PATCH, "
        "DELETE, HEAD, OPTIONS, ANY or '*'",
    ),
    (
        "- httpApi:\n    method: GET\n    path: todos",
        "10:17 functions.api.events.0.httpApi.path: 'todos' must start with '/'",
    ),
    (
        "- httpApi:\n    method: GET\n    path: /me\n    authorizer: users",
        "11:23 functions.api.events.0.httpApi.authorizer: authorizer 'users' is not defined in "
        "provider.httpApi.authorizers (defined: (none))",
    ),
    ("- http: GET items/{id}", None),
    ("- http:\n    method: get\n    path: /a\n    integration: lambda", None),
    (
        "- http:\n    method: get\n    path: /a\n    integration: http",
        "11:24 functions.api.events.0.http.integration: 'http' is not supported: fnship integrates the function itself",
    ),
    (
        "- http:\n    method: get\n    path: /a\n    authorizer: nope",
        "11:23 functions.api.events.0.http.authorizer: authorizer 'nope' is not a function of this service "
        "(functions: api)",
    ),
    (
        "- http:\n    method: get\n    path: /a\n    authorizer:\n      name: api\n      type: request\n"
        "      identityValidationExpression: x",
        "14:43 functions.api.events.0.http.authorizer.identityValidationExpression: API Gateway applies "
        "identityValidationExpression to TOKEN authorizers only",
    ),
    (
        "- http:\n    method: get\n    path: /a\n    authorizer:\n"
        "      arn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc\n      claims: [email]",
        "13:13 functions.api.events.0.http.authorizer.claims: Cognito claims can only be filtered when using the "
        "lambda integration type",
    ),
    (
        "- http:\n    method: get\n    path: /a\n    authorizer:\n      name: api\n      resultTtlInSeconds: 3601",
        "13:33 functions.api.events.0.http.authorizer.resultTtlInSeconds: 3601 is above the AWS maximum of 3600 "
        "seconds",
    ),
    (
        "- http:\n    method: get\n    path: /a\n    response:\n      template: x",
        "12:13 functions.api.events.0.http.response.template: response.template applies to `integration: lambda` only",
    ),
    (
        "- http:\n    method: get\n    path: /a/{id}\n    request:\n      parameters:\n        paths:\n"
        "          other: true",
        "13:15 functions.api.events.0.http.request.parameters.paths: path parameter other is not in the path /a/{id}",
    ),
    (
        "- http:\n    method: get\n    path: /a\n    integration: lambda\n    response:\n      statusCodes:\n"
        "        20: {pattern: ''}",
        "14:15 functions.api.events.0.http.response.statusCodes.20: '20' is not an HTTP status code",
    ),
    (
        "- http:\n    method: post\n    path: /a\n    request:\n      schemas:\n        application/json: nope",
        "13:33 functions.api.events.0.http.request.schemas.application/json: schema 'nope' is not defined in "
        "provider.apiGateway.request.schemas (defined: (none))",
    ),
    ("- sns: alerts", None),
    (
        "- sns:\n    topicName: alerts\n    filterPolicyScope: Body",
        "10:30 functions.api.events.0.sns.filterPolicyScope: 'Body' is not a filter policy scope; allowed: "
        "MessageAttributes, MessageBody",
    ),
    ("- s3:\n    bucket: my-bucket\n    event: s3:ObjectRemoved:*\n    rules:\n      - suffix: .csv", None),
    (
        "- s3:\n    bucket: my-bucket\n    event: s3:ObjectMade:*",
        "10:18 functions.api.events.0.s3.event: 's3:ObjectMade:*' is not an S3 event type; allowed: "
        + ", ".join(__import__("fnship.triggers.s3", fromlist=["S3_EVENTS"]).S3_EVENTS),
    ),
    (
        "- s3: My_Bucket",
        "8:13 functions.api.events.0.s3: 'My_Bucket' is not an S3 bucket name (3-63 lowercase letters, digits, . "
        "and -)",
    ),
    ("- eventBridge:\n    pattern:\n      source: [my.app]\n    eventBus: orders", None),
    (
        "- eventBridge:\n    eventBus: orders",
        "8:9 functions.api.events.0.eventBridge: pattern (or schedule) is required",
    ),
    ("- websocket: $connect", None),
    (
        "- cloudFront:\n    eventType: viewer-request",
        "8:9 functions.api.events.0.cloudFront: event type 'cloudFront' is not supported by fnship",
    ),
    ("- sqqs: x", "8:9 functions.api.events.0.sqqs: unknown event type 'sqqs'; did you mean 'sqs'?"),
    (
        f"- sqs: {QUEUE}\n- sqs:\n    arn: {QUEUE}",
        f"9:9 functions.api.events.1: {QUEUE} is already mapped to this function by event 0",
    ),
]


@pytest.mark.parametrize(("events", "expected"), CASES, ids=[c[0].split("\n")[0][:40] for c in CASES])
def test_events(env: Env, events: str, expected: str | None):
    text = with_function("events:\n" + "\n".join("  " + line for line in events.split("\n")))
    if expected is None:
        manifest = env.load(text)
        assert manifest.functions["api"].events
    else:
        assert env.problem(text) == f"serverless.yml:{expected}"


FUNCTION_SETTINGS = [
    ("url: true", None),
    ("url:\n  authorizer: aws_iam\n  invokeMode: RESPONSE_STREAM", None),
    (
        "url:\n  authorizer: cognito",
        "8:19 functions.api.url.authorizer: 'cognito' is not a function URL authorizer; allowed: aws_iam",
    ),
    ("vpc:\n  subnetIds: [subnet-1]\n  securityGroupIds: [sg-1]", None),
    (
        "vpc:\n  subnetIds: [subnet-1]",
        "7:5 functions.api.vpc: a VPC needs at least one subnetIds and one securityGroupIds entry",
    ),
    ("tracing: Active", None),
    (
        "tracing: On",
        "7:14 functions.api.tracing: 'On' is not a tracing mode (or true/false); allowed: Active, PassThrough",
    ),
    ("onError: arn:aws:sqs:us-east-1:123456789012:dlq", None),
    (
        "onError: arn:aws:lambda:us-east-1:123456789012:function:x",
        "7:14 functions.api.onError: 'arn:aws:lambda:us-east-1:123456789012:function:x' is not an SNS topic or SQS "
        "queue ARN (arn:aws:sns:<region>:<account>:...)",
    ),
    ("destinations:\n  onFailure: arn:aws:sns:us-east-1:123456789012:t\n  onSuccess: api", None),
    (
        "destinations:\n  onSuccess: nothing",
        "8:18 functions.api.destinations.onSuccess: 'nothing' is neither an ARN nor a function of this service",
    ),
    ("maximumRetryAttempts: 3", "7:27 functions.api.maximumRetryAttempts: 3 is above the AWS maximum of 2"),
    ("maximumEventAge: 59", "7:22 functions.api.maximumEventAge: 59 is below the AWS minimum of 60 seconds"),
    ("kmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/abc", None),
]


@pytest.mark.parametrize(("body", "expected"), FUNCTION_SETTINGS, ids=[c[0].split("\n")[0] for c in FUNCTION_SETTINGS])
def test_function_settings(env: Env, body: str, expected: str | None):
    text = with_function(body)
    if expected is None:
        env.load(text)
    else:
        assert env.problem(text) == f"serverless.yml:{expected}"


def test_a_route_belongs_to_one_function(env: Env):
    text = """\
    service: svc
    provider:
      name: aws
    functions:
      one:
        handler: app.one
        events:
          - httpApi: GET /todos
      two:
        handler: app.two
        events:
          - httpApi:
              method: GET
              path: /todos
    """
    assert env.problem(text) == (
        "serverless.yml:12:9 functions.two.events.0: httpApi route GET /todos is already served by function one"
    )


def test_jwt_authorizers_are_checked(env: Env):
    text = with_function(
        "events:\n  - httpApi:\n      method: GET\n      path: /me\n      authorizer: users",
        provider="httpApi:\n  authorizers:\n    users:\n      issuerUrl: http://issuer\n      audience: app",
    )
    assert env.problem(text) == "serverless.yml:7:20 provider.httpApi.authorizers.users.issuerUrl: 'http://issuer' " \
        "must be an https:// URL"  # fmt: skip


def test_settings_are_normalized_with_aws_defaults(env: Env):
    manifest = env.load(with_function(f"events:\n  - sqs: {QUEUE}\n  - stream: {KINESIS}\n  - httpApi: get /a/{{id}}"))
    sqs, stream, route = manifest.functions["api"].events
    assert sqs.settings == SqsEvent(
        arn=QUEUE,
        batch_size=10,
        maximum_batching_window=0,
        function_response_types=(),
        maximum_concurrency=None,
        enabled=True,
        filter_patterns=(),
    )
    assert (stream.settings.source, stream.settings.batch_size, stream.settings.starting_position) == (
        "kinesis",
        100,
        "TRIM_HORIZON",
    )
    assert route.settings.route_key == "GET /a/{id}"


def test_the_cli_exits_2_with_file_and_line(project):
    project.write(
        "serverless.yml",
        """\
        service: svc
        provider:
          name: aws
        functions:
          api:
            handler: handler.hello
            events:
              - schedule: rate(0 minutes)
              - sqs:
                  arn: arn:aws:sqs:us-east-1:123456789012:q
                  batchSize: 0
        """,
    )
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "serverless.yml:8:19 functions.api.events.0.schedule: 'rate(0 minutes)' is not a valid schedule" in (
        result.stderr
    )
    assert "serverless.yml:11:22 functions.api.events.1.sqs.batchSize: 0 is out of range for SQS" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_secret_in_an_event_is_reported_where_it_is_written_not_sent_in_plain_text(env: Env):
    """EventBridge inputs and patterns, SNS filter policies and mapping filters are stored and shown in plain
    text by AWS: a SecureString there is bad input, reported at its key like any other non-environment key."""
    from fnship.manifest.types import Lookups

    lookups = Lookups(ssm=lambda name, **where: ("hunter2", True), account_id=lambda **where: "1")
    text = with_function(
        f"""\
        events:
          - schedule:
              rate: rate(1 hour)
              input:
                token: ${{ssm:/t}}
          - eventBridge:
              pattern:
                detail:
                  token: ["${{ssm:/t}}"]
          - sns:
              topicName: alerts
              filterPolicy:
                token: ["${{ssm:/t}}"]
          - sqs:
              arn: {QUEUE}
              filterPatterns:
                - body: {{token: ["${{ssm:/t}}"]}}
        """
    )
    problems = env.problems(text, lookups=lookups)
    assert problems == [
        "serverless.yml:11:20 functions.api.events.0.schedule.input.token: a secret (SecureString) cannot be used here",
        "serverless.yml:15:23 functions.api.events.1.eventBridge.pattern.detail.token.0: "
        "a secret (SecureString) cannot be used here",
        "serverless.yml:19:21 functions.api.events.2.sns.filterPolicy.token.0: a secret (SecureString) cannot be used "
        "here",
        "serverless.yml:23:30 functions.api.events.3.sqs.filterPatterns.0.body.token.0: "
        "a secret (SecureString) cannot be used here",
    ]
    assert not any("hunter2" in problem for problem in problems)


@pytest.mark.parametrize(
    ("provider", "function", "expected"),
    [
        ("", "", ("2.0", "2.0")),  # Serverless v3's default
        ("httpApi:\n  payload: '1.0'", "", ("1.0", "1.0")),
        ("httpApi:\n  payload: 1.0", "", ("1.0", "1.0")),  # unquoted: YAML reads a float
        ("httpApi:\n  payload: '1.0'", "httpApi:\n  payload: '2.0'", ("2.0", "1.0")),  # the function's wins
        ("", "httpApi:\n  payload: '1.0'", ("1.0", "2.0")),
    ],
)
def test_the_http_api_payload_format_comes_from_the_function_then_the_provider(env: Env, provider, function, expected):
    text = with_function(f"{function}\nevents:\n  - httpApi: GET /a\n", provider=provider)
    text += "  other:\n    handler: app.other\n    events:\n      - httpApi: '*'\n"
    manifest = env.load(text)
    formats = tuple(manifest.functions[key].events[0].settings.payload_format for key in ("api", "other"))
    assert formats == expected


@pytest.mark.parametrize(
    ("provider", "function", "expected"),
    [
        (
            "httpApi:\n  payload: '3.0'",
            "",
            "5:14 provider.httpApi.payload: '3.0' is not an HTTP API payload format",
        ),
        ("httpApi:\n  payload: 2", "", "5:14 provider.httpApi.payload: 2 is not an HTTP API payload format"),
        (
            "",
            "httpApi:\n  payload: '1'",
            "8:16 functions.api.httpApi.payload: '1' is not an HTTP API payload format",
        ),
        ("", "httpApi:\n  format: '1.0'", "8:7 functions.api.httpApi.format: unknown key 'format'"),
    ],
)
def test_a_wrong_http_api_payload_format_is_named(env: Env, provider, function, expected):
    text = with_function(f"{function}\nevents:\n  - httpApi: GET /a\n", provider=provider)
    assert env.problem(text).startswith(f"serverless.yml:{expected}")


def test_sibling_rest_path_variables_with_different_names_are_refused_naming_both(env: Env):
    text = """\
    service: svc
    provider:
      name: aws
    functions:
      one:
        handler: app.one
        events:
          - http: GET /books/{id}
      two:
        handler: app.two
        events:
          - http: GET /books/{authorId}/x
          - http: GET /books/{id}/y
    """
    assert env.problem(text) == (
        "serverless.yml:12:9 functions.two.events.0: REST path /books/{authorId}/x has the path variable "
        "{authorId} where /books/{id} (functions.one.events.0) has {id}: API Gateway allows one variable name per "
        "level"
    )


def test_cors_true_allows_exactly_the_headers_serverless_v3_allows(env: Env):
    manifest = env.load(
        with_function(
            "events:\n  - http:\n      method: GET\n      path: /a\n      cors: true\n  - httpApi: GET /b",
            provider="httpApi:\n  cors: true",
        )  # fmt: skip
    )
    expected = ("Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key", "X-Amz-Security-Token",
                "X-Amz-User-Agent", "X-Amzn-Trace-Id")  # fmt: skip
    assert manifest.functions["api"].events[0].settings.cors.headers == expected
    assert manifest.provider.http_api.cors.allow_headers == expected


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        (
            "apiGateway:\n  apiKeys:\n    - name: k\n      value: short",
            "7:16 provider.apiGateway.apiKeys.0.value: an API key value has at least 20 characters",
        ),
        (
            "apiGateway:\n  usagePlan:\n    - free: {}\n    - paid: {}\n  apiKeys: [k]",
            "8:15 provider.apiGateway.apiKeys.0: with several usage plans, each API key is listed under its plan's "
            "name",
        ),
        (
            "apiGateway:\n  usagePlan:\n    quota: {limit: 10, period: YEAR}",
            "6:34 provider.apiGateway.usagePlan.quota.period: 'YEAR' is not a quota period; allowed: DAY, WEEK, MONTH",
        ),
        (
            "apiGateway:\n  minimumCompressionSize: 10485761",
            "5:29 provider.apiGateway.minimumCompressionSize: 10485761 is above the AWS maximum of 10485760 bytes",
        ),
        (
            "httpApi:\n  authorizers:\n    a:\n      type: request\n      functionName: nope",
            "8:23 provider.httpApi.authorizers.a.functionName: 'nope' is not a function of this service",
        ),
        (
            "httpApi:\n  authorizers:\n    a:\n      type: request\n      functionName: api\n"
            "      resultTtlInSeconds: 60",
            "9:29 provider.httpApi.authorizers.a.resultTtlInSeconds: a request authorizer that caches needs "
            '"identitySource": it is the cache key',
        ),
        (
            "apiGateway:\n  request:\n    schemas:\n      bad-name:\n        schema: {type: object}",
            "7:9 provider.apiGateway.request.schemas.bad-name: 'bad-name' is not a model name: API Gateway allows "
            "letters and digits only",
        ),
        (
            "httpApi:\n  id: abc\n  cors: true",
            "6:11 provider.httpApi.cors: cannot set up cors for an externally configured HTTP API "
            "(provider.httpApi.id)",
        ),
    ],
)
def test_provider_api_gateway_and_http_api_settings_are_checked(env: Env, provider: str, expected: str):
    assert env.problem(with_function("", provider=provider)) == f"serverless.yml:{expected}"
