"""The embedded emulator runs functions: fnship's own emulator process (moto with fnship's patches) started on a
free port, deployed to with the real pipeline, invoked with boto3 over HTTP. Hooks, remote `fn invoke`, Invoke's
forms, SQS event source mappings, and the emulator gaps fixed there (versions, architecture, REST tags, routes
dropping a JWT authorizer)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from fnship import pipeline
from fnship.strategies.shifter import Runtime
from tests.conftest import free_port

REGION = "us-east-1"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """`python -m fnship.local.emulator_app`, as `fn local start` runs it."""
    port = free_port()
    state = tmp_path_factory.mktemp("emulator-state")
    log = (state / "emulator.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "fnship.local.emulator_app", "-p", str(port), "--work-dir", str(state / "code")],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((state / "emulator.log").read_text()) from None
            time.sleep(0.1)  # polling for the server to answer, not synchronising the test's own steps
    try:
        yield {"endpoint": endpoint, "port": str(port), "state": state}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


@pytest.fixture
def local(emulator, monkeypatch, tmp_path):
    """This process (in-process `fn` runs, boto3 clients) pointed at the emulator, whose state is reset."""
    urllib.request.urlopen(urllib.request.Request(f"{emulator['endpoint']}/moto-api/reset", method="POST")).read()
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FN_LOCAL", "1")
    monkeypatch.setenv("FN_LOCAL_PORT", emulator["port"])
    monkeypatch.setenv("FN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return emulator


def client(emulator, service: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=emulator["endpoint"],
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"

SERVICE = f"""\
service: emu
provider:
  name: aws
  runtime: {RUNTIME}
  environment:
    BUILD: "{{build}}"
deployment:
  strategy: {{strategy}}
{{deployment}}
functions:
  api:
    handler: handler.api
  check:
    handler: handler.check
{{extra}}
"""

HANDLER = """\
import os


def api(event, context):
    print("api build", os.environ["BUILD"])
    return {"build": os.environ["BUILD"], "version": context.function_version, "event": event}


def check(event, context):
    print("hook ran with", sorted(event))
    return os.environ.get("HOOK_ANSWER", "true") == "true"
