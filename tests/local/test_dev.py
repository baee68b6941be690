"""`fn dev` end to end: a real `fn dev` process, a real HTTP client. Routes and their precedence, payload formats
1.0 and 2.0, response mapping, CORS, JWT authorizers, warm workers, hot reload, bad input, Ctrl-C."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.local.dev_harness import DevProcess, http, pid_alive

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"

SERVICE = f"""\
service: devsvc
provider:
  name: aws
  runtime: {RUNTIME}
  httpApi:
    cors:
      allowedOrigins: [http://page.test]
      allowedHeaders: [Content-Type, Authorization]
      exposedResponseHeaders: [X-Count]
      maxAge: 60
    authorizers:
      tokens:
        identitySource: $request.header.Authorization
        issuerUrl: https://issuer.fnship.invalid
        audience: [dev-api]
functions:
  echo:
    handler: handler.echo
    events:
      - httpApi: GET /items/{{id}}
      - httpApi: ANY /items/special
      - httpApi: GET /files/{{proxy+}}
      - httpApi: '*'
      - httpApi:
          method: GET
          path: /secure
          authorizer:
            name: tokens
            scopes: [read]
      - http: POST /rest/{{id}}
      - http:
          method: GET
          path: /rest/open/{{id}}
          cors: true
    url:
      cors:
        allowedOrigins: ['*']
  shapes:
    handler: shapes.answer
    timeout: 60
    events:
      - httpApi: GET /shape/{{kind}}
      - http: GET /shape/{{kind}}
  legacy:
    handler: handler.echo
    httpApi:
      payload: '1.0'
    events:
      - httpApi: GET /legacy/{{id}}
  legacyshapes:
    handler: shapes.answer
    timeout: 60
    httpApi:
      payload: '1.0'
    events:
      - httpApi: GET /v1shape/{{kind}}
  sleeper:
    handler: shapes.forever
    timeout: 1
    events:
      - httpApi: GET /sleep
"""

HANDLER = """\
import os

calls = 0


def echo(event, context):
    global calls
    calls += 1
    print("echo", event.get("rawPath") or event.get("path"))
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-count": str(calls)},
        "body": __import__("json").dumps({"event": event, "calls": calls, "pid": os.getpid()}),
    }
"""

SHAPES = """\
import base64, time


def answer(event, context):
    kind = (event.get("pathParameters") or {})["kind"]
    if kind == "bare":
        return {"hello": "world"}
    if kind == "string":
        return "just text"
    if kind == "cookies":
        return {"statusCode": 201, "cookies": ["a=1; Path=/", "b=2"], "body": "ok"}
    if kind == "binary":
        return {"statusCode": 200, "headers": {"content-type": "image/png"},
                "body": base64.b64encode(b"\\x89PNG\\x00\\x01").decode(), "isBase64Encoded": True}
    if kind == "multi":
        return {"statusCode": 200, "multiValueHeaders": {"x-many": ["1", "2"]}, "body": "multi"}
    if kind == "raise":
        raise ValueError("boom")
    return {"statusCode": 404, "body": "unknown " + kind}


def forever(event, context):
    time.sleep(3600)
