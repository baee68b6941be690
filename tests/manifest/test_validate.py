from __future__ import annotations

import pytest

from fnship.errors import InputError, Location

from .conftest import Env, with_function

# Each case: extra lines for function `api` (its first extra line is line 7), and the one expected
# diagnostic (None: valid). Bad values and the good boundary values next to them.
LIMITS = [
    ("memorySize: 20000", "7:17 functions.api.memorySize: 20000 is above the Lambda maximum of 10240 MB"),
    ("memorySize: 127", "7:17 functions.api.memorySize: 127 is below the Lambda minimum of 128 MB"),
    ("memorySize: 128", None),
    ("memorySize: 10240", None),
    (
        "memorySize: '512'",
        "7:17 functions.api.memorySize: must be an integer between 128 and 10240 MB, got '512'",
    ),
    ("memorySize: true", "7:17 functions.api.memorySize: must be an integer between 128 and 10240 MB, got true"),
    ("timeout: 0", "7:14 functions.api.timeout: 0 is below the Lambda minimum of 1 seconds"),
    ("timeout: 901", "7:14 functions.api.timeout: 901 is above the Lambda maximum of 900 seconds"),
    ("timeout: 900", None),
    ("timeout: 1", None),
    ("timeout: 2.5", "7:14 functions.api.timeout: must be an integer between 1 and 900 seconds, got 2.5"),
    (
        "ephemeralStorageSize: 511",
        "7:27 functions.api.ephemeralStorageSize: 511 is below the Lambda minimum of 512 MB",
    ),
    (
        "ephemeralStorageSize: 10241",
        "7:27 functions.api.ephemeralStorageSize: 10241 is above the Lambda maximum of 10240 MB",
    ),
    ("ephemeralStorageSize: 10240", None),
    ("reservedConcurrency: -1", "7:26 functions.api.reservedConcurrency: -1 is below the Lambda minimum of 0"),
    ("reservedConcurrency: 0", None),
    (
        "logRetentionInDays: 13",
        "7:25 functions.api.logRetentionInDays: 13 is not a CloudWatch Logs retention period; allowed: 1, 3, 5, 7, "
        "14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
    ),
    ("logRetentionInDays: 14", None),
    ("logRetentionInDays: 3653", None),
    ("architecture: arm64", None),
    (
        "architecture: aarch64",
        "7:19 functions.api.architecture: 'aarch64' is not a Lambda architecture; allowed: x86_64, arm64",
    ),
    ("runtime: python3.13", None),
    ("runtime: python3.9", None),
    ("runtime: python3.14", None),
    ("runtime: nodejs24.x", None),
    ("runtime: provided.al2023", None),
    (
        "runtime: python3.6",
        "7:14 functions.api.runtime: runtime python3.6 is deprecated: Lambda blocks creating functions with it since "
        "2022-07-18 and updating them since 2022-08-29; use python3.14",
    ),
    (
        "runtime: nodejs12.x",
        "7:14 functions.api.runtime: runtime nodejs12.x is deprecated: Lambda blocks creating functions with it since "
        "2023-03-31 and updating them since 2023-04-30; use nodejs24.x",
    ),
    (
        "runtime: python4.0",
        "7:14 functions.api.runtime: 'python4.0' is not a Lambda runtime; did you mean python3.14?",
    ),
    ("layers: [" + ", ".join(f"arn:aws:lambda:us-east-1:1:layer:{c}:1" for c in "abcde") + "]", None),
    (
        "layers: [" + ", ".join(f"arn:aws:lambda:us-east-1:1:layer:{c}:1" for c in "abcdef") + "]",
        "7:5 functions.api.layers: 6 layers is above the Lambda maximum of 5",
    ),
    ("name: my-explicit_name-1", None),
    ("name: " + "n" * 64, None),
    (
        "name: " + "n" * 65,
        "7:11 functions.api.name: function name '"
        + "n" * 65
        + "' (set by `name:`) is 65 characters, above the Lambda maximum of 64",
    ),
    (
        "name: has.dot",
        "7:11 functions.api.name: function name 'has.dot' (set by `name:`) may only contain letters, digits, "
        "hyphens and underscores",
    ),
    ("description: " + "d" * 256, None),
    ("description: " + "d" * 257, "7:18 functions.api.description: is 257 characters; Lambda allows 256"),
    (
        "environment:\n  1BAD: x",
        "8:7 functions.api.environment.1BAD: '1BAD' is not a valid environment variable name: start with a letter, "
        "then letters, digits and underscores",
    ),
    (
        "environment:\n  AWS_REGION: x",
        "8:7 functions.api.environment.AWS_REGION: AWS_REGION is reserved by AWS Lambda and cannot be set",
    ),
    (
        "environment:\n  AWS_LAMBDA_FUNCTION_NAME: x",
        "8:7 functions.api.environment.AWS_LAMBDA_FUNCTION_NAME: AWS_LAMBDA_FUNCTION_NAME is reserved by AWS Lambda "
        "and cannot be set",
    ),
    (
        "environment:\n  _HANDLER: x",
        "8:7 functions.api.environment._HANDLER: '_HANDLER' is not a valid environment variable name: start with a "
        "letter, then letters, digits and underscores",
    ),
    ("environment:\n  AWS_LAMBDA_EXEC_WRAPPER: /opt/wrap", None),
    (
        "environment:\n  NESTED:\n    a: 1",
        "8:7 functions.api.environment.NESTED: an environment value must be a string, number or boolean, got a mapping",
    ),
    (
        "events: {http: GET /}",
        "7:5 functions.api.events: must be a list, got a mapping",
    ),
    (
        "events:\n  - sqs: arn\n    http: GET /",
        "8:9 functions.api.events.0: an event must be a mapping with one key (its type, e.g. `- sqs: ...`), "
        "got a mapping",
    ),
    ("events:\n  - sqs: arn:aws:sqs:us-east-1:123456789012:q\n  - schedule: rate(1 minute)", None),
    (
        "memorysize: 512",
        "7:5 functions.api.memorysize: unknown key 'memorysize' in functions.api; did you mean 'memorySize'?",
    ),
    (
        "tags:\n  team: [a]",
        "8:7 functions.api.tags.team: a tag value must be a string, number or boolean, got a list",
    ),
]


