"""botocore session and clients: profile, region, `AWS_ENDPOINT_URL`, the local emulator.

The only package that imports boto3/botocore is `fnship.aws`; everything else asks this layer by intent.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from fnship.frozen import frozen

if TYPE_CHECKING:  # boto3-stubs: the typed clients of the services fnship calls (mypy only; boto3 loads lazily)
    import botocore.loaders
    import botocore.session
    from botocore.client import BaseClient
    from botocore.config import _RetryDict
    from mypy_boto3_apigateway.client import APIGatewayClient
    from mypy_boto3_apigatewayv2.client import ApiGatewayV2Client
    from mypy_boto3_cloudformation.client import CloudFormationClient
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_ecr.client import ECRClient
    from mypy_boto3_events.client import EventBridgeClient
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_lambda.client import LambdaClient
    from mypy_boto3_logs.client import CloudWatchLogsClient
    from mypy_boto3_pricing.client import PricingClient
    from mypy_boto3_resourcegroupstaggingapi.client import ResourceGroupsTaggingAPIClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_ssm.client import SSMClient
    from mypy_boto3_sts.client import STSClient

    from fnship.aws.limits import RateLimiter

LOCAL_ENDPOINT = "http://127.0.0.1:4566"
MAX_POOL_CONNECTIONS = 128
LOCAL_ACCOUNT_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@frozen
class Target:
    """Where AWS calls go: region, profile, and an endpoint when talking to an emulator."""

    region: str
    profile: str | None = None
    endpoint_url: str | None = None
    local: bool = False


# Which target each client we made talks to, so a failed call can say which profile and region it used
# (a boto3 client does not remember its session's profile). Weak: a client's entry goes with the client.
_CLIENT_TARGETS: weakref.WeakKeyDictionary[object, Target] = weakref.WeakKeyDictionary()


def target_of(client: object) -> Target | None:
    try:
        return _CLIENT_TARGETS.get(client)
    except TypeError:  # not weak-referenceable: not one of our clients
        return None


def local_requested(flag: bool) -> bool:
    """`--local` or `FN_LOCAL=1` points fnship at the embedded emulator."""
    return flag or os.environ.get("FN_LOCAL", "").lower() in ("1", "true", "yes")


# botocore's loader of service models (endpoints, API and paginator definitions: JSON it parses on first use), one
# per data path, shared by every session of this process: a command that makes several sessions (another region,
# the local emulator) or a process that runs many commands (tests) parses each model once, not per session.
_LOADERS: dict[str, botocore.loaders.Loader] = {}
_LOADERS_LOCK = threading.Lock()


def _model_loader(data_path: str | None) -> botocore.loaders.Loader:
    """botocore's model loader for `data_path`, except in one respect: before loading any model, botocore's lists
    "the available services" for that kind of model (service-2, endpoint-rule-set-1, paginators-1, waiters-2),
    which stats every version directory of its ~450 services: some 10-20 ms per kind, half the CPU of making a
    command's clients. It asks only whether the service is among them, then reads that service's own directory,
    which says DataNotFoundError when the model is not there (UnknownServiceError is one). So every service
    directory is listed here, without looking inside: what botocore loads, and the errors it gives, stay the same."""
    import botocore.loaders

    class ModelLoader(botocore.loaders.Loader):
        @botocore.loaders.instance_cache
        def list_available_services(self, type_name: str) -> list[str]:
            services: set[str] = set()
            for path in self.search_paths:
                if os.path.isdir(path):
                    with os.scandir(path) as entries:
                        services.update(entry.name for entry in entries if entry.is_dir())
            return sorted(services)

    class MarshalledModels(botocore.loaders.JSONFileLoader):
        """botocore's JSON model files, each parsed once per machine (service_models.parsed_model)."""

        def load_file(self, file_path: str) -> object:
            from fnship.aws.service_models import parsed_model

            for ext in (".json", ".json.gz"):  # botocore's own order
                if os.path.isfile(file_path + ext):
                    return parsed_model(Path(file_path + ext))
            return None

    paths = botocore.loaders.create_loader(data_path).search_paths
    return ModelLoader(
        extra_search_paths=list(paths), include_default_search_paths=False, file_loader=MarshalledModels()
    )


