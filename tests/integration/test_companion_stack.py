"""`resources:` deployed as the companion CloudFormation stack on the moto server over HTTP: a table, a queue with a
dead-letter queue, a topic and a bucket, referenced from functions' environment, IAM statements and events; read
back with boto3; an unchanged redeploy makes no mutating call; a template change is planned by reading only and
deployed through a change set; `fn remove` leaves nothing but what `DeletionPolicy: Retain` keeps, and says so.

moto 5.2 gives a stack made or updated through a change set no `Outputs` (../shared/TESTING.md); AWS does. The
tests' moto server has the fix fnship's own emulator applies (fnship/local/moto_patches.py `change_set_outputs`,
applied in tests/conftest.py), so values read from outputs (`!GetAtt`, `!Sub`, `!Join`) resolve as on AWS.
"""

from __future__ import annotations

import json

from tests.conftest import ACCOUNT, HELLO_HANDLER, REGION

SERVICE = """\
service: shop
provider:
  name: aws
  environment:
    TABLE: !Ref ItemsTable
    QUEUE_URL: !Ref Queue
    BUCKET: !Ref Uploads
    TOPIC_ARN: !Ref Events
    TABLE_STREAM: !Join ['/', [!GetAtt ItemsTable.Arn, items]]
    REGION_TABLE: !Sub '${AWS::Region}:${ItemsTable}'
  iam:
    role:
      statements:
        - Effect: Allow
          Action: [dynamodb:GetItem, dynamodb:PutItem]
          Resource: !GetAtt ItemsTable.Arn
        - Effect: Allow
          Action: s3:PutObject
          Resource: !Sub '${Uploads.Arn}/*'
        - Effect: Allow
          Action: sns:Publish
          Resource: !Ref Events
functions:
  worker:
    handler: handler.hello
    events:
      - sqs:
          arn: !GetAtt Queue.Arn
          batchSize: 5
resources:
  Resources:
    ItemsTable:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: shop-${sls:stage}-items
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
    DeadLetters:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: shop-${sls:stage}-dlq
    Queue:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: shop-${sls:stage}-jobs
        VisibilityTimeout: 60
        RedrivePolicy:
          deadLetterTargetArn: !GetAtt DeadLetters.Arn
          maxReceiveCount: 3
    Events:
      Type: AWS::SNS::Topic
      Properties:
        TopicName: shop-${sls:stage}-events
    Uploads:
      Type: AWS::S3::Bucket
      Properties:
        BucketName: shop-${sls:stage}-uploads
  Outputs:
    TableName:
      Value: !Ref ItemsTable
"""
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/shop-dev-items"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:shop-dev-jobs"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:shop-dev-events"


def write_service(project, text: str = SERVICE) -> None:
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", text)