@pytest.mark.parametrize(("body", "expected"), LIMITS)
def test_function_limits(env: Env, body, expected):
    text = with_function(body)
    if expected is None:
        env.load(text)
    else:
        assert env.problem(text) == f"serverless.yml:{expected}"


@pytest.mark.parametrize(
    ("handler", "runtime", "form"),
    [
        ("app.handler", "python3.12", None),
        ("src/handlers/api.main", "python3.12", None),
        ("src.handlers.api.main", "python3.12", None),
        ("app", "python3.12", "path/module.function"),
        ("app.", "python3.12", "path/module.function"),
        ("app.1handler", "python3.12", "path/module.function"),
        ("index.handler", "nodejs24.x", None),
        ("src/api.$handler", "nodejs24.x", None),
        ("index", "nodejs24.x", "path/module.export"),
        ("com.example.Handler::handleRequest", "java21", None),
        ("com.example.Handler", "java21", None),
        ("com.example.Handler::1run", "java21", "package.Class::method"),
        ("MyApp::MyApp.Function::Handler", "dotnet10", None),
        ("MyApp.Function.Handler", "dotnet10", "Assembly::Namespace.Class::Method"),
        ("app.handler", "ruby3.4", None),
        ("bootstrap", "provided.al2023", None),
        ("anything at all", "provided.al2023", None),
    ],
)
def test_handler_form_follows_the_runtime_family(env: Env, handler, runtime, form):
    text = f"service: svc\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: {handler}\n    runtime: {runtime}\n"
    if form is None:
        assert env.load(text).functions["api"].handler == handler
    else:
        assert env.problem(text) == (
            f"serverless.yml:6:14 functions.api.handler: '{handler}' is not a {runtime} handler of the form {form}"
        )


