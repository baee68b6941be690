"""A client-side rate limiter per AWS API family, sized to the published quotas, and adaptive retry of throttled
calls that honours the service's answer (`Retry-After`, TooManyRequestsException, botocore's throttling codes).

Lambda's control plane has fixed rates that cannot be raised
(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html#api-requests): GetFunction 100 requests
per second, GetPolicy 15, and "control plane API requests (excludes invocation, GetFunction, and GetPolicy
requests)" 15 per second: ONE budget that every other Lambda control-plane call spends, reads (ListAliases,
GetFunctionUrlConfig, ListEventSourceMappings, ...) and writes together. API Gateway's management API allows 10
requests per second with a burst of 40 per account
(https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). CloudWatch Logs documents 5 writes and
10 `Describe*` per second. IAM and the others publish no numbers: IAM writes get a conservative 10 per second
shared, IAM reads and anything else 50 per second per API (the adaptive retry below finds the real ceiling if that
is too much). Each family is a token bucket holding one second of its rate, so a command's first round goes out at
once and only a large service waits.

When AWS throttles anyway (another tool in the account spends the same budget), the family's rate is halved and
then recovers by a tenth of its quota per second, and the call is retried after `Retry-After` or a jittered
exponential back-off.

Interface for concurrent work (the planner's rounds, the executor's concurrent apply steps): every call made
through a client from `fnship.aws.session.Clients` passes `acquire` (a botocore `before-send` hook, so retries
and paginated pages count too) and `on_needs_retry`; code that runs steps in threads needs nothing more than to
use those clients. `acquire(service, operation)` can also be called directly to reserve a call, and `family` says
which budget an operation spends. Time is injected (`clock`, `sleep`, `jitter`), so this is tested in
milliseconds: moto enforces no quota.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.client import BaseClient

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Filter")
THROTTLE_ATTEMPTS = 8  # throttled calls are retried this often (other failures: botocore's standard retries)
BACKOFF_BASE_S = 0.25
BACKOFF_CAP_S = 20.0
MIN_RATE = 0.5  # requests per second a throttled family still gets
RECOVERY = 0.1  # of the quota regained per second after a throttle


@dataclass(frozen=True)
class Quota:
    rate: float  # requests per second
    burst: float  # the bucket's size: requests that may go out at once


def _per_second(rate: float, burst: float | None = None) -> Quota:
    return Quota(rate, burst if burst is not None else rate)


# Family name -> quota. Families are named `service:Operation` (one API), `service:writes` (a shared write budget),
# `lambda:control` (Lambda's one control-plane budget) or `service` (one budget for the whole service); see `family`.
QUOTAS: dict[str, Quota] = {
    "lambda:GetFunction": _per_second(100),
    "lambda:GetPolicy": _per_second(15),
    "lambda:control": _per_second(15),  # every other control-plane call, reads and writes, shares this one
    "apigateway": _per_second(10, 40),
    "iam:reads": _per_second(50),
    "iam:writes": _per_second(10),
    "logs:reads": _per_second(10),
    "logs:writes": _per_second(5),
    "default": _per_second(50),
}
# botocore's service ids (hyphenized, as its events name them) -> our service names
SERVICES = {
    "lambda": "lambda",
    "iam": "iam",
    "api-gateway": "apigateway",
    "apigatewayv2": "apigateway",
    "cloudwatch-logs": "logs",
}
UNLIMITED = frozenset({"lambda:Invoke", "lambda:InvokeWithResponseStream"})  # data plane: not the control plane


def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


def family(service: str, operation: str) -> tuple[str, Quota] | None:
    """The budget an operation spends: (bucket name, its quota); None when it is not limited."""
    ours = SERVICES.get(service, service)
    if f"{ours}:{operation}" in UNLIMITED:
        return None
    exact = QUOTAS.get(f"{ours}:{operation}")
    if exact is not None:
        return f"{ours}:{operation}", exact
    if ours == "apigateway":
        return "apigateway", QUOTAS["apigateway"]
    if ours == "lambda":
        return "lambda:control", QUOTAS["lambda:control"]
    if ours in ("iam", "logs"):
        if is_read(operation):
            # Reads: one bucket per API, of the service's read size.
            return f"{ours}:{operation}", QUOTAS[f"{ours}:reads"]
        return f"{ours}:writes", QUOTAS[f"{ours}:writes"]
    return f"{ours}:{operation}", QUOTAS["default"]


class _Bucket:
    def __init__(self, quota: Quota, now: float) -> None:
        self.quota = quota
        self.rate = quota.rate
        self.tokens = quota.burst
        self.updated = now

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.rate = min(self.quota.rate, self.rate + RECOVERY * self.quota.rate * elapsed)
        self.tokens = min(self.quota.burst, self.tokens + elapsed * self.rate)
        self.updated = now


class RateLimiter:
    """Token buckets per API family (see the module's docstring). Thread-safe."""

    def __init__(
        self,
        quotas: Mapping[str, Quota] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._quotas = dict(quotas or {})
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def family(self, service: str, operation: str) -> tuple[str, Quota] | None:
        found = family(service, operation)
        if found is not None and found[0] in self._quotas:
            return found[0], self._quotas[found[0]]
        return found

    def _bucket(self, name: str, quota: Quota) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = _Bucket(quota, self._clock())
        return bucket

    def acquire(self, service: str, operation: str) -> float:
        """Take one request from the operation's budget, waiting (the injected sleep) until there is one.
        Returns the seconds waited."""
        found = self.family(service, operation)
        if found is None:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                bucket = self._bucket(*found)
                bucket.refill(self._clock())
                if bucket.tokens >= 1 - 1e-9:  # (float rounding must not leave a waiter short by a hair)
                    bucket.tokens -= 1
                    return waited
                # Reserve nothing while asleep: whoever wakes first takes the next token.
                wait = (1 - bucket.tokens) / bucket.rate
            self._sleep(wait)
            waited += wait

    def throttled(self, service: str, operation: str, *, attempt: int, retry_after: float | None = None) -> float:
        """AWS throttled a call: halve the family's rate (it recovers over time) and return how long to wait
        before the retry: `Retry-After` when the answer gave one, else a jittered exponential back-off."""
        found = self.family(service, operation)
        if found is not None:
            with self._lock:
                bucket = self._bucket(*found)
                bucket.refill(self._clock())
                bucket.rate = max(MIN_RATE, bucket.rate / 2)
                bucket.tokens = min(bucket.tokens, 0.0)
        if retry_after is not None:
            return retry_after
        return self._jitter() * min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)

    # -- botocore hooks (see session.Clients) ---------------------------------------------------------------------

    def before_send(self, event_name: str = "", **_kwargs: object) -> None:
        """`before-send.<service>.<Operation>`: every HTTP attempt takes a token. Returns None (a value would
        stand for the response)."""
        _before, service, operation = (event_name.split(".", 2) + ["", ""])[:3]
        self.acquire(service, operation)

    def on_needs_retry(self, **kwargs: object) -> float | None:
        """`needs-retry.<service>`, registered before botocore's own handler: a throttled answer is retried here
        (after our wait, so botocore sleeps 0); anything else is left to botocore's standard retries."""
        from botocore.model import OperationModel
        from botocore.retries.standard import RetryEventAdapter, ThrottlingErrorDetector

        found_attempts, response, operation = kwargs.get("attempts"), kwargs.get("response"), kwargs.get("operation")
        attempts = found_attempts if isinstance(found_attempts, int) and found_attempts else 1
        if not isinstance(response, tuple) or attempts >= THROTTLE_ATTEMPTS:  # (http response, parsed answer)
            return None
        if not ThrottlingErrorDetector(RetryEventAdapter()).is_throttling_error(**kwargs):
            return None
        http_response, _parsed = response
        assert isinstance(operation, OperationModel), "botocore's needs-retry event names the operation"
        service = operation.service_model.service_id.hyphenize()
        delay = self.throttled(service, operation.name, attempt=attempts, retry_after=_retry_after(http_response))
        self._sleep(delay)
        return 0


def _retry_after(http_response: object) -> float | None:
    """The `Retry-After` header in seconds (Lambda's 429 carries it), or None."""
    value = (getattr(http_response, "headers", None) or {}).get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


_SHARED: dict[Hashable, RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(key: Hashable) -> RateLimiter:
    """One limiter per account target (region, profile, endpoint) in this process: every handle on the same
    target spends the same budgets, as AWS counts them."""
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = RateLimiter()
        return _SHARED[key]


def register(client: BaseClient, limiter: RateLimiter) -> None:
    """Put every call of a boto3 client through `limiter`."""
    events = client.meta.events
    service = client.meta.service_model.service_id.hyphenize()
    events.register(f"before-send.{service}", limiter.before_send, unique_id=f"fnship-limiter-{service}")
    # First among the service's retry handlers, so a throttle is handled here, not by botocore's plain back-off.
    retry = limiter.on_needs_retry
    events.register_first(f"needs-retry.{service}", retry, unique_id=f"fnship-throttle-{service}")  # type: ignore[arg-type]  # botocore-stubs say a handler answers None; needs-retry answers the delay
