"""`resources:` assembled (YAML, `${file()}`d fragments, lists merged), validated with cfn-lint at the manifest's
lines and logical ids, kept as the companion stack's template (references to fnship's own resources passed in as
parameters); intrinsic functions where fnship reads a value checked against it; CloudFormation short forms."""

from __future__ import annotations

import pytest

from fnship.manifest.loader import load_text

from .conftest import Env

HEAD = "service: svc\nprovider:\n  name: aws\n"


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("a: !Ref Table", {"Ref": "Table"}),
        ("a: !GetAtt Table.Arn", {"Fn::GetAtt": ["Table", "Arn"]}),
        ("a: !GetAtt Table.StreamSpecification.StreamArn", {"Fn::GetAtt": ["Table", "StreamSpecification.StreamArn"]}),
        ("a: !GetAtt [Table, Arn]", {"Fn::GetAtt": ["Table", "Arn"]}),
        ("a: !Sub '${AWS::Region}-x'", {"Fn::Sub": "${AWS::Region}-x"}),
        ("a: !Join [':', [a, !Ref B]]", {"Fn::Join": [":", ["a", {"Ref": "B"}]]}),
        ("a: !Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
        ("a: !Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
        ("a: !ImportValue shared-TopicArn", {"Fn::ImportValue": "shared-TopicArn"}),
        ("a: !If [IsProd, 1, 2]", {"Fn::If": ["IsProd", 1, 2]}),
        ("a: !Equals [!Ref Stage, prod]", {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}),
        ("a: !Not [!Condition IsProd]", {"Fn::Not": [{"Condition": "IsProd"}]}),
        ("a: !And [!Condition A, !Condition B]", {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("a: !Or [!Condition A, !Condition B]", {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("a: !Base64 text", {"Fn::Base64": "text"}),
        ("a: !FindInMap [M, k, v]", {"Fn::FindInMap": ["M", "k", "v"]}),
        ("a: !Cidr ['10.0.0.0/16', 4, 8]", {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
    ],
)
def test_short_forms_load_into_long_forms(yaml_text, expected):
    loaded = load_text(yaml_text, file="t.yml")
    assert loaded.diagnostics == []
    assert loaded.data == {"a": expected}


def test_short_forms_keep_their_lines():
    loaded = load_text("x: 1\na: !Join\n  - ':'\n  - - !Ref B\n    - c\n", file="t.yml")
    assert str(loaded.locations[("a", "Fn::Join")]) == "t.yml:2:4"
    assert str(loaded.locations[("a", "Fn::Join", 1, 0, "Ref")]) == "t.yml:4:7"
    assert str(loaded.locations[("a", "Fn::Join", 1, 1)]) == "t.yml:5:7"


def test_an_unknown_tag_is_an_error():
    loaded = load_text("a: !Reff x\n", file="t.yml")
    assert [str(d).split("\n")[0] for d in loaded.diagnostics] == ["t.yml:1:4 a: unsupported YAML tag !Reff"]


def test_an_intrinsic_where_fnship_reads_a_value_needs_resources(env: Env):
    text = HEAD + "  environment:\n    TABLE: !Ref ItemsTable\n"
    assert env.problem(text) == (
        "serverless.yml:5:12 provider.environment.TABLE: CloudFormation Ref needs the service's companion stack, and "
        "this service has no `resources:`"
    )


VALID = """\
resources:
  Resources:
    ItemsTable:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: ${self:service}-${sls:stage}-items
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
    Queue:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: !Sub "${AWS::StackName}-${self:service}-q"
  Outputs:
    TableArn:
      Value: !GetAtt ItemsTable.Arn
"""


def test_a_valid_template_is_kept_as_the_companion_stack(env: Env):
    manifest = env.load(HEAD + VALID)
    assert manifest.stack is not None
    assert set(manifest.stack.template["Resources"]) == {"ItemsTable", "Queue"}
    assert manifest.stack.template["Resources"]["Queue"]["Properties"]["QueueName"] == {
        "Fn::Sub": "${AWS::StackName}-svc-q"
    }


def test_cfn_lint_findings_at_the_manifest_line_with_the_logical_id(env: Env):
    text = HEAD + (
        "resources:\n"
        "  Resources:\n"
        "    Queue:\n"
        "      Type: AWS::SQS::Queue\n"
        "      Properties:\n"
        "        QueueNam: x\n"
        "        VisibilityTimeout: abc\n"
        "    Table:\n"
        "      Type: AWS::DynamoDB::Tablex\n"
        "    Topic:\n"
        "      Type: AWS::SNS::Topic\n"
        "      Properties:\n"
        "        TopicName: !Ref Nothing\n"
        "    A:\n"
        "      Type: AWS::SNS::Topic\n"
        "      DependsOn: B\n"
        "    B:\n"
        "      Type: AWS::SNS::Topic\n"
        "      DependsOn: A\n"
    )
    problems = env.problems(text)
    found = "\n".join(problems)
    assert "serverless.yml:9:19 resources.Resources.Queue.Properties.QueueNam: Queue (AWS::SQS::Queue): Additional " \
        "properties are not allowed ('QueueNam' was unexpected" in found  # fmt: skip
    assert "serverless.yml:10:28 resources.Resources.Queue.Properties.VisibilityTimeout: Queue (AWS::SQS::Queue): " \
        "'abc' is not of type 'integer' [cfn-lint E3012]" in found  # fmt: skip
    assert "serverless.yml:12:13 resources.Resources.Table.Type: Table (AWS::DynamoDB::Tablex): Resource type " \
        "'AWS::DynamoDB::Tablex' does not exist in 'us-east-1' [cfn-lint E3006]" in found  # fmt: skip
    assert "serverless.yml:16:20 resources.Resources.Topic.Properties.TopicName.Ref: Topic (AWS::SNS::Topic): " \
        "'Nothing' is not one of" in found  # fmt: skip
    assert "Circular Dependencies for resource A" in found and "[cfn-lint E3004]" in found


def test_fragments_from_files_are_merged_and_located_in_their_files(env: Env):
    env.write(
        "resources/table.yml",
        "Resources:\n  Table:\n    Type: AWS::DynamoDB::Tablex\n",
    )
    env.write("resources/queue.yml", "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n")
    text = HEAD + "resources:\n  - ${file(resources/table.yml)}\n  - ${file(resources/queue.yml)}\n  - null\n"
    problems = env.problems(text)
    assert sorted(problems) == [
        "resources/table.yml:3:11 resources.0.Resources.Table.Type: Table (AWS::DynamoDB::Tablex): Resource type "
        "'AWS::DynamoDB::Tablex' does not exist in 'us-east-1' [cfn-lint E3006]",
    ]


def test_duplicate_logical_ids_across_fragments_name_both_places(env: Env):
    env.write("a.yml", "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n")
    env.write("b.yml", "Resources:\n  Other:\n    Type: AWS::SNS::Topic\n  Queue:\n    Type: AWS::SQS::Queue\n")
    text = HEAD + "resources:\n  - ${file(a.yml)}\n  - ${file(b.yml)}\n"
    assert sorted(env.problems(text)) == [
        "b.yml:4:3 resources.1.Resources.Queue: duplicate logical id Queue in Resources: also defined at a.yml:2:3",
    ]


def test_template_shape_problems(env: Env):
    text = HEAD + (
        "resources:\n"
        "  - Resourcez: {}\n"
        "  - extensions:\n"
        "      ApiLogGroup:\n"
        "        Properties: {RetentionInDays: 30}\n"
        "  - just text\n"
    )
    assert env.problems(text) == [
        "serverless.yml:5:5 resources.0.Resourcez: unknown CloudFormation template section 'Resourcez'",
        "serverless.yml:7:7 resources.1.extensions.ApiLogGroup: extends ApiLogGroup that the Serverless Framework "
        "would create: fnship's own resources are not CloudFormation",
        "serverless.yml:9:5 resources.2: a resources fragment must be a mapping (Resources, Outputs, Conditions, ...)",
    ]


def test_secrets_never_reach_cfn_lint_messages(env: Env):
    from .test_variables import FakeLookups

    fake = FakeLookups({"/k": ("hunter2-secret", True)})
    text = HEAD + (
        "resources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n"
        "      Properties:\n        VisibilityTimeout: ${ssm:/k}\n"
    )
    problems = env.problems(text, lookups=fake.lookups())
    assert "hunter2" not in "\n".join(problems)
    assert "'(sensitive)' is not of type 'integer'" in "\n".join(problems)


def test_logical_ids_of_what_fnship_creates_itself_are_refused(env: Env):
    text = HEAD + (
        "functions:\n"
        "  my-api:\n"
        "    handler: app.handler\n"
        "resources:\n"
        "  Resources:\n"
        "    MyDashapiLambdaFunction:\n"
        "      Properties: {Timeout: 10}\n"
        "    IamRoleLambdaExecution:\n"
        "      Type: AWS::IAM::Role\n"
        "    MyDashapiLambdaVersionAb12:\n"
        "      Type: AWS::Lambda::Version\n"
    )
    owned = "which fnship creates itself, not as CloudFormation (Serverless would merge this entry into it)"
    assert env.problems(text) == [
        "serverless.yml:9:5 resources.Resources.MyDashapiLambdaFunction: MyDashapiLambdaFunction is the Serverless "
        f"logical id of function my-api, {owned}",
        "serverless.yml:11:5 resources.Resources.IamRoleLambdaExecution: IamRoleLambdaExecution is the Serverless "
        f"logical id of the functions' execution role, {owned}",
        "serverless.yml:13:5 resources.Resources.MyDashapiLambdaVersionAb12: MyDashapiLambdaVersionAb12 is the "
        f"Serverless logical id of the versions of function my-api, {owned}",
    ]


def test_cfn_lint_is_imported_only_for_a_manifest_with_resources(env: Env):
    import subprocess
    import sys

    env.write("plain.yml", HEAD)
    env.write("with.yml", HEAD + VALID)
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from fnship.errors import InputError\n"
        "from fnship.manifest import load_manifest\n"
        "try:\n"
        "    load_manifest(Path(sys.argv[1]), env={})\n"
        "except InputError:\n"
        "    pass\n"
        "print(any(name.split('.')[0] == 'cfnlint' for name in sys.modules))\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", probe, name], capture_output=True, text=True, cwd=env.root, check=True)
        for name in ("plain.yml", "with.yml")
    ]
    assert [run.stdout.strip() for run in runs] == ["False", "True"]


def test_fn_validate_reports_template_errors_with_exit_2_and_no_traceback(tmp_path, monkeypatch):
    from tests.conftest import Project

    project = Project(tmp_path)
    project.write("handler.py", "def hello(event, context):\n    return 1\n")
    project.write(
        "serverless.yml",
        HEAD + "functions:\n  hello:\n    handler: handler.hello\n"
        "resources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queuex\n",
    )
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "serverless.yml:10:13 resources.Resources.Q.Type: Q (AWS::SQS::Queuex): Resource type" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