def test_refused_runtime_checks_the_handler_for_the_written_runtime_not_the_default(env: Env):
    # go1.x (no new functions, existing ones update until 2027-03-03): a Go binary name is a fine handler, so
    # validate accepts it (no python3.12 follow-on error); a deploy that would create it is refused at plan time
    go = "service: svc\nprovider:\n  name: aws\n  runtime: go1.x\nfunctions:\n  auth:\n    handler: bin/auth\n"
    env.load(go)
    # a function's own refused runtime: its handler form is still checked, for nodejs, not for python3.12
    node = with_function("runtime: nodejs12.x").replace("app.handler", "index")
    handler_problem, runtime_problem = env.problems(node)
    assert handler_problem == (
        "serverless.yml:6:14 functions.api.handler: 'index' is not a nodejs12.x handler of the form path/module.export"
    )
    assert runtime_problem.startswith("serverless.yml:7:14 functions.api.runtime: runtime nodejs12.x is deprecated")


def test_generated_function_name_too_long_names_its_origin(env: Env):
    key = "a" * 56  # svc-dev- is 8 characters: 64 is fine, 65 is not
    env.load(f"service: svc\nprovider:\n  name: aws\nfunctions:\n  {key}:\n    handler: app.handler\n")
    problem = env.problem(f"service: svc\nprovider:\n  name: aws\nfunctions:\n  {key}a:\n    handler: app.handler\n")
    assert problem == (
        f"serverless.yml:5:3 functions.{key}a: function name 'svc-dev-{key}a' (made of service-stage-key) is 65 "
        "characters, above the Lambda maximum of 64"
    )


def test_environment_size_limit_counts_merged_names_and_values(env: Env):
    # provider 2000 + function 2000 bytes of values plus names: over 4096 only together
    fits = with_function("environment:\n  B: " + "b" * 2000, provider="environment:\n  A: " + "a" * 2000)
    env.load(fits)
    over = with_function("environment:\n  B: " + "b" * 2100, provider="environment:\n  A: " + "a" * 2000)
    assert env.problem(over) == (
        "serverless.yml:9:5 functions.api.environment: the environment of function api is 4102 bytes, above the "
        "Lambda limit of 4 KB (4096 bytes, counting names and values)"
    )


def test_interpolated_numeric_strings_are_coerced_but_literal_strings_are_not(env: Env):
    text = with_function("memorySize: ${env:MEM}\ntimeout: ${env:TIMEOUT}\nreservedConcurrency: ${env:RC, 0}")
    spec = env.load(text, env={"MEM": "512", "TIMEOUT": "30"}).functions["api"]
    assert (spec.memory_size, spec.timeout, spec.reserved_concurrency) == (512, 30, 0)
    assert env.problem(text, env={"MEM": "lots", "TIMEOUT": "30"}) == (
        "serverless.yml:7:17 functions.api.memorySize: must be an integer between 128 and 10240 MB, got 'lots'"
    )
    flags = "service: svc\nprovider:\n  name: aws\n  versionFunctions: ${env:V}\n"
    assert env.load(flags, env={"V": "false"}).provider.version_functions is False


def test_provider_limits_are_checked_once_at_the_provider(env: Env):
    text = with_function("", provider="memorySize: 99999\ntimeout: 1000\nruntime: python2.7")
    assert env.problems(text) == [
        "serverless.yml:4:15 provider.memorySize: 99999 is above the Lambda maximum of 10240 MB",
        "serverless.yml:5:12 provider.timeout: 1000 is above the Lambda maximum of 900 seconds",
        "serverless.yml:6:12 provider.runtime: runtime python2.7 is deprecated: Lambda blocks creating functions with "
        "it since 2021-07-15 and updating them since 2022-05-30; use python3.14",
    ]