def test_the_stack_and_what_reads_it_deploy_converge_and_go(project, moto):
    write_service(project)
    planned = project.fn("plan", "--json")
    assert planned.exit_code == 0, planned.stderr
    stack = next(c for c in planned.json["plan"]["changes"] if c["address"] == "stack")
    assert stack["action"] == "create" and stack["name"] == "shop-dev-resources"
    assert {f["path"]: f["after"]["action"] for f in stack["fields"] if f["path"].startswith("resources.")} == {
        f"resources.{logical_id}": "add" for logical_id in ("DeadLetters", "Events", "ItemsTable", "Queue", "Uploads")
    }
    function = next(c for c in planned.json["plan"]["changes"] if c["address"] == "function.worker")
    environment = {f["path"]: f["after"] for f in function["fields"] if f["path"].startswith("environment.")}
    assert environment["environment.TABLE"] == "(known after apply)"

    runs = []
    made = moto.mutating_calls_during(lambda: runs.append(project.fn("deploy", "--yes")))
    deployed = runs[0]
    assert deployed.exit_code == 0, deployed.stderr
    assert "stack: shop-dev-resources (AWS::CloudFormation::Stack) CREATE_COMPLETE" in deployed.stderr
    assert made.count("CreateChangeSet") == made.count("ExecuteChangeSet") == 1

    cloudformation = moto.client("cloudformation")
    described = cloudformation.describe_stacks(StackName="shop-dev-resources")["Stacks"][0]
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"fnship:service": "shop", "fnship:stage": "dev"}
    sqs = moto.client("sqs")
    queue_url = sqs.get_queue_url(QueueName="shop-dev-jobs")["QueueUrl"]
    redrive = json.loads(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
                         ["Attributes"]["RedrivePolicy"])  # fmt: skip
    assert redrive["deadLetterTargetArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:shop-dev-dlq"

    lam = moto.client("lambda")
    config = lam.get_function_configuration(FunctionName="shop-dev-worker")
    assert config["Environment"]["Variables"] == {
        "TABLE": "shop-dev-items",
        "QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/shop-dev-jobs",  # (the stack's physical id)
        "BUCKET": "shop-dev-uploads",
        "TOPIC_ARN": TOPIC_ARN,
        "TABLE_STREAM": f"{TABLE_ARN}/items",
        "REGION_TABLE": f"{REGION}:shop-dev-items",
    }
    role = config["Role"].rsplit("/", 1)[1]
    policy = moto.client("iam").get_role_policy(RoleName=role, PolicyName="fnship")["PolicyDocument"]
    resources = {json.dumps(s["Action"]): s["Resource"] for s in policy["Statement"]}
    assert resources[json.dumps(["dynamodb:GetItem", "dynamodb:PutItem"])] == TABLE_ARN
    assert resources[json.dumps("s3:PutObject")] == "arn:aws:s3:::shop-dev-uploads/*"
    assert resources[json.dumps("sns:Publish")] == TOPIC_ARN
    assert resources[json.dumps(["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"])] == QUEUE_ARN
    (mapping,) = lam.list_event_source_mappings()["EventSourceMappings"]
    assert mapping["EventSourceArn"] == QUEUE_ARN and mapping["BatchSize"] == 5

    info = project.fn("info", "--json")
    assert info.json["stack"] == {
        "name": "shop-dev-resources",
        "status": "CREATE_COMPLETE",
        "outputs": {"TableName": "shop-dev-items"},
    }

    # Unchanged: not even an empty change set, nor any other mutating call (the record-free reading included).
    assert moto.mutating_calls_during(lambda: project.fn("deploy", "--yes")) == []
    assert moto.mutating_calls_during(lambda: project.fn("deploy", "--yes", "--refresh")) == []

    removed = project.fn("remove", "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert cloudformation.list_stacks(StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE"])["StackSummaries"] == []
    assert sqs.list_queues().get("QueueUrls") is None
    assert moto.client("dynamodb").list_tables()["TableNames"] == []
    assert moto.client("sns").list_topics()["Topics"] == []
    assert moto.client("s3").list_buckets()["Buckets"] == []
    assert lam.list_functions()["Functions"] == []


def test_a_template_change_is_planned_per_logical_id_and_applied(project, moto):
    write_service(project)
    assert project.fn("deploy", "--yes").exit_code == 0
    write_service(project, SERVICE.replace("VisibilityTimeout: 60", "VisibilityTimeout: 120"))
    planned = project.fn("plan", "--json")
    assert planned.exit_code == 0, planned.stderr
    (stack,) = [c for c in planned.json["plan"]["changes"] if c["address"] == "stack"]
    lines = {f["path"]: f["after"] for f in stack["fields"]}
    assert lines["resources.Queue"] == {"action": "modify", "type": "AWS::SQS::Queue"}
    # The queue is updated in place: what reads its ARN does not change (moto reports no replacement flag).
    assert [c["address"] for c in planned.json["plan"]["changes"]] == ["stack"]
    deployed = project.fn("deploy", "--yes")
    assert deployed.exit_code == 0, deployed.stderr
    assert "UPDATE_COMPLETE" in deployed.stderr
    sqs = moto.client("sqs")
    url = sqs.get_queue_url(QueueName="shop-dev-jobs")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "120"
    }
    assert moto.mutating_calls_during(lambda: project.fn("deploy", "--yes")) == []


