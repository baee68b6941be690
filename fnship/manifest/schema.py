"""What a serverless.yml may say: allowed keys per section, Lambda limits, runtimes, plugins. Pure data."""

from __future__ import annotations

import re

TOP_LEVEL_KEYS = frozenset(
    {
        "service",
        "frameworkVersion",
        "provider",
        "functions",
        "package",
        "custom",
        "params",
        "plugins",
        "layers",
        "deployment",
        "resources",
        "build",  # Serverless Framework v4: esbuild bundling (and fnship's go / rust builds)
        # Serverless Framework settings about its own behaviour: accepted and ignored.
        "configValidationMode",
        "variablesResolutionMode",
        "disabledDeprecations",
        "deprecationNotificationMode",
        "unresolvedVariablesNotificationMode",
        "useDotenv",
        "org",
        "app",
    }
)
IGNORED_TOP_LEVEL = {
    "org": "org: Serverless Dashboard settings are ignored by fnship",
    "app": "app: Serverless Dashboard settings are ignored by fnship",
}

PROVIDER_KEYS = frozenset(
    {
        "name",
        "runtime",
        "region",
        "stage",
        "profile",
        "memorySize",
        "timeout",
        "environment",
        "architecture",
        "tags",
        "logRetentionInDays",
        "versionFunctions",
        "deploymentBucket",
        "iam",
        "iamRoleStatements",  # deprecated form of iam.role.statements
        "iamManagedPolicies",  # deprecated form of iam.role.managedPolicies
        "role",  # deprecated form of iam.role (an ARN)
        "lambdaHashingVersion",  # Serverless v2: accepted with a notice (manifest/dialect.py)
        # Kept in `raw` for the stages that handle them.
        "tracing",
        "vpc",
        "kmsKeyArn",
        "ecr",
        "build",  # fnship: how dependencies are built (container auto|always|never, images)
        "httpApi",
        "layers",
        "logs",  # logs.lambda: every function's logging controls (manifest/lambda_settings.py)
        "capacityProviders",  # Lambda Managed Instances (Serverless v4; fnship/manifest/platform.py)
    }
)
PROVIDER_IAM_KEYS = frozenset({"role"})
ROLE_KEYS = frozenset({"name", "path", "statements", "managedPolicies", "permissionsBoundary", "tags", "mode"})
FUNCTION_ROLE_KEYS = frozenset({"statements", "managedPolicies", "permissionsBoundary"})
IAM_MODES = ("perFunction", "shared")
STATEMENT_KEYS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"})

FUNCTION_KEYS = frozenset(
    {
        "handler",
        "name",
        "description",
        "runtime",
        "memorySize",
        "timeout",
        "environment",
        "architecture",
        "ephemeralStorageSize",
        "reservedConcurrency",
        "layers",
        "tags",
        "iam",
        "role",
        "iamRoleStatements",  # serverless-iam-roles-per-function
        "iamRoleStatementsName",
        "iamRoleStatementsInherit",
        "iamPermissionsBoundary",
        "package",
        "events",
        "image",
        "logRetentionInDays",
        "httpApi",  # payload: the format of its HTTP API routes' events (Serverless v3)
        # Kept in `raw` for the stages that handle them.
        "url",
        "vpc",
        "tracing",
        "onError",
        "destinations",
        "maximumRetryAttempts",
        "maximumEventAge",
        "kmsKeyArn",
        "provisionedConcurrency",
        "deployment",
        "deploymentSettings",  # serverless-plugin-canary-deployments
        # Newer Lambda settings (manifest/lambda_settings.py).
        "snapStart",
        "logs",
        "recursiveLoop",
        "runtimeManagement",
        "tenancy",
        "durableConfig",  # durable execution (fnship/manifest/platform.py)
        "capacityProvider",  # Lambda Managed Instances (Serverless v4)
    }
)
PACKAGE_KEYS = frozenset(
    {"patterns", "individually", "artifact", "include", "exclude", "excludeDevDependencies", "dependencies"}
)

# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MEMORY_MB = (128, 10240)
TIMEOUT_S = (1, 900)
EPHEMERAL_MB = (512, 10240)
ENVIRONMENT_BYTES = 4096
MAX_LAYERS = 5
FUNCTION_NAME_MAX = 64
DESCRIPTION_MAX = 256
FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
SERVICE_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*$")
SERVICE_NAME_MAX = 128
STAGE_NAME = re.compile(r"^[a-zA-Z0-9-]+$")
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
HANDLER = re.compile(r"^[^\s]+\.[A-Za-z_$][A-Za-z0-9_$]*$")
# Each runtime family's handler form (fnship.runtimes.family): (pattern, form, example). `provided` runtimes
# pass the handler to their own bootstrap as `_HANDLER`: any value goes.
# https://docs.aws.amazon.com/lambda/latest/dg/java-handler.html, .../csharp-handler.html
HANDLER_FORMS = {
    "python": (HANDLER, "path/module.function", "e.g. src/app.handler (file src/app.py, function handler)"),
    "nodejs": (
        HANDLER,
        "path/module.export",
        "e.g. src/api.handler (file src/api.js, .mjs, .cjs or .ts, exporting handler)",
    ),
    "ruby": (HANDLER, "path/file.method", "e.g. app.handler (file app.rb, method handler)"),
    "java": (
        re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*(::[A-Za-z_$][\w$]*)?$"),
        "package.Class::method",
        "e.g. example.Handler::handleRequest",
    ),
    "dotnet": (
        re.compile(r"^[^:\s]+::[^:\s]+::[^:\s]+$"),
        "Assembly::Namespace.Class::Method",
        "e.g. MyApp::MyApp.Function::Handler",
    ),
}
ENV_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
RESERVED_ENV_PREFIX = "AWS_LAMBDA_"
NOT_RESERVED_ENV = frozenset({"AWS_LAMBDA_EXEC_WRAPPER"})  # documented as settable
ARCHITECTURES = ("x86_64", "arm64")
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256