"""


def write(project, *, build: int, strategy: str = "AllAtOnce", deployment: str = "", extra: str = "") -> None:
    project.write("handler.py", HANDLER)
    text = SERVICE.format(build=build, strategy=strategy, deployment=deployment, extra=extra)
    project.write("serverless.yml", text)


def deploy_in_process(project, *, only=()):
    """A deploy whose canary waits are skipped (the shifter's clock and sleep injected)."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    options = pipeline.Options(config=project.root / "serverless.yml", functions=tuple(only), local=True)
    loaded = pipeline.load(options)
    plan = pipeline.make_plan(loaded, only=only)
    return pipeline.apply(loaded, plan, runtime=Runtime(clock=lambda: now[0], sleep=sleep, poll=10))


def alias_version(emulator, name: str = "emu-dev-api") -> str:
    return client(emulator, "lambda").get_alias(FunctionName=name, Name="live")["FunctionVersion"]


@pytest.mark.parametrize(("answer", "released"), [("true", True), ("false", False)])
def test_canary_pre_traffic_hook_runs_its_code_true_releases_false_rolls_back(local, project, answer, released):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    hooks = "  hooks:\n    preTraffic: check"
    write(project, build=2, strategy="'canary 10% 30s'", deployment=hooks)
    text = (
        (project.root / "serverless.yml").read_text().replace('BUILD: "2"', f'BUILD: "2"\n    HOOK_ANSWER: "{answer}"')
    )
    (project.root / "serverless.yml").write_text(text)
    result = deploy_in_process(project)
    assert result.ok == released
    assert alias_version(local) == ("2" if released else "1")
    # The hook's own code ran: its line is in the emulator's CloudWatch Logs.
    events = client(local, "logs").filter_log_events(logGroupName="/aws/lambda/emu-dev-check")["events"]
    assert any("hook ran with" in event["message"] for event in events)


def test_fn_invoke_without_local_returns_the_deployed_versions_answer(local, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    write(project, build=2)
    assert project.fn("deploy", "--yes").exit_code == 0
    (project.root / "handler.py").write_text(HANDLER.replace('"build"', '"on_disk"'))  # not deployed
    result = project.fn("invoke", "-f", "api", "-d", '{"n": 1}', "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json["local"] is False and result.json["executed_version"] == "2"
    assert result.json["payload"]["build"] == "2" and result.json["payload"]["event"] == {"n": 1}
    older = project.fn("invoke", "-f", "api", "-q", "1", "--json")
    assert older.json["payload"]["build"] == "1" and older.json["payload"]["version"] == "1"


def test_invoke_forms_tail_event_and_errors(local, project):
    write(project, build=1)
    project.write("handler.py", HANDLER + "\n\ndef boom(event, context):\n    raise ValueError('no')\n")
    assert project.fn("deploy", "--yes").exit_code == 0
    lam = client(local, "lambda")
    tail = lam.invoke(FunctionName="emu-dev-api", Qualifier="live", LogType="Tail", Payload=b'{"a": 1}')
    assert tail["StatusCode"] == 200 and tail["ExecutedVersion"] == "1"
    assert "api build 1" in base64.b64decode(tail["LogResult"]).decode()
    queued = lam.invoke(FunctionName="emu-dev-api", InvocationType="Event", Payload=b'{"async": true}')
    assert queued["StatusCode"] == 202
    dry = lam.invoke(FunctionName="emu-dev-api", InvocationType="DryRun")
    assert dry["StatusCode"] == 204
    text = (project.root / "serverless.yml").read_text().replace("handler: handler.check", "handler: handler.boom")
    (project.root / "serverless.yml").write_text(text)
    assert project.fn("deploy", "--yes").exit_code == 0
    failed = lam.invoke(FunctionName="emu-dev-check")
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorType"] == "ValueError"


def test_twelve_deploys_keeping_two_versions_leave_live_serving_the_newest_code(local, project):
    deployment = "  keepVersions: 2"
    for build in range(1, 13):
        write(project, build=build, deployment=deployment)
        result = project.fn("deploy", "--yes", "-f", "api")
        assert result.exit_code == 0, result.stderr
    lam = client(local, "lambda")
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName="emu-dev-api")["Versions"]]
    assert versions[-1] == "12" and len(versions) <= 3  # $LATEST and the two kept
    answer = json.loads(lam.invoke(FunctionName="emu-dev-api", Qualifier="live")["Payload"].read())
    assert answer == {"build": "12", "version": "12", "event": {}}
    assert project.fn("remove", "--yes").exit_code == 0


def test_architecture_change_deploys_once_then_no_changes(local, project):
    write(project, build=1)
    assert project.fn("deploy", "--yes").exit_code == 0
    text = (project.root / "serverless.yml").read_text().replace("  runtime:", "  architecture: arm64\n  runtime:")
    (project.root / "serverless.yml").write_text(text)
    assert project.fn("deploy", "--yes").exit_code == 0
    config = client(local, "lambda").get_function_configuration(FunctionName="emu-dev-api")
    assert config["Architectures"] == ["arm64"]
    again = project.fn("plan")
    assert "No changes" in again.stdout, again.stdout


def test_provider_tags_change_on_a_service_with_rest_events(local, project):
    events = "    events:\n      - http: GET /hello"
    write(project, build=1)
    text = (
        (project.root / "serverless.yml")
        .read_text()
        .replace("    handler: handler.api", f"    handler: handler.api\n{events}")
    )
    (project.root / "serverless.yml").write_text(text)
    assert project.fn("deploy", "--yes").exit_code == 0
    tagged = text.replace("provider:\n", "provider:\n  tags:\n    team: payments\n")
    (project.root / "serverless.yml").write_text(tagged)
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "No changes" in project.fn("plan").stdout


def test_removing_a_jwt_authorizer_from_a_route_converges(local, project):
    authorizers = (
        "  httpApi:\n    authorizers:\n      auth:\n        issuerUrl: https://issuer.example\n"
        "        audience: [api]\n"
    )
    route = "    events:\n      - httpApi:\n          method: GET\n          path: /me\n"
    write(project, build=1)
    base = (project.root / "serverless.yml").read_text()
    with_auth = base.replace("provider:\n", "provider:\n" + authorizers).replace(
        "    handler: handler.api",
        "    handler: handler.api\n"
        + route
        + "          authorizer:\n            name: auth\n            scopes: [read]",
    )
    (project.root / "serverless.yml").write_text(with_auth)
    assert project.fn("deploy", "--yes").exit_code == 0
    without = base.replace("    handler: handler.api", "    handler: handler.api\n" + route.rstrip("\n"))
    (project.root / "serverless.yml").write_text(without)
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "No changes" in project.fn("plan").stdout


def test_sqs_mapping_delivers_batches_and_keeps_reported_failures(local, project):
    sqs = client(local, "sqs")
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    worker = (
        "\n\ndef work(event, context):\n"
        "    import boto3\n"
        "    bodies = [r['body'] for r in event['Records']]\n"
        "    print('batch', bodies)\n"
        "    boto3.client('s3').put_object(Bucket='seen', Key='-'.join(bodies), Body=b'x')\n"
        "    return {'batchItemFailures': [{'itemIdentifier': r['messageId']} for r in event['Records']\n"
        "                                  if r['body'] == 'bad']}\n"
    )
    extra = (
        f"  worker:\n    handler: handler.work\n    events:\n      - sqs:\n          arn: {arn}\n"
        "          batchSize: 3\n          functionResponseType: ReportBatchItemFailures\n"
    )
    write(project, build=1, extra=extra)
    project.write("handler.py", HANDLER + worker)
    client(local, "s3").create_bucket(Bucket="seen")
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": body} for n, body in enumerate(["ok1", "bad", "ok2"])]
    )
    assert project.fn("deploy", "--yes").exit_code == 0
    s3 = client(local, "s3")
    deadline = time.monotonic() + 60
    keys: list[str] = []
    while not keys and time.monotonic() < deadline:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="seen").get("Contents", [])]
        time.sleep(0.1)  # waiting for the emulator's poller (an outside process), not ordering our own steps
    assert keys == ["ok1-bad-ok2"]  # one batch of three
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    # The failed item stays (in flight until its visibility timeout); the others are gone.
    assert int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 1
    assert int(attributes["ApproximateNumberOfMessages"]) == 0


