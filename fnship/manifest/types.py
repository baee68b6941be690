"""The validated, fully resolved manifest as typed, frozen data.

Pure: no AWS, no filesystem. Every value here is already resolved (no `${...}` left) and validated.
`raw` keeps the resolved mapping so later stages can read sections the typed view does not cover yet,
and `Manifest.locate()` points any key path back to its file:line:col for error messages.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, TypeVar, Union

from fnship.errors import Location
from fnship.frozen import frozen
from fnship.jsonvalue import JsonMapping, JsonScalar
from fnship.secret import Secret

if TYPE_CHECKING:
    from fnship.manifest.intrinsics import StackValue
    from fnship.manifest.platform import CapacityProviderSpec, DurableSpec, FunctionCapacity
    from fnship.manifest.release import ReleaseSettings
    from fnship.manifest.resources import FnshipReference

KeyPath = tuple[str | int, ...]
# A manifest value as parsed and resolved: JSON-shaped, except that a `${ssm:}` SecureString stays a Secret (so it is
# never printed). Readers narrow with isinstance (or a Checker's want_*) before use.
Value: TypeAlias = Union[JsonScalar, Secret, "ValueMap", "ValueList"]
ValueMap: TypeAlias = dict[str, Value]
ValueList: TypeAlias = list[Value]

DEFAULT_STAGE = "dev"
DEFAULT_REGION = "us-east-1"
DEFAULT_RUNTIME = "python3.12"
DEFAULT_MEMORY_MB = 1024
DEFAULT_TIMEOUT_S = 6
DEFAULT_ARCHITECTURE = "x86_64"
DEFAULT_EPHEMERAL_MB = 512
DEFAULT_ALIAS = "live"


@frozen
class PackageSpec:
    """`package:` (service-wide or per function). `patterns` are in Serverless order, `!` negates."""

    patterns: tuple[str, ...] = ()
    individually: bool = False
    artifact: str | None = None  # a prebuilt zip path, used as is


@frozen
class IamSpec:
    """`provider.iam.role` (or a function's `iam.role`): inline statements as IAM JSON dicts."""

    statements: tuple[JsonMapping, ...] = ()
    managed_policies: tuple[str, ...] = ()
    permissions_boundary: str | None = None
    role_arn: str | None = None  # `provider.iam.role: arn:...`: use this role, create none
    mode: str = "perFunction"  # or "shared"


class EventSettings:
    """What every event type's typed spec is: a frozen dataclass of its trigger module (fnship/triggers/<type>.py:
    `SqsEvent`, `RuleEvent`, ...) derives from this. A base class rather than a union of them all, so a new trigger
    type stays one module and one line of the trigger table."""

    __slots__ = ()


E = TypeVar("E", bound=EventSettings)


@frozen
class EventSpec:
    """One validated entry of `functions.<key>.events` (or the function's `url:`), normalized.

    `type` is the Serverless event type (`httpApi`, `sqs`, ...) and the key into the trigger tables; `settings` is
    the event's typed spec (its trigger module's `EventSettings` dataclass) in the model's vocabulary with AWS
    defaults filled in. `index` is the position under `events:` (-1 for `url:`).
    """

    type: str
    index: int
    settings: EventSettings

    def settings_as(self, settings_type: builtins.type[E]) -> E:  # (`type` is a field here)
        """The typed settings, checked to be of the event type's class (a reader that expected another type's is a
        programming error)."""
        assert isinstance(self.settings, settings_type), (
            f"a {self.type} event has no {settings_type.__name__} settings: {self.settings!r}"
        )
        return self.settings


@frozen
class Cors:
    """CORS for an HTTP API or a function URL (`cors: true` or its mapping), with the Serverless defaults."""

    allow_origins: tuple[str, ...]
    allow_headers: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_credentials: bool
    expose_headers: tuple[str, ...]
    max_age: int | None


@frozen
class JwtAuthorizer:
    """A `provider.httpApi.authorizers.<name>` JWT authorizer."""

    identity_source: tuple[str, ...]
    issuer: str
    audience: tuple[str, ...]


@frozen
class RequestAuthorizer:
    """A `provider.httpApi.authorizers.<name>` Lambda (`type: request`) authorizer: a function of this service
    (`functionName`) or one by ARN (`functionArn`)."""

    function_key: str | None
    function_arn: str | None
    identity_source: tuple[str, ...]
    ttl: int  # resultTtlInSeconds (0: no caching)
    simple_responses: bool  # enableSimpleResponses: the function answers {"isAuthorized": bool, "context": {}}
    payload_version: str  # "1.0" | "2.0"
    managed_externally: bool = False  # by ARN: its statement for API Gateway is someone else's to make


@frozen
class FunctionSettings:
    """Function settings that come with triggers: network, tracing, async invoke handling, encryption."""

    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    tracing: str | None = None  # "Active" | "PassThrough" | None (not set: AWS's PassThrough)
    dead_letter_arn: str | None = None  # `onError`: an SNS topic or SQS queue ARN
    on_success: str | None = None  # `destinations.onSuccess`: an ARN, or `function:<key>` of this service
    on_failure: str | None = None
    maximum_retry_attempts: int | None = None  # async invokes, 0-2
    maximum_event_age: int | None = None  # async invokes, 60-21600 s
    kms_key_arn: str | None = None

    @property
    def vpc(self) -> bool:
        return bool(self.subnet_ids)

    @property
    def async_config(self) -> bool:
        """True when the function's async invoke config (retries, age, destinations) is set."""
        return any(
            value is not None
            for value in (self.on_success, self.on_failure, self.maximum_retry_attempts, self.maximum_event_age)
        )


@frozen
class LoggingSettings:
    """`logs:` of a function over `provider.logs.lambda`: Lambda's LoggingConfig and the log group's class."""

    log_format: str = "Text"  # JSON | Text
    application_log_level: str | None = None  # JSON only; unset: Lambda's INFO
    system_log_level: str | None = None  # JSON only; unset: Lambda's INFO
    log_group: str | None = None  # None: /aws/lambda/<function name>
    log_group_class: str | None = None  # STANDARD | INFREQUENT_ACCESS; None: STANDARD


@frozen
class RuntimeManagement:
    """`runtimeManagement:` as PutRuntimeManagementConfig wants it."""

    mode: str = "Auto"  # Auto | FunctionUpdate | Manual
    runtime_version_arn: str | None = None  # Manual only


@frozen
class LambdaSettings:
    """A function's newer Lambda settings (fnship/manifest/lambda_settings.py); unset ones are None."""

    snap_start: bool = False
    logging: LoggingSettings | None = None
    recursive_loop: str | None = None  # Allow | Terminate
    runtime_management: RuntimeManagement | None = None
    tenancy: str | None = None  # PER_TENANT


@frozen
class HttpApiSpec:
    """`provider.httpApi`: CORS for the whole HTTP API and its JWT authorizers by name."""

    cors: Cors | None = None
    authorizers: Mapping[str, JwtAuthorizer | RequestAuthorizer] = field(default_factory=dict)
    api_id: str | None = None  # `provider.httpApi.id`: routes go on this existing API, which fnship does not own
    # `provider.httpApi.payload` (or a function's `httpApi.payload`, which wins for its routes): the event format
    # API Gateway sends the Lambda integration, "2.0" unless set, as in Serverless v3.
    payload_format: str = "2.0"


@frozen
class RequestSchema:
    """A model of the REST API for `request.schemas`: given inline, or by its key under
    `provider.apiGateway.request.schemas` (`ref`, until resolved)."""

    name: str | None = None  # letters and digits
    schema: str | None = None  # compact JSON
    description: str | None = None
    ref: str | None = None


@frozen
class ApiKeySpec:
    """A `provider.apiGateway.apiKeys` entry: an API key of the REST API's usage plans (`plans`: the names of the
    `usagePlan` entries it belongs to; "" is the one plan of a `usagePlan` mapping)."""

    name: str
    value: Secret | None = None  # None: API Gateway generates it
    description: str | None = None
    customer_id: str | None = None
    enabled: bool = True
    plans: tuple[str, ...] = ("",)


@frozen
class UsagePlanSpec:
    """A `provider.apiGateway.usagePlan` plan ("" names the one plan of a mapping) on the REST API's stage."""

    name: str
    quota: tuple[int, int, str] | None = None  # limit, offset, period (DAY | WEEK | MONTH)
    throttle: tuple[int, float] | None = None  # burstLimit, rateLimit


@frozen
class RestApiLogs:
    """`provider.logs.restApi`, with Serverless v3's defaults."""

    access_format: str | None  # the access log line's format; None: access logging off
    level: str  # execution logging: INFO | ERROR | OFF
    full_data: bool  # execution logs carry the full requests and responses (dataTrace)
    retention_days: int | None  # provider.logRetentionInDays, for the access log group
    role: str | None = None  # the CloudWatch role to give API Gateway's account settings when none is set
    role_managed_externally: bool = False  # leave the account's CloudWatch role alone


@frozen
class RestApiSettings:
    """`provider.apiGateway` (and `provider.logs.restApi`, `provider.tracing.apiGateway`): the service's REST API
    and its stage, as Serverless v3 configures them."""

    description: str | None = None
    binary_media_types: tuple[str, ...] = ()
    minimum_compression_size: int | None = None
    policy: str | None = None  # the resource policy document (compact JSON)
    name_starts_with_service: bool = False  # `{service}-{stage}` instead of `{stage}-{service}`
    tracing: bool = False  # X-Ray tracing on the stage
    models: Mapping[str, RequestSchema] = field(default_factory=dict)  # provider.apiGateway.request.schemas
    # serverless-api-gateway-throttling: whether it is listed (events may then say `throttling`), and the stage's
    # throttle (burstLimit, rateLimit) from custom.apiGatewayThrottling.
    throttling_plugin: bool = False
    throttle: tuple[int, float] | None = None
    api_keys: tuple[ApiKeySpec, ...] = ()
    usage_plans: tuple[UsagePlanSpec, ...] = ()  # a default plan when there are API keys but no usagePlan
    # provider.apiGateway.restApiId: an existing REST API the methods go on (fnship neither changes its settings
    # nor deletes it), with restApiRootResourceId and restApiResources (path -> resource id) as v3 reads them.
    existing_id: str | None = None
    logs: RestApiLogs | None = None  # provider.logs.restApi
    root_resource_id: str | None = None
    existing_paths: Mapping[str, str] = field(default_factory=dict)


@frozen
class FunctionSpec:
    key: str  # the logical name under `functions:`
    name: str  # the physical Lambda name: `{service}-{stage}-{key}` unless `name:` is set
    handler: str | None
    runtime: str
    memory_size: int
    timeout: int
    architecture: str
    description: str
    environment: Mapping[str, str | Secret]
    ephemeral_storage: int
    reserved_concurrency: int | None
    layers: tuple[str, ...]
    tags: Mapping[str, str]
    iam: IamSpec
    package: PackageSpec
    log_retention_days: int | None
    raw: Mapping[str, Value] = field(default_factory=dict)  # the resolved `functions.<key>` mapping
    events: tuple[EventSpec, ...] = ()  # validated triggers, `url:` included (type "url")
    settings: FunctionSettings = field(default_factory=FunctionSettings)
    lambda_settings: LambdaSettings = field(default_factory=LambdaSettings)
    durable: DurableSpec | None = None  # `durableConfig`; None: not a durable function
    capacity: FunctionCapacity | None = None  # `capacityProvider`; None: Lambda's own fleet


@frozen
class ProviderSpec:
    name: str
    runtime: str
    region: str
    stage: str
    profile: str | None
    memory_size: int
    timeout: int
    architecture: str
    environment: Mapping[str, str | Secret]
    tags: Mapping[str, str]
    log_retention_days: int | None
    version_functions: bool
    deployment_bucket: str | None
    iam: IamSpec
    raw: Mapping[str, Value] = field(default_factory=dict)
    http_api: HttpApiSpec = field(default_factory=HttpApiSpec)
    rest_api: RestApiSettings = field(default_factory=RestApiSettings)


@frozen
class CompanionStack:
    """`resources:` as the template fnship deploys as the service's CloudFormation stack (manifest/resources.py):
    references to fnship's own resources rewritten into parameters (parameter -> resources.FnshipReference), and
    where each template entry was written (`Template.origin`)."""

    template: ValueMap
    references: Mapping[str, FnshipReference]
    origin: Mapping[tuple[str, ...], KeyPath]

    def manifest_path(self, template_path: Sequence[str | int]) -> KeyPath:
        return origin_path(self.origin, template_path)


def origin_path(origin: Mapping[tuple[str, ...], KeyPath], template_path: Sequence[str | int]) -> KeyPath:
    """Where a template path (`["Resources", "Q", "Properties", "X"]`) was written in the manifest, by the origin
    of its entry (section, logical id) or its section."""
    for end in (2, 1):
        head = tuple(str(part) for part in template_path[:end])
        if head in origin:
            return (*origin[head], *template_path[end:])
    return ("resources",)


@frozen
class Manifest:
    path: Path  # the manifest file
    service: str
    stage: str
    region: str
    provider: ProviderSpec
    functions: Mapping[str, FunctionSpec]
    package: PackageSpec
    custom: Mapping[str, Value]
    plugins: tuple[str, ...]
    raw: Mapping[str, Value]
    notes: tuple[str, ...] = ()  # info lines for the user (plugins handled natively, ...)
    artifacts: ArtifactsSpec = field(default_factory=lambda: ArtifactsSpec())
    # function key -> its release settings (deployment, deploymentSettings, provisionedConcurrency)
    releases: Mapping[str, ReleaseSettings] = field(default_factory=dict)
    locator: Callable[[KeyPath], Location | None] = field(default=lambda _path: None, repr=False, compare=False)
    stack: CompanionStack | None = None  # `resources:`, deployed as the companion stack
    # Intrinsic functions where fnship reads a value (manifest/intrinsics.py StackValue), which the stack decides.
    stack_values: tuple[StackValue, ...] = ()
    # `provider.capacityProviders`: key -> its manifest.platform.CapacityProviderSpec (Lambda Managed Instances)
    capacity_providers: Mapping[str, CapacityProviderSpec] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The service directory: paths in the manifest are relative to it."""
        return self.path.parent

    def locate(self, path: KeyPath) -> Location | None:
        """file:line:col of the value at `path` (or of its nearest located ancestor)."""
        return self.locator(path)


@frozen
class Lookups:
    """What variable resolution may ask of the outside world, injected so the manifest never imports boto3.

    `ssm(name, region=, profile=)` returns (value, is_secure_string) or raises KeyError when the parameter does not
    exist; `account_id(region=, profile=)`. Both are asked in the deployment's region with `provider.profile`.
    `stack_outputs(stack, region=, profile=)` returns a stack's outputs (None: no such stack), `s3_object(bucket,
    key, region=, profile=)` an object's text (None: no such key); None when the caller gives no AWS access.
    """

    ssm: Callable[..., tuple[str, bool]]
    account_id: Callable[..., str]
    stack_outputs: Callable[..., dict[str, str] | None] | None = None
    s3_object: Callable[..., str | None] | None = None


# -- artifacts: dependencies, layers, container images (validated in manifest/artifacts.py) -----------------------
@frozen
class LayerSpec:
    """A top-level `layers.<key>`: a directory (zipped under `python/` unless it already has one) or the
    requirements it holds. `key` is also how functions reference it (`layers: [key]` or `{Ref: KeyLambdaLayer}`)."""

    key: str
    name: str  # the physical layer name: `name:` or `{service}-{stage}-{key}`
    path: str  # relative to the service directory
    description: str = ""
    compatible_runtimes: tuple[str, ...] = ()
    compatible_architectures: tuple[str, ...] = ()
    retain: bool = False


@frozen
class ImageSpec:
    """`provider.ecr.images.<name>`: built with a container engine when `path/file` exists, else assembled by
    fnship from the Lambda base image; or a prebuilt `uri` used as is."""

    name: str
    path: str | None = None
    file: str = "Dockerfile"
    build_args: Mapping[str, str] = field(default_factory=dict)
    platform: str | None = None
    uri: str | None = None


@frozen
class FunctionImage:
    """A function's `image:`: which image, and the ImageConfig overrides."""

    image: str  # a key of provider.ecr.images, or an image URI
    command: tuple[str, ...] = ()
    entry_point: tuple[str, ...] = ()
    working_directory: str | None = None


@frozen
class EsbuildOptions:
    """`build.esbuild` (Serverless Framework v4), or serverless-esbuild's `custom.esbuild`, over v4's defaults."""

    bundle: bool = True
    minify: bool = False
    sourcemap: str | bool = False  # true | linked | inline | external | both
    external: tuple[str, ...] = ()  # left out of the bundle, installed as dependencies
    exclude: tuple[str, ...] = ("@aws-sdk/*",)  # left out and not installed: the Node.js runtimes ship SDK v3
    target: str | None = None  # default: the function's Node.js version (node22)
    platform: str = "node"
    format: str = "cjs"  # cjs | esm
    concurrency: int = 3
    tsconfig: str | None = None

    def key_material(self) -> list[str]:
        return [json.dumps({k: v for k, v in vars(self).items() if k != "concurrency"}, sort_keys=True, default=str)]


@frozen
class BuildSpec:
    """How dependencies are built: `provider.build`, `package.dependencies`, `custom.pythonRequirements`."""

    container: str = "auto"  # auto | always | never
    build_image: str | None = None  # overrides public.ecr.aws/sam/build-python3.X:latest-<arch>
    base_image: str | None = None  # overrides public.ecr.aws/lambda/python:3.X for assembled images
    dependencies: str = "function"  # function (in each zip) | layer (one layer for every function) | none
    requirements_file: str | None = None  # custom.pythonRequirements.fileName
    no_deploy: tuple[str, ...] = ()
    # Top-level `build:` (Serverless Framework v4): `esbuild` bundles every Node.js function (with no `build`, only
    # TypeScript handlers are); `go` / `rust` compile a provided.* function's bootstrap.
    compiler: str | None = None  # esbuild | go | rust | None
    esbuild: EsbuildOptions = field(default_factory=EsbuildOptions)  # build.esbuild (or serverless-esbuild)
    esbuild_off: bool = False  # `build: {esbuild: false}`: nothing is bundled, TypeScript included


@frozen
class ArtifactsSpec:
    layers: Mapping[str, LayerSpec] = field(default_factory=dict)
    images: Mapping[str, ImageSpec] = field(default_factory=dict)
    function_images: Mapping[str, FunctionImage] = field(default_factory=dict)  # function key -> image
    function_layers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # key -> layer keys or ARNs
    build: BuildSpec = field(default_factory=BuildSpec)