def test_many_problems_are_collected_in_one_error_in_file_order(env: Env):
    text = """\
    service: 9lives
    provder:
      name: aws
    plugins:
      - serverless-domain-manager
    functions:
      api:
        handler: app
        memorySize: 20000
        timeout: 0
      worker:
        memorySize: abc
    resources:
      Resources: {}
    """
    with pytest.raises(InputError) as caught:
        env.load(text)
    lines = [str(d).split("\n")[0] for d in caught.value.diagnostics]
    assert lines == [
        "serverless.yml:1:1 provider: provider is required",
        "serverless.yml:1:10 service: '9lives' is not a valid service name: use letters, digits and hyphens, "
        "starting with a letter",
        "serverless.yml:2:1 provder: unknown key 'provder' at the top level; did you mean 'provider'?",
        "serverless.yml:5:5 plugins.0: plugin 'serverless-domain-manager' is not supported: fnship does not run "
        "Serverless plugins (it creates API Gateway custom domain names and their base path mappings)",
        "serverless.yml:8:14 functions.api.handler: 'app' is not a python3.12 handler of the form path/module.function",
        "serverless.yml:9:17 functions.api.memorySize: 20000 is above the Lambda maximum of 10240 MB",
        "serverless.yml:10:14 functions.api.timeout: 0 is below the Lambda minimum of 1 seconds",
        "serverless.yml:11:3 functions.worker: handler is required (or image: for a container image function)",
        "serverless.yml:12:17 functions.worker.memorySize: must be an integer between 128 and 10240 MB, got 'abc'",
        "serverless.yml:13:1 resources: resources has no Resources: a CloudFormation stack needs at least one",
    ]
    assert caught.value.render().startswith("10 problems found:\n")
    assert caught.value.exit_code == 2


def test_unknown_key_lists_allowed_keys_in_the_hint(env: Env):
    with pytest.raises(InputError) as caught:
        env.load("service: svc\nprovider:\n  name: aws\n  runtim: python3.12\n")
    (diagnostic,) = caught.value.diagnostics
    assert str(diagnostic).startswith(
        "serverless.yml:4:3 provider.runtim: unknown key 'runtim' in provider; did you mean 'runtime'?\n"
        "  hint: allowed keys: alb, apiGateway, architecture, build, capacityProviders, deploymentBucket, "
    )
    assert "memorySize, name, profile, region" in diagnostic.hint
    assert diagnostic.location == Location("serverless.yml", 4, 3)


def test_duplicate_keys_and_validation_problems_are_reported_together(env: Env):
    text = "service: svc\nprovider:\n  name: aws\n  timeout: 5\n  timeout: 0\n"
    assert env.problems(text) == ["serverless.yml:5:3 provider.timeout: duplicate key 'timeout' (lines 4 and 5)"]
    text = "service: svc\nservice: svc\nprovider:\n  name: aws\n  timeout: 0\n"
    assert env.problems(text) == [
        "serverless.yml:2:1 service: duplicate key 'service' (lines 1 and 2)",
        "serverless.yml:5:12 provider.timeout: 0 is below the Lambda minimum of 1 seconds",
    ]


TOP_LEVEL = [
    ("provider:\n  name: aws\n", "1:1 service is required"),
    ("service: svc\nprovider:\n  name: gcp\n", "3:9 provider.name: 'gcp' is not supported: fnship deploys to aws only"),
    ("service: svc\nprovider:\n  runtime: python3.12\n", "2:1 provider.name: provider.name is required"),
    (
        "service: svc\nprovider:\n  name: aws\n  stage: bad_stage\n",
        "4:10 provider.stage: 'bad_stage' is not a valid stage name: use letters, digits and hyphens",
    ),
    (
        "service: svc\nprovider:\n  name: aws\n  region: mars\n",
        "4:11 provider.region: 'mars' is not an AWS region name (like us-east-1)",
    ),
    ("service: svc\nprovider: aws\n", "2:11 provider: must be a mapping, got 'aws'"),
    (
        "service: " + "s" * 129 + "\nprovider:\n  name: aws\n",
        "1:10 service: is 129 characters, above the maximum of 128",
    ),
    (
        "service: svc\nprovider:\n  name: aws\nfunctions:\n  api:\n",
        "5:3 functions.api: must be a mapping with at least `handler:`, got null",
    ),
    ("service: svc\nprovider:\n  name: aws\ncustom: [1]\n", "4:1 custom: must be a mapping, got a list"),
    (
        "service: svc\nprovider:\n  name: aws\n  tags:\n    k: " + "v" * 257 + "\n",
        "5:8 provider.tags.k: a tag value is at most 256 characters",
    ),
]