def test_put_events_reaches_the_rules_lambda_targets(local, project):
    """EventBridge hands a matching event to the rule's Lambda target (asynchronously), with `inputPath` applied;
    moto answered PutEvents with 500 for such a rule."""
    recorder = (
        "\n\ndef seen(event, context):\n"
        "    import boto3, json\n"
        "    key = context.function_name + '/' + (event.get('id') or event.get('order') or 'none')\n"
        "    boto3.client('s3').put_object(Bucket='seen', Key=key, Body=json.dumps(event).encode())\n"
    )
    extra = (
        "  whole:\n    handler: handler.seen\n    events:\n      - eventBridge:\n          pattern:\n"
        "            source: [shop.orders]\n"
        "  detail:\n    handler: handler.seen\n    events:\n      - eventBridge:\n          pattern:\n"
        "            source: [shop.orders]\n          inputPath: '$.detail'\n"
    )
    write(project, build=1, extra=extra)
    project.write("handler.py", HANDLER + recorder)
    client(local, "s3").create_bucket(Bucket="seen")
    assert project.fn("deploy", "--yes").exit_code == 0
    events = client(local, "events")
    answer = events.put_events(
        Entries=[
            {"Source": "shop.orders", "DetailType": "placed", "Detail": json.dumps({"order": "o-1"})},
            {"Source": "shop.other", "DetailType": "placed", "Detail": json.dumps({"order": "o-2"})},
        ]
    )
    assert answer["FailedEntryCount"] == 0
    event_id = answer["Entries"][0]["EventId"]
    s3 = client(local, "s3")
    want = {f"emu-dev-whole/{event_id}", "emu-dev-detail/o-1"}
    deadline = time.monotonic() + 60
    keys: set[str] = set()
    while keys != want and time.monotonic() < deadline:
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="seen").get("Contents", [])}
        time.sleep(0.1)  # waiting for the emulator's asynchronous invocations (an outside process)
    assert keys == want  # only the matching event; each target with its input
    whole = json.loads(s3.get_object(Bucket="seen", Key=f"emu-dev-whole/{event_id}")["Body"].read())
    assert whole["source"] == "shop.orders" and whole["detail-type"] == "placed" and whole["detail"] == {"order": "o-1"}
    detail = json.loads(s3.get_object(Bucket="seen", Key="emu-dev-detail/o-1")["Body"].read())
    assert detail == {"order": "o-1"}