SUPPORTED_PLUGINS = {
    "serverless-python-requirements": "plugin serverless-python-requirements: handled natively by fnship",
    "serverless-plugin-canary-deployments": (
        "plugin serverless-plugin-canary-deployments: deploymentSettings handled natively by fnship"
    ),
    "serverless-iam-roles-per-function": "plugin serverless-iam-roles-per-function: handled natively by fnship",
    "serverless-offline": "plugin serverless-offline: deploys nothing; `fn dev` runs the service locally",
    "serverless-dynamodb-local": (
        "plugin serverless-dynamodb-local: deploys nothing (a local DynamoDB for serverless-offline); ignored"
    ),
    "serverless-dotenv-plugin": (
        "plugin serverless-dotenv-plugin: .env files loaded natively, as the plugin loads them (custom.dotenv is read)"
    ),
    "serverless-pseudo-parameters": (
        "plugin serverless-pseudo-parameters: #{AWS::Region}, #{AWS::AccountId}, #{AWS::Partition} and "
        "#{AWS::URLSuffix} resolved natively (prefer ${aws:region} and ${aws:accountId})"
    ),
    "serverless-prune-plugin": (
        "plugin serverless-prune-plugin: fnship prunes old versions itself (deployment.keepVersions, default 10; "
        "custom.prune.number is read when custom.prune.automatic is true; layers are never pruned)"
    ),
    "serverless-esbuild": "plugin serverless-esbuild: fnship bundles with esbuild itself (custom.esbuild is read)",
    "serverless-plugin-typescript": (
        "plugin serverless-plugin-typescript: fnship bundles TypeScript handlers with esbuild itself "
        "(custom.serverlessPluginTypescript.tsConfigFileLocation is read)"
    ),
}
# Plugins whose job fnship does another way: refused, with the setting that replaces them.
REPLACED_PLUGINS = {
    "serverless-webpack": (
        "plugin serverless-webpack is not supported: fnship bundles Node.js functions with esbuild",
        "remove it and add `build: esbuild` (or `build: {esbuild: {minify: true, external: [...]}}`, the Serverless "
        "Framework v4 settings); custom.webpack is not read",
    ),
}

# What well-known plugins fnship does not run would have done, for the refusal (any other plugin: "changes the
# deployment in ways fnship cannot know"). From each plugin's own README.
UNSUPPORTED_PLUGINS = {
    "serverless-domain-manager": "creates API Gateway custom domain names and their base path mappings",
    "serverless-step-functions": "deploys Step Functions state machines and their triggers",
    "serverless-plugin-warmup": "deploys a warmer function that invokes the others on a schedule",
    "serverless-appsync-plugin": "deploys AppSync GraphQL APIs, data sources and resolvers",
    "serverless-plugin-aws-alerts": "creates CloudWatch alarms and SNS topics for the functions",
    "serverless-s3-sync": "uploads local directories to S3 buckets after the deploy",
    "serverless-finch": "deploys a static website to an S3 bucket",
    "serverless-wsgi": "packages a WSGI application (Flask, Django) behind a handler it adds",
    "serverless-plugin-split-stacks": "splits the CloudFormation stack into nested stacks",
    "serverless-plugin-tracing": "enables X-Ray tracing on functions (fnship reads `tracing:` itself)",
    "serverless-api-gateway-caching": "configures API Gateway stage caching",
    "serverless-add-api-key": "creates API Gateway API keys and usage plans",
    "serverless-plugin-log-subscription": "adds CloudWatch Logs subscription filters to every function",
    "serverless-stack-output": "writes the CloudFormation stack's outputs to a file",
    "serverless-export-env": "writes the functions' environment to a .env file",
    "serverless-plugin-scripts": "runs shell commands at deployment hooks",
    "serverless-certificate-creator": "creates ACM certificates",
    "serverless-apigw-binary": "sets binary media types on the REST API",
    "serverless-plugin-include-dependencies": "adds the Node.js modules a handler requires to its package",
    "serverless-plugin-optimize": "bundles and minifies Node.js functions with browserify",
    "serverless-layers": "builds the dependencies into a layer",
    "serverless-plugin-datadog": "adds the Datadog Lambda layers and forwarder subscriptions",
    "serverless-iam-helper": "adds IAM permissions from function settings",
    "serverless-plugin-ifelse": "changes the configuration by conditions at package time",
    "serverless-cloudside-plugin": "resolves CloudFormation references to deployed resources for local runs",
}