"""


def write_service(root: Path) -> None:
    (root / "serverless.yml").write_text(SERVICE)
    (root / "handler.py").write_text(HANDLER)
    (root / "shapes.py").write_text(SHAPES)


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    root = tmp_path_factory.mktemp("devsvc")
    write_service(root)
    process = DevProcess(root, state=tmp_path_factory.mktemp("state"))
    try:
        yield process.ready()
    finally:
        process.close()


def event_of(reply) -> dict:
    assert reply.status == 200, (reply.status, reply.body)
    return reply.json["event"]


def test_route_table_printed_at_start(dev):
    output = dev.output()
    for row in ("GET   " + dev.base + "/items/{id}", dev.base + "/dev/rest/{id}", dev.base + "/__url/echo/*"):
        assert row in output


def test_http_api_payload_2_with_path_and_query_parameters(dev):
    reply = dev.get("/items/42?color=red&color=blue&size=", headers={"Cookie": "s=1; t=2", "X-Thing": "a"})
    event = event_of(reply)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/42"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"color": "red,blue", "size": ""}
    assert event["rawQueryString"] == "color=red&color=blue&size="
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["headers"]["x-thing"] == "a" and "cookie" not in event["headers"]
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["stage"] == "$default"


def test_precedence_literal_then_parameter_then_greedy_then_default(dev):
    assert event_of(dev.request("DELETE", "/items/special"))["routeKey"] == "ANY /items/special"
    assert event_of(dev.get("/items/special"))["routeKey"] == "ANY /items/special"
    files = event_of(dev.get("/files/a/b/c.txt"))
    assert files["routeKey"] == "GET /files/{proxy+}" and files["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert event_of(dev.request("POST", "/files/a"))["routeKey"] == "$default"
    assert event_of(dev.get("/nowhere/at/all"))["routeKey"] == "$default"


def test_rest_route_payload_1_under_the_stage(dev):
    reply = dev.request(
        "POST", "/dev/rest/7?tag=a&tag=b", body=b'{"n": 1}', headers={"Content-Type": "application/json"}
    )
    event = event_of(reply)
    assert event["httpMethod"] == "POST"
    assert event["resource"] == "/rest/{id}"
    assert event["path"] == "/rest/7"
    assert event["pathParameters"] == {"id": "7"}
    assert event["queryStringParameters"] == {"tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert event["requestContext"]["stage"] == "dev"
    assert event["requestContext"]["path"] == "/dev/rest/7"
    assert event["body"] == '{"n": 1}' and event["isBase64Encoded"] is False
    # A method or path the REST API does not have: API Gateway's answer.
    missing = dev.get("/dev/rest/7")
    assert missing.status == 403 and missing.json == {"message": "Missing Authentication Token"}


def test_http_api_payload_1_where_the_function_asks_for_it(dev):
    """`httpApi: {payload: '1.0'}` on a function: its routes get the HTTP API's 1.0 event, and its answers are read
    as 1.0 (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html);
    the other functions' routes stay 2.0."""
    reply = dev.get("/legacy/9?tag=a&tag=b", headers={"X-Thing": "a", "Cookie": "s=1"})
    event = event_of(reply)
    assert event["version"] == "1.0" and event["resource"] == "/legacy/{id}" and event["path"] == "/legacy/9"
    assert event["httpMethod"] == "GET" and event["pathParameters"] == {"id": "9"}
    assert event["queryStringParameters"] == {"tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["headers"]["x-thing"] == "a" and event["headers"]["cookie"] == "s=1"
    assert event["multiValueHeaders"]["x-thing"] == ["a"]
    context = event["requestContext"]
    assert context["stage"] == "$default" and context["path"] == "/legacy/9" and context["resourceId"] is None
    assert context["resourcePath"] == "/legacy/{id}" and context["authorizer"] == {"claims": None, "scopes": None}
    assert event_of(dev.get("/items/1"))["version"] == "2.0"
    # Answers read as 1.0: statusCode required (an HTTP API answers 500 without), multiValueHeaders, base64 bodies,
    # and no 2.0 `cookies` (1.0 sets cookies with headers).
    bare = dev.get("/v1shape/bare")
    assert bare.status == 500 and bare.json == {"message": "Internal Server Error"}
    multi = dev.get("/v1shape/multi")
    assert multi.status == 200 and multi.text == "multi"
    binary = dev.get("/v1shape/binary")
    assert binary.body == b"\x89PNG\x00\x01" and binary.headers["content-type"] == "image/png"
    cookies = dev.get("/v1shape/cookies")
    assert cookies.status == 201 and cookies.set_cookies == []


def test_function_url_payload_2(dev):
    event = event_of(
        dev.request(
            "PUT", "/__url/echo/some/path?q=1", body=b"\x00\x01", headers={"Content-Type": "application/octet-stream"}
        )
    )
    assert event["rawPath"] == "/some/path" and event["routeKey"] == "$default"
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\x01"
    assert event["queryStringParameters"] == {"q": "1"}


def test_response_shapes_mapped_as_api_gateway_does(dev):
    bare = dev.get("/shape/bare")
    assert bare.status == 200 and bare.json == {"hello": "world"}
    assert bare.headers["content-type"] == "application/json"
    assert dev.get("/shape/string").text == "just text"
    cookies = dev.get("/shape/cookies")
    assert cookies.status == 201 and cookies.set_cookies == ["a=1; Path=/", "b=2"]
    binary = dev.get("/shape/binary")
    assert binary.body == b"\x89PNG\x00\x01" and binary.headers["content-type"] == "image/png"
    multi = http("GET", dev.base + "/dev/shape/multi")
    assert multi.status == 200 and multi.text == "multi"
    # Payload 1.0 needs a statusCode: a bare value is a malformed answer, 502 as API Gateway.
    assert http("GET", dev.base + "/dev/shape/bare").status == 502
    failed = dev.get("/shape/raise")
    assert failed.status == 502 and failed.json == {"message": "Internal Server Error"}
    # The function's timeout: a handler that never returns is killed at it (never a race with the machine's load:
    # the mapped shapes above run with a timeout they cannot reach, this one cannot finish in any).
    assert dev.get("/sleep").status == 502
    # fn dev prints the line before it answers, but the client can read the answer before this test's reader
    # thread reads fn dev's output: wait for the line (the timeout is only an upper bound).
    dev.wait_for("Task timed out after 1.00 seconds")


def test_warm_worker_keeps_module_state_and_logs_one_line_per_request(dev):
    first = dev.get("/items/warm-1").json
    second = dev.get("/items/warm-2").json
    assert second["pid"] == first["pid"]
    assert second["calls"] == first["calls"] + 1
    dev.wait_for("GET /items/warm-2 -> echo 200")
    assert "echo /items/warm-2" in dev.output()


def test_cors_preflight_and_headers(dev):
    preflight = dev.request(
        "OPTIONS",
        "/items/1",
        headers={"Origin": "http://page.test", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "http://page.test"
    assert preflight.headers["access-control-max-age"] == "60"
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    answer = dev.get("/items/1", headers={"Origin": "http://page.test"})
    assert answer.headers["access-control-allow-origin"] == "http://page.test"
    assert answer.headers["access-control-expose-headers"] == "X-Count"
    stranger = dev.get("/items/1", headers={"Origin": "http://evil.test"})
    assert "access-control-allow-origin" not in stranger.headers
    rest = dev.request(
        "OPTIONS", "/dev/rest/open/3", headers={"Origin": "http://x.test", "Access-Control-Request-Method": "GET"}
    )
    assert rest.status == 200 and rest.headers["access-control-allow-origin"] == "*"
    assert rest.headers["access-control-allow-methods"] == "GET,OPTIONS"


def _token(**claims) -> str:
    import jwt

    now = int(time.time())
    body = {"iss": "https://issuer.fnship.invalid", "aud": "dev-api", "exp": now + 600, "iat": now, **claims}
    return jwt.encode(body, "not-checked-offline-" + "k" * 32, algorithm="HS256")


def test_jwt_authorizer_401_403_and_claims(dev):
    assert dev.get("/secure").status == 401
    assert dev.get("/secure", headers={"Authorization": "Bearer not-a-jwt"}).status == 401
    expired = _token(scope="read", exp=int(time.time()) - 10)
    assert dev.get("/secure", headers={"Authorization": f"Bearer {expired}"}).status == 401
    assert dev.get("/secure", headers={"Authorization": _token(scope="read", aud="other")}).status == 401
    assert dev.get("/secure", headers={"Authorization": _token(scope="read", iss="https://x.invalid")}).status == 401
    forbidden = dev.get("/secure", headers={"Authorization": _token(scope="write")})
    assert forbidden.status == 403 and forbidden.json == {"message": "Forbidden"}
    allowed = dev.get("/secure", headers={"Authorization": "Bearer " + _token(scope="read write", sub="u1")})
    jwt_context = event_of(allowed)["requestContext"]["authorizer"]["jwt"]
    assert jwt_context["claims"]["sub"] == "u1" and jwt_context["scopes"] == ["read", "write"]
    dev.wait_for("JWT signatures are not checked")


def test_body_over_the_api_gateway_limit_is_413_and_the_server_goes_on(dev):
    big = b"x" * (10 * 1024 * 1024 + 1)
    assert dev.request("POST", "/items/special", body=big).status == 413
    assert dev.get("/items/after-413").status == 200


# -- a server of each test's own: these change files or stop it -------------------------------------------------
@pytest.fixture
def own_dev(tmp_path, tmp_path_factory):
    processes: list[DevProcess] = []

    def start(*args: str) -> DevProcess:
        process = DevProcess(tmp_path, *args, state=tmp_path_factory.mktemp("state"))
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.close()


def test_hot_reload_saved_code_answers_on_the_next_request_from_a_cold_start(tmp_path, own_dev):
    write_service(tmp_path)
    dev = own_dev().ready()
    before = dev.get("/items/1").json
    (tmp_path / "handler.py").write_text(HANDLER.replace('"calls": calls', '"calls": calls, "edited": True'))
    after = dev.get("/items/1").json
    assert after.get("edited") is True
    assert after["pid"] != before["pid"] and after["calls"] == 1
    # A file outside the package (excluded) does not restart the worker.
    config = (tmp_path / "serverless.yml").read_text()
    (tmp_path / "serverless.yml").write_text(
        config.replace("service: devsvc", "service: devsvc\npackage:\n  patterns: ['!notes.txt']")
    )
    dev.get("/items/2")
    (tmp_path / "notes.txt").write_text("scribbles")
    assert dev.get("/items/3").json["pid"] == dev.get("/items/4").json["pid"]
    # A saved serverless.yml is re-read: a new route is served and said.
    text = (tmp_path / "serverless.yml").read_text()
    (tmp_path / "serverless.yml").write_text(
        text.replace("- httpApi: GET /items/{id}", "- httpApi: GET /items/{id}\n      - httpApi: GET /added")
    )
    assert event_of(dev.get("/added"))["routeKey"] == "GET /added"
    dev.wait_for("+ route GET /added -> echo")


def test_handler_that_does_not_import_is_502_with_the_traceback_once_and_fn_dev_goes_on(tmp_path, own_dev):
    write_service(tmp_path)
    (tmp_path / "handler.py").write_text("import json\n\ndef echo(event, context:\n    return 1\n")
    dev = own_dev().ready()
    for _ in range(2):
        reply = dev.get("/items/1")
        assert reply.status == 502 and reply.json == {"message": "Internal Server Error"}
    dev.wait_for("GET /items/1 -> echo 502")
    output = dev.output()
    assert output.count("Runtime.ImportModuleError") == 1
    assert output.count("SyntaxError") == 1
    (tmp_path / "handler.py").write_text(HANDLER)
    assert dev.get("/items/1").status == 200


def test_port_in_use_is_named_with_how_to_pick_another(tmp_path, own_dev):
    write_service(tmp_path)
    first = own_dev().ready()
    result = subprocess.run(
        [sys.executable, "-m", "fnship", "dev", "--port", str(first.port)],
        cwd=tmp_path,
        env=first.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"port {first.port} on 127.0.0.1 is already in use" in result.stderr
    assert f"fn dev --port {first.port + 1}" in result.stderr
    assert "Traceback" not in result.stderr
    assert first.get("/items/1").status == 200


def test_ctrl_c_leaves_no_process_behind(tmp_path, own_dev):
    write_service(tmp_path)
    dev = own_dev().ready()
    first = dev.get("/items/1").json["pid"]
    (tmp_path / "handler.py").write_text(HANDLER + "\n# saved\n")
    second = dev.get("/items/2").json["pid"]
    emulator_pid = int(next(dev.state.glob("emulator-*.pid")).read_text())
    assert pid_alive(second) and pid_alive(emulator_pid)
    pids = {first, second}
    assert dev.interrupt() == 130
    assert not any(pid_alive(pid) for pid in [*pids, emulator_pid, dev.process.pid])
    assert "Traceback" not in dev.output()


EVENTS_SERVICE = f"""\
service: evsvc
provider:
  name: aws
  runtime: {RUNTIME}
functions:
  worker:
    handler: worker.work
    events:
      - sqs:
          arn: arn:aws:sqs:us-east-1:123456789012:evsvc-jobs
          batchSize: 5
      - s3: evsvc-uploads
      - sns:
          topicName: evsvc-news
          filterPolicy:
            kind: [good]
      - schedule: rate(1 day)
"""

WORKER = """\
def work(event, context):
    for record in event.get("Records") or [event]:
        source = record.get("eventSource") or record.get("EventSource") or record.get("source")
        detail = record.get("body") or record.get("s3", {}).get("object", {}).get("key") or \\
            record.get("Sns", {}).get("Message") or record.get("detail-type")
        print("VERSION-1", source, detail)
    return {}
"""


def test_events_reach_the_handler_running_in_fn_dev(tmp_path, own_dev):
    import signal

    import boto3

    (tmp_path / "serverless.yml").write_text(EVENTS_SERVICE)
    (tmp_path / "worker.py").write_text(WORKER)
    dev = own_dev().ready()
    assert "emulator: deployed" in dev.output()
    kw = {"endpoint_url": dev.emulator, "region_name": "us-east-1", "aws_access_key_id": "testing",
          "aws_secret_access_key": "testing"}  # fmt: skip
    sqs, s3, sns = (boto3.client(name, **kw) for name in ("sqs", "s3", "sns"))
    queue = sqs.get_queue_url(QueueName="evsvc-jobs")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="job-1")
    dev.wait_for("VERSION-1 aws:sqs job-1")
    s3.put_object(Bucket="evsvc-uploads", Key="photo.jpg", Body=b"x")
    dev.wait_for("VERSION-1 aws:s3 photo.jpg")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":evsvc-news"))
    for kind in ("bad", "good"):
        attributes = {"kind": {"DataType": "String", "StringValue": kind}}
        sns.publish(TopicArn=topic, Message=f"{kind}-news", MessageAttributes=attributes)
    dev.wait_for("VERSION-1 aws:sns good-news")
    dev.process.send_signal(signal.SIGUSR1)
    dev.wait_for("VERSION-1 aws.events Scheduled Event")
    # Saved code answers the next event, without restarting fn dev.
    (tmp_path / "worker.py").write_text(WORKER.replace("VERSION-1", "VERSION-2"))
    sqs.send_message(QueueUrl=queue, MessageBody="job-2")
    dev.wait_for("VERSION-2 aws:sqs job-2")
    assert "bad-news" not in dev.output()  # the filter policy held it back
    # The handler's logs are in the emulator's CloudWatch Logs too.
    logs = boto3.client("logs", **kw)
    deadline = time.monotonic() + 30
    messages: list[str] = []
    while not any("VERSION-1 aws:sqs job-1" in m for m in messages) and time.monotonic() < deadline:
        time.sleep(0.2)  # fn dev ships logs every 0.2 s from its own process
        found = logs.filter_log_events(logGroupName="/aws/lambda/evsvc-dev-worker")["events"]
        messages = [event["message"] for event in found]
    assert any("VERSION-1 aws:sqs job-1" in m for m in messages)


def test_a_route_two_events_claim_is_bad_input_at_start_and_a_broken_save_keeps_the_last_good_one(tmp_path, own_dev):
    write_service(tmp_path)
    clash = SERVICE.replace(
        "      - httpApi: GET /shape/{kind}", "      - httpApi: GET /shape/{kind}\n      - httpApi: GET /items/{id}"
    )
    (tmp_path / "serverless.yml").write_text(clash)
    refused = own_dev()
    assert refused.process.wait(timeout=120) == 2
    output = refused.output()
    assert "serverless.yml:" in output and "route GET /items/{id} is already served by function echo" in output
    assert "Traceback" not in output
    (tmp_path / "serverless.yml").write_text(SERVICE)
    dev = own_dev().ready()
    (tmp_path / "serverless.yml").write_text(clash)
    assert dev.get("/items/1").status == 200
    dev.wait_for("still serving the last good version")