@pytest.mark.parametrize(("text", "expected"), TOP_LEVEL)
def test_top_level_and_provider_problems(env: Env, text, expected):
    assert env.problem(text) == f"serverless.yml:{expected}"


def test_cli_stage_and_region_problems_have_no_file_location(env: Env):
    problems = env.problems("service: svc\nprovider:\n  name: aws\n", stage="bad_stage", region="nowhere")
    assert problems == [
        "--stage: 'bad_stage' is not a valid stage name: use letters, digits and hyphens",
        "--region: 'nowhere' is not an AWS region name (like us-east-1)",
    ]


def test_plugins_supported_with_notes_and_other_plugins_rejected(env: Env):
    base = "service: svc\nprovider:\n  name: aws\n"
    manifest = env.load(
        base + "plugins:\n  - serverless-python-requirements\n  - serverless-plugin-canary-deployments\n"
        "  - serverless-iam-roles-per-function\n"
    )
    assert manifest.plugins == (
        "serverless-python-requirements",
        "serverless-plugin-canary-deployments",
        "serverless-iam-roles-per-function",
    )
    assert "plugin serverless-python-requirements: handled natively by fnship" in manifest.notes
    assert len(manifest.notes) == 3
    modules = env.load(base + "plugins:\n  modules:\n    - serverless-python-requirements\n  localPath: ./p\n")
    assert modules.plugins == ("serverless-python-requirements",)
    assert env.problem(base + "plugins:\n  modules:\n    - my-own-plugin\n") == (
        "serverless.yml:6:7 plugins.modules.0: plugin 'my-own-plugin' is not supported: fnship does not run "
        "Serverless plugins (it changes the deployment in ways fnship cannot know)"
    )
    # A bundler plugin is refused with the setting that replaces it.
    assert env.problem(base + "plugins:\n  modules:\n    - serverless-webpack\n") == (
        "serverless.yml:6:7 plugins.modules.0: plugin serverless-webpack is not supported: fnship bundles Node.js "
        "functions with esbuild"
    )


def test_resources_make_a_stack_and_empty_resources_none(env: Env):
    base = "service: svc\nprovider:\n  name: aws\n"
    assert env.load(base + "resources:\n").stack is None
    stack = env.load(base + "resources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n").stack
    assert stack is not None and stack.template["Resources"] == {"Q": {"Type": "AWS::SQS::Queue"}}


STATEMENTS = [  # (statement list, problem under provider.iam.role.statements)
    ("- Effect: Allow\n  Action: s3:GetObject\n  Resource: '*'", None),
    ("- Effect: Deny\n  NotAction: [s3:*]\n  NotResource: [arn:aws:s3:::b]\n  Sid: One\n  Condition: {}", None),
    (
        "- Effect: Maybe\n  Action: s3:*\n  Resource: '*'",
        "0.Effect: 'Maybe' is not an IAM effect; allowed: Allow, Deny",
    ),
    ("- Effect: Allow\n  Resource: '*'", "0: an IAM statement needs exactly one of Action or NotAction"),
    (
        "- Effect: Allow\n  Action: s3:*\n  NotAction: s3:*\n  Resource: '*'",
        "0: an IAM statement needs exactly one of Action or NotAction",
    ),
    ("- Effect: Allow\n  Action: []\n  Resource: '*'", "0.Action: Action must not be empty"),
    ("- Effect: Allow\n  Action: [s3:*, 5]\n  Resource: '*'", "0.Action.1: must be a string, got 5"),
    (
        "- Effect: Allow\n  Action: s3:*\n  Resource:\n    Fn::GetAtt: [Q, Arn]",
        "0.Resource: CloudFormation Fn::GetAtt needs the service's companion stack, and this service has no "
        "`resources:`",
    ),
    (
        "- Effect: Allow\n  Action: s3:*\n  Resource: '*'\n  Principal: '*'",
        "0.Principal: unknown key 'Principal' in provider.iam.role.statements.0",
    ),
    ("- just a string", "0: must be an IAM statement (Effect, Action, Resource), got 'just a string'"),
]