def _botocore_session(profile: str | None = None) -> botocore.session.Session:
    """A new botocore session (credentials, profile and configuration of its own) with the shared model loader.
    An unknown `profile` raises ProfileNotFound here, as boto3's own session would."""
    import botocore.session

    session = botocore.session.Session(profile=profile)
    data_path = session.get_config_variable("data_path")
    with _LOADERS_LOCK:
        loader = _LOADERS.get(data_path)
        if loader is None:
            loader = _LOADERS[data_path] = _model_loader(data_path)
    session.register_component("data_loader", loader)
    return session


class Clients:
    """Lazily created, cached clients for one target. Clients are thread-safe; creating them is not."""

    def __init__(self, target: Target, *, limiter: RateLimiter | None = None) -> None:
        self.target = target
        self._limiter = limiter
        self._lock = threading.Lock()
        self._clients: dict[str, BaseClient] = {}
        self._session: botocore.session.Session | None = None

    def _make_session(self) -> botocore.session.Session:
        """A botocore session for the target (boto3's own adds only what fnship does not use: resources, S3
        transfers; not importing it saves every command some 15 ms)."""
        from botocore.exceptions import ProfileNotFound

        try:
            session = _botocore_session(None if self.target.local else self.target.profile)
        except ProfileNotFound as exc:
            import botocore.session

            from fnship.aws.errors import profile_in_use, profile_not_found

            # The profile may come from AWS_PROFILE: a session would fail on it again; a bare botocore session
            # lists the config files' profiles without resolving one.
            available = botocore.session.Session().available_profiles
            raise profile_not_found(profile_in_use(self.target.profile), available) from exc
        session.set_config_variable("region", self.target.region)
        if self.target.local:
            session.set_credentials(
                LOCAL_ACCOUNT_CREDENTIALS["aws_access_key_id"], LOCAL_ACCOUNT_CREDENTIALS["aws_secret_access_key"]
            )
        return session

    @property
    def limiter(self) -> RateLimiter | None:
        """The client-side rate limiter (fnship/aws/limits.py) every call of every client passes, shared by all
        handles on the same target; None for the local emulator, which has no quotas to keep. Made on first use:
        commands that make no call (`fn package`) do not import it."""
        if self._limiter is None and not self.target.local:
            from fnship.aws.limits import shared_limiter

            self._limiter = shared_limiter((self.target.region, self.target.profile, self.target.endpoint_url))
        return self._limiter

    @limiter.setter
    def limiter(self, limiter: RateLimiter | None) -> None:
        self._limiter = limiter

    def _session_made(self) -> botocore.session.Session:
        """The session, made on first use (callers hold the lock)."""
        if self._session is None:
            self._session = self._make_session()
        return self._session

    def access_key(self) -> str | None:
        """The access key id of this target's credentials (resolved as for any call); None when there are none or
        they cannot be resolved (the first call then says why, as a failed call does)."""
        from botocore.exceptions import BotoCoreError

        with self._lock:
            session = self._session_made()
        try:
            credentials = session.get_credentials()
            return credentials.access_key if credentials is not None else None  # (refreshable ones resolve here)
        except BotoCoreError:
            return None

    # (typed by overloads, as `client`: botocore's create_client is not)
    @overload
    def streaming_client(self, service: Literal["logs"]) -> CloudWatchLogsClient: ...
    @overload
    def streaming_client(self, service: str) -> BaseClient: ...
    def streaming_client(self, service: str) -> BaseClient:
        """A client for a streaming action (StartLiveTail): no retries of the long-lived call, and no `stream-`
        host prefix when an endpoint is overridden (an emulator or proxy has no such host)."""
        from botocore.config import Config

        with self._lock:
            session = self._session_made()
        overridden = bool(
            self.target.endpoint_url
            or os.environ.get("AWS_ENDPOINT_URL")
            or os.environ.get(f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}")
        )
        config = Config(
            retries={"mode": "standard", "max_attempts": 1},
            user_agent_extra="fnship",
            inject_host_prefix=not overridden,
            read_timeout=120,
        )
        return session.create_client(
            service, region_name=self.target.region, config=config, endpoint_url=self.target.endpoint_url
        )

    @overload
    def one_shot_client(self, service: Literal["pricing"]) -> PricingClient: ...
    @overload
    def one_shot_client(self, service: str) -> BaseClient: ...
    def one_shot_client(self, service: str) -> BaseClient:
        """A client that tries once with short timeouts, for calls that have a fallback (the Price List API)."""
        from botocore.config import Config

        with self._lock:
            session = self._session_made()
        config = Config(
            retries={"mode": "standard", "max_attempts": 1},
            user_agent_extra="fnship",
            connect_timeout=5,
            read_timeout=20,
        )
        made = session.create_client(
            service, region_name=self.target.region, config=config, endpoint_url=self.target.endpoint_url
        )
        _CLIENT_TARGETS[made] = self.target
        return made

    def _retries(self, session: botocore.session.Session) -> _RetryDict:
        """Standard retries, 5 after the first attempt, unless the user set their own number of attempts
        (`AWS_MAX_ATTEMPTS` or the profile's `max_attempts`), which every AWS SDK honours: an explicit
        `max_attempts` in the client's config would override it."""
        retries: _RetryDict = {"mode": "standard"}
        if session.get_config_variable("max_attempts") is None:
            retries["max_attempts"] = 5
        return retries

    def prepare(self, services: Sequence[str]) -> None:
        """Make the clients of `services` now (a client's service model takes milliseconds of CPU to load), so a
        round of calls that needs them later is not held back by their making."""
        for service in services:
            self.client(service)

    # The typed client of each service fnship calls (boto3-stubs), by its name.
    @overload
    def client(self, service: Literal["apigateway"]) -> APIGatewayClient: ...
    @overload
    def client(self, service: Literal["apigatewayv2"]) -> ApiGatewayV2Client: ...
    @overload
    def client(self, service: Literal["cloudformation"]) -> CloudFormationClient: ...
    @overload
    def client(self, service: Literal["cloudwatch"]) -> CloudWatchClient: ...
    @overload
    def client(self, service: Literal["ecr"]) -> ECRClient: ...
    @overload
    def client(self, service: Literal["events"]) -> EventBridgeClient: ...
    @overload
    def client(self, service: Literal["iam"]) -> IAMClient: ...
    @overload
    def client(self, service: Literal["lambda"]) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["logs"]) -> CloudWatchLogsClient: ...
    @overload
    def client(self, service: Literal["resourcegroupstaggingapi"]) -> ResourceGroupsTaggingAPIClient: ...
    @overload
    def client(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    def client(self, service: Literal["scheduler"]) -> EventBridgeSchedulerClient: ...
    @overload
    def client(self, service: Literal["sns"]) -> SNSClient: ...
    @overload
    def client(self, service: Literal["sqs"]) -> SQSClient: ...
    @overload
    def client(self, service: Literal["ssm"]) -> SSMClient: ...
    @overload
    def client(self, service: Literal["sts"]) -> STSClient: ...
    @overload
    def client(self, service: str) -> BaseClient: ...
    def client(self, service: str) -> BaseClient:
        existing = self._clients.get(service)  # (made already: no wait while another client is being made)
        if existing is not None:
            return existing
        with self._lock:
            existing = self._clients.get(service)
            if existing is not None:
                return existing
            from botocore.config import Config

            session = self._session_made()
            # As many pooled connections as the planner has reads in flight (plan/live.py READ_WORKERS): botocore's
            # default of 10 would queue a round of reads behind each other.
            config = Config(
                retries=self._retries(session),
                user_agent_extra="fnship",
                max_pool_connections=MAX_POOL_CONNECTIONS,
            )
            made = session.create_client(
                service, region_name=self.target.region, config=config, endpoint_url=self.target.endpoint_url
            )
            if self.limiter is not None:
                from fnship.aws.limits import register

                register(made, self.limiter)
            self._clients[service] = made
            _CLIENT_TARGETS[made] = self.target
            return made