RETAINED = """\
service: keep
provider:
  name: aws
functions:
  api:
    handler: handler.hello
    environment:
      ARCHIVE: !Ref Archive
resources:
  Resources:
    Archive:
      Type: AWS::S3::Bucket
      DeletionPolicy: Retain
      Properties:
        BucketName: keep-dev-archive
    Scratch:
      Type: AWS::SQS::Queue
"""


def test_remove_deletes_the_stack_and_says_what_retain_keeps(project, moto):
    write_service(project, RETAINED)
    assert project.fn("deploy", "--yes").exit_code == 0
    removed = project.fn("remove", "--yes")
    assert removed.exit_code == 0, removed.stderr
    said = removed.stdout + removed.stderr
    assert "keeps what has DeletionPolicy: Retain" in said and "Archive (AWS::S3::Bucket)" in said
    assert "stack: keep-dev-resources (AWS::CloudFormation::Stack) DELETE_COMPLETE" in removed.stderr
    assert moto.client("sqs").list_queues().get("QueueUrls") is None


def test_validate_names_an_unresolvable_reference_with_exit_2(project, moto):
    write_service(project, SERVICE.replace("!GetAtt ItemsTable.Arn\n", "!GetAtt ItemTable.Arn\n", 1))
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "serverless.yml:16:21 provider.iam.role.statements.0.Resource.Fn::GetAtt: refers to ItemTable, which is " \
        "not a resource of resources.Resources" in result.stderr  # fmt: skip
    assert "Traceback" not in result.stderr


PLAIN = """\
service: plain
provider:
  name: aws
functions:
  api:
    handler: handler.hello
resources:
  Resources:
    Jobs:
      Type: AWS::SQS::Queue
      Properties:
        VisibilityTimeout: 60
    Alerts:
      Type: AWS::SNS::Topic
    Archive:
      Type: AWS::S3::Bucket
      Properties:
        BucketName: plain-dev-archive
"""


def test_a_plan_of_a_changed_stack_reads_only_and_the_deploy_makes_the_change_set(project, moto):
    """`fn plan` never writes (issue 10's rule): no change set for a preview; it compares the template it would send
    with the deployed stack's, per logical id. Only the deploy creates and executes a change set."""
    write_service(project, PLAIN)
    assert project.fn("deploy", "--yes").exit_code == 0
    changed = (
        PLAIN.replace("VisibilityTimeout: 60", "VisibilityTimeout: 120")  # in place
        .replace("    Alerts:\n      Type: AWS::SNS::Topic\n", "")  # removed
        .replace("plain-dev-archive", "plain-dev-archive2")  # BucketName is create-only: replaced
        + "    Extra:\n      Type: AWS::SQS::Queue\n"  # added
    )
    write_service(project, changed)
    cloudformation = moto.client("cloudformation")
    change_sets = cloudformation.list_change_sets(StackName="plain-dev-resources")["Summaries"]  # (the deploy's)
    runs = []
    assert moto.mutating_calls_during(lambda: runs.append(project.fn("plan", "--json"))) == []
    assert runs[0].exit_code == 0, runs[0].stderr
    (stack,) = [c for c in runs[0].json["plan"]["changes"] if c["address"] == "stack"]
    assert {f["path"]: f["after"] for f in stack["fields"] if f["path"].startswith("resources.")} == {
        "resources.Jobs": {"action": "modify", "type": "AWS::SQS::Queue"},
        "resources.Alerts": {"action": "remove", "type": "AWS::SNS::Topic"},
        "resources.Archive": {"action": "replace", "type": "AWS::S3::Bucket", "replacement": "True"},
        "resources.Extra": {"action": "add", "type": "AWS::SQS::Queue"},
    }
    text = project.fn("plan")
    assert "resources.Archive" in text.stdout and "replace" in text.stdout
    assert cloudformation.list_change_sets(StackName="plain-dev-resources")["Summaries"] == change_sets

    made = moto.mutating_calls_during(lambda: runs.append(project.fn("deploy", "--yes")))
    assert runs[-1].exit_code == 0, runs[-1].stderr
    assert made.count("CreateChangeSet") == made.count("ExecuteChangeSet") == 1
    deployed = cloudformation.describe_stack_resources(StackName="plain-dev-resources")["StackResources"]
    assert sorted(r["LogicalResourceId"] for r in deployed) == ["Archive", "Extra", "Jobs"]
    assert moto.mutating_calls_during(lambda: project.fn("plan")) == []
    assert project.fn("plan", "--exit-code").exit_code == 0