@pytest.mark.parametrize(("statements", "expected"), STATEMENTS)
def test_iam_statements(env: Env, statements, expected):
    indented = "\n".join("        " + line for line in statements.splitlines())
    text = f"service: svc\nprovider:\n  name: aws\n  iam:\n    role:\n      statements:\n{indented}\n"
    if expected is None:
        (statement,) = env.load(text).provider.iam.statements
        assert statement["Effect"] in ("Allow", "Deny")
    else:
        problem = env.problem(text)
        assert problem.split(" ", 1)[1] == f"provider.iam.role.statements.{expected}"


def test_iam_role_forms(env: Env):
    base = "service: svc\nprovider:\n  name: aws\n"
    role = env.load(base + "  iam:\n    role: arn:aws:iam::123456789012:role/deployer\n").provider.iam
    assert role.role_arn == "arn:aws:iam::123456789012:role/deployer" and role.statements == ()

    full = env.load(
        base + "  iam:\n    role:\n      mode: shared\n      managedPolicies:\n"
        "        - arn:aws:iam::aws:policy/ReadOnlyAccess\n"
        "      permissionsBoundary: arn:aws:iam::123456789012:policy/boundary\n"
        "      statements:\n        - {Effect: Allow, Action: sqs:*, Resource: '*'}\n"
    ).provider.iam
    assert full.mode == "shared"
    assert full.managed_policies == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    assert full.permissions_boundary == "arn:aws:iam::123456789012:policy/boundary"
    assert full.statements == ({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},)

    assert env.problems(base + "  iam:\n    role: MyRole\n    deploymentRol: x\n") == [
        "serverless.yml:5:11 provider.iam.role: MyRole is not an IAM role ARN, nor a resource of resources.Resources "
        "(Serverless reads a role that is not an ARN as the logical id of a role of resources:)",
        "serverless.yml:6:5 provider.iam.deploymentRol: unknown key 'deploymentRol' in provider.iam",
    ]
    assert env.problem(base + "  iam:\n    role:\n      mode: solo\n") == (
        "serverless.yml:6:13 provider.iam.role.mode: 'solo' is not an IAM mode; allowed: perFunction, shared"
    )


def test_deprecated_provider_iam_keys_map_to_the_same_spec(env: Env):
    manifest = env.load(
        "service: svc\nprovider:\n  name: aws\n  iamRoleStatements:\n"
        "    - {Effect: Allow, Action: s3:*, Resource: '*'}\n"
        "  iamManagedPolicies:\n    - arn:aws:iam::aws:policy/ReadOnlyAccess\n"
    )
    assert manifest.provider.iam.statements == ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"},)
    assert manifest.provider.iam.managed_policies == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    assert manifest.provider.iam.mode == "perFunction"
    assert any("iamRoleStatements is deprecated" in note for note in manifest.notes)


def test_function_iam_statements_both_styles(env: Env):
    text = with_function(
        "iam:\n  role:\n    statements:\n      - {Effect: Allow, Action: s3:GetObject, Resource: '*'}\n"
        "iamRoleStatements:\n  - {Effect: Allow, Action: sqs:SendMessage, Resource: '*'}\n",
        provider="iam:\n  role:\n    mode: shared\n",
    )
    iam = env.load(text).functions["api"].iam
    assert [s["Action"] for s in iam.statements] == ["s3:GetObject", "sqs:SendMessage"]
    assert iam.mode == "shared"
    problem = env.problem(with_function("iam:\n  role:\n    mode: shared\n"))
    assert problem.startswith("serverless.yml:9:9 functions.api.iam.role.mode: unknown key 'mode'")
