"""boto3 session and clients: profile, region, `AWS_ENDPOINT_URL`, the local emulator.

The only package that imports boto3/botocore is `fnship.aws`; everything else asks this layer by intent.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from typing import Any

from fnship.frozen import frozen

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
_CLIENT_TARGETS: weakref.WeakKeyDictionary[Any, Target] = weakref.WeakKeyDictionary()


def target_of(client: Any) -> Target | None:
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
_LOADERS: dict[Any, Any] = {}
_LOADERS_LOCK = threading.Lock()


def _model_loader(data_path: str | None) -> Any:
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

    paths = botocore.loaders.create_loader(data_path).search_paths
    return ModelLoader(extra_search_paths=list(paths), include_default_search_paths=False)


def _botocore_session(profile: str | None = None) -> Any:
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
    """Lazily created, cached boto3 clients for one target. Clients are thread-safe; creating them is not."""

    def __init__(self, target: Target, *, limiter: Any = None) -> None:
        self.target = target
        self._limiter = limiter
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._session: Any = None

    def _make_session(self) -> Any:
        import boto3
        from botocore.exceptions import ProfileNotFound

        if self.target.local:
            return boto3.session.Session(
                region_name=self.target.region, botocore_session=_botocore_session(), **LOCAL_ACCOUNT_CREDENTIALS
            )
        try:
            return boto3.session.Session(
                profile_name=self.target.profile,
                region_name=self.target.region,
                botocore_session=_botocore_session(self.target.profile),
            )
        except ProfileNotFound as exc:
            import botocore.session

            from fnship.aws.errors import profile_in_use, profile_not_found

            # The profile may come from AWS_PROFILE: a boto3 session would fail on it again; a bare botocore
            # session lists the config files' profiles without resolving one.
            available = botocore.session.Session().available_profiles
            raise profile_not_found(profile_in_use(self.target.profile), available) from exc

    @property
    def limiter(self) -> Any:
        """The client-side rate limiter (fnship/aws/limits.py) every call of every client passes, shared by all
        handles on the same target; None for the local emulator, which has no quotas to keep. Made on first use:
        commands that make no call (`fn package`) do not import it."""
        if self._limiter is None and not self.target.local:
            from fnship.aws.limits import shared_limiter

            self._limiter = shared_limiter((self.target.region, self.target.profile, self.target.endpoint_url))
        return self._limiter

    @limiter.setter
    def limiter(self, limiter: Any) -> None:
        self._limiter = limiter

    def streaming_client(self, service: str) -> Any:
        """A client for a streaming action (StartLiveTail): no retries of the long-lived call, and no `stream-`
        host prefix when an endpoint is overridden (an emulator or proxy has no such host)."""
        from botocore.config import Config

        with self._lock:
            if self._session is None:
                self._session = self._make_session()
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
        kwargs: dict[str, Any] = {"config": config}
        if self.target.endpoint_url:
            kwargs["endpoint_url"] = self.target.endpoint_url
        return self._session.client(service, **kwargs)

    def one_shot_client(self, service: str) -> Any:
        """A client that tries once with short timeouts, for calls that have a fallback (the Price List API)."""
        from botocore.config import Config

        with self._lock:
            if self._session is None:
                self._session = self._make_session()
        config = Config(
            retries={"mode": "standard", "max_attempts": 1},
            user_agent_extra="fnship",
            connect_timeout=5,
            read_timeout=20,
        )
        kwargs: dict[str, Any] = {"config": config}
        if self.target.endpoint_url:
            kwargs["endpoint_url"] = self.target.endpoint_url
        made = self._session.client(service, **kwargs)
        _CLIENT_TARGETS[made] = self.target
        return made

    def _retries(self) -> dict[str, Any]:
        """Standard retries, 5 after the first attempt, unless the user set their own number of attempts
        (`AWS_MAX_ATTEMPTS` or the profile's `max_attempts`), which every AWS SDK honours: an explicit
        `max_attempts` in the client's config would override it."""
        retries: dict[str, Any] = {"mode": "standard"}
        if self._session._session.get_config_variable("max_attempts") is None:  # the botocore session's store
            retries["max_attempts"] = 5
        return retries

    def prepare(self, services: Sequence[str]) -> None:
        """Make the clients of `services` now (a client's service model takes milliseconds of CPU to load), so a
        round of calls that needs them later is not held back by their making."""
        for service in services:
            self.client(service)

    def client(self, service: str) -> Any:
        existing = self._clients.get(service)  # (made already: no wait while another client is being made)
        if existing is not None:
            return existing
        with self._lock:
            existing = self._clients.get(service)
            if existing is not None:
                return existing
            from botocore.config import Config

            if self._session is None:
                self._session = self._make_session()
            # As many pooled connections as the planner has reads in flight (plan/live.py READ_WORKERS): botocore's
            # default of 10 would queue a round of reads behind each other.
            config = Config(
                retries=self._retries(),
                user_agent_extra="fnship",
                max_pool_connections=MAX_POOL_CONNECTIONS,
            )
            kwargs: dict[str, Any] = {"config": config}
            if self.target.endpoint_url:
                kwargs["endpoint_url"] = self.target.endpoint_url
            made = self._session.client(service, **kwargs)
            if self.limiter is not None:
                from fnship.aws.limits import register

                register(made, self.limiter)
            self._clients[service] = made
            _CLIENT_TARGETS[made] = self.target
            return made