STREAMED = """

def streamed(event, context):
    import base64, boto3, json
    s3 = boto3.client('s3')
    values, ids = [], []
    for record in event['Records']:
        if 'kinesis' in record:
            values.append(base64.b64decode(record['kinesis']['data']).decode())
            ids.append(record['kinesis']['sequenceNumber'])
        else:
            values.append(record['dynamodb']['Keys']['id']['S'])
            ids.append(record['dynamodb']['SequenceNumber'])
    # Batches of a shard arrive one at a time: the count of those before names this one.
    prefix = context.function_name + '/'
    count = len(s3.list_objects_v2(Bucket='seen', Prefix=prefix).get('Contents', []))
    s3.put_object(Bucket='seen', Key=f'{prefix}{count:03d}', Body=json.dumps(values).encode())
    failed = []
    if 'r3' in values:
        marker = 'markers/' + prefix + 'r3'
        if not s3.list_objects_v2(Bucket='seen', Prefix=marker).get('Contents'):
            s3.put_object(Bucket='seen', Key=marker, Body=b'')
            failed = [ids[values.index('r3')]]  # r3 fails once
    return {'batchItemFailures': [{'itemIdentifier': i} for i in failed]}
"""


def test_stream_records_arrive_in_batches_and_reported_failures_are_retried_from_the_checkpoint(local, project):
    table = client(local, "dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    kinesis = client(local, "kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    clicks = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    common = (
        "          batchSize: 2\n          startingPosition: TRIM_HORIZON\n          enabled: false\n"
        "          functionResponseType: ReportBatchItemFailures\n"
    )
    extra = (
        f"  fromtable:\n    handler: handler.streamed\n    events:\n      - stream:\n          type: dynamodb\n"
        f"          arn: {table['LatestStreamArn']}\n{common}"
        f"  fromkinesis:\n    handler: handler.streamed\n    events:\n      - stream:\n          type: kinesis\n"
        f"          arn: {clicks}\n{common}"
    )
    write(project, build=1, extra=extra)
    project.write("handler.py", HANDLER + STREAMED)
    s3 = client(local, "s3")
    s3.create_bucket(Bucket="seen")
    assert project.fn("deploy", "--yes").exit_code == 0
    # Written while the mappings are disabled, so that each mapping finds all five at once when enabled (a batch
    # does not depend on how fast this test writes).
    dynamodb = client(local, "dynamodb")
    for n in range(1, 6):
        dynamodb.put_item(TableName="orders", Item={"id": {"S": f"r{n}"}})
        kinesis.put_record(StreamName="clicks", Data=f"r{n}".encode(), PartitionKey="p")
    lam = client(local, "lambda")
    for source in (table["LatestStreamArn"], clicks):
        (mapping,) = lam.list_event_source_mappings(EventSourceArn=source)["EventSourceMappings"]
        assert mapping["State"] == "Disabled"
        lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    want = [["r1", "r2"], ["r3", "r4"], ["r3", "r4"], ["r5"]]  # r3 failed once: retried from it, r4 with it

    def batches(function: str) -> list[list[str]]:
        listed = s3.list_objects_v2(Bucket="seen", Prefix=f"{function}/").get("Contents", [])
        return [json.loads(s3.get_object(Bucket="seen", Key=o["Key"])["Body"].read()) for o in listed]

    deadline = time.monotonic() + 90
    found: dict[str, list] = {}
    while time.monotonic() < deadline:
        found = {name: batches(name) for name in ("emu-dev-fromtable", "emu-dev-fromkinesis")}
        if all(len(b) >= len(want) for b in found.values()):
            break
        time.sleep(0.2)  # waiting for the emulator's stream poller (an outside process)
    assert found == {"emu-dev-fromtable": want, "emu-dev-fromkinesis": want}


def test_a_public_function_url_converges(local, project):
    """moto kept AddPermission's FunctionUrlAuthType and InvokedViaFunctionUrl out of the statement's conditions,
    so the URL's two permissions were planned as replacements after every deploy."""
    write(project, build=1)
    text = (project.root / "serverless.yml").read_text()
    (project.root / "serverless.yml").write_text(
        text.replace("    handler: handler.api", "    handler: handler.api\n    url: true")
    )
    assert project.fn("deploy", "--yes").exit_code == 0
    policy = json.loads(client(local, "lambda").get_policy(FunctionName="emu-dev-api", Qualifier="live")["Policy"])
    conditions = [statement.get("Condition", {}) for statement in policy["Statement"]]
    assert {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}} in conditions
    assert {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}} in conditions
    again = project.fn("plan")
    assert "No changes" in again.stdout, again.stdout
    assert project.fn("remove", "--yes").exit_code == 0