MIGRATED = """\
service: shop
provider:
  name: aws
functions:
  worker:
    handler: handler.hello
    description: !Sub 'reads ${Jobs}'
    role: WorkerRole
    events:
      - s3:
          bucket: !Ref Uploads
          existing: true
      - sns:
          arn: !Ref Events
      - sns:
          topicName: !GetAtt Other.TopicName
resources:
  Resources:
    Jobs:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: shop-dev-jobs
    Uploads:
      Type: AWS::S3::Bucket
      Properties:
        BucketName: shop-dev-uploads
    Events:
      Type: AWS::SNS::Topic
      Properties:
        TopicName: shop-dev-events
    Other:
      Type: AWS::SNS::Topic
      Properties:
        TopicName: shop-dev-other
    WorkerRole:
      Type: AWS::IAM::Role
      Properties:
        AssumeRolePolicyDocument:
          Version: '2012-10-17'
          Statement:
            - Effect: Allow
              Principal: {Service: lambda.amazonaws.com}
              Action: sts:AssumeRole
"""


def test_what_a_migrating_user_writes_resolves_from_the_stack(project, moto):
    """Intrinsics where Serverless users put them: an existing s3 bucket, an sns topic by arn or topicName, the
    description, the role as a logical id of resources: (as Serverless v3 reads it); all read from the deployed
    stack, and an unchanged redeploy makes no mutating call. (moto's CloudFormation makes no AWS::CloudWatch::Alarm:
    alarms named by the stack are tested in tests/model/test_stack.py.)"""
    write_service(project, MIGRATED)
    deployed = project.fn("deploy", "--yes")
    assert deployed.exit_code == 0, deployed.stderr

    cloudformation = moto.client("cloudformation")

    def physical(logical_id: str) -> str:
        found = cloudformation.describe_stack_resource(StackName="shop-dev-resources", LogicalResourceId=logical_id)
        return found["StackResourceDetail"]["PhysicalResourceId"]

    config = moto.client("lambda").get_function_configuration(FunctionName="shop-dev-worker")
    assert config["Description"] == f"reads https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/shop-dev-jobs"
    assert config["Role"] == moto.client("iam").get_role(RoleName=physical("WorkerRole"))["Role"]["Arn"]

    alias_prefix = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-dev-worker:"
    notification = moto.client("s3").get_bucket_notification_configuration(Bucket="shop-dev-uploads")
    (entry,) = notification["LambdaFunctionConfigurations"]
    assert entry["LambdaFunctionArn"].startswith(alias_prefix)
    sns = moto.client("sns")
    for topic in ("shop-dev-events", "shop-dev-other"):
        arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic}"
        (subscription,) = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        assert subscription["Endpoint"].startswith(alias_prefix), topic

    planned = project.fn("plan", "--json")
    assert planned.exit_code == 0, planned.stderr
    assert planned.json["plan"]["changes"] == []
    assert moto.mutating_calls_during(lambda: project.fn("deploy", "--yes")) == []

    removed = project.fn("remove", "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert moto.client("lambda").list_functions()["Functions"] == []
