"""The client-side rate limiter (fnship/aws/limits.py) with an injected clock: budgets per API family as Lambda's
quotas state them (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), adaptive slow-down
after a throttle, and retries that honour `Retry-After`. moto enforces no quota, so the wiring is checked against
a small HTTP server that answers as Lambda does when it throttles (HTTP 429, TooManyRequestsException,
`Retry-After`: https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html#API_GetFunction_Errors)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fnship.aws import Aws, Target
from fnship.aws.limits import RateLimiter, family


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def limiter(fake_time: FakeTime) -> RateLimiter:
    return RateLimiter(clock=fake_time.clock, sleep=fake_time.sleep, jitter=lambda: 1.0)


@pytest.mark.parametrize(
    ("service", "operation", "bucket", "rate"),
    [
        ("lambda", "GetFunction", "lambda:GetFunction", 100),
        ("lambda", "GetPolicy", "lambda:GetPolicy", 15),
        ("lambda", "CreateFunction", "lambda:control", 15),
        ("lambda", "UpdateAlias", "lambda:control", 15),
        ("lambda", "ListAliases", "lambda:control", 15),
        ("lambda", "GetFunctionUrlConfig", "lambda:control", 15),
        ("lambda", "ListEventSourceMappings", "lambda:control", 15),
        ("iam", "GetRole", "iam:GetRole", 50),
        ("iam", "CreateRole", "iam:writes", 10),
        ("api-gateway", "GetRestApis", "apigateway", 10),
        ("apigatewayv2", "CreateRoute", "apigateway", 10),
        ("sqs", "GetQueueAttributes", "sqs:GetQueueAttributes", 50),
    ],
)
def test_each_operation_spends_its_familys_budget(service, operation, bucket, rate):
    name, quota = family(service, operation)
    assert (name, quota.rate) == (bucket, rate)


def test_invocations_are_not_limited(fake_time):
    assert family("lambda", "Invoke") is None
    for _ in range(1000):
        limiter(fake_time).acquire("lambda", "Invoke")
    assert fake_time.sleeps == []


def test_a_burst_goes_out_at_once_then_the_rate_holds(fake_time):
    limits = limiter(fake_time)
    for _ in range(15):
        limits.acquire("lambda", "GetPolicy")
    assert fake_time.sleeps == []
    for _ in range(15):
        limits.acquire("lambda", "GetPolicy")
    assert fake_time.now == pytest.approx(1.0)  # 15 more at 15 per second
    # GetFunction has its own, larger budget: untouched by the GetPolicy calls.
    before = fake_time.now
    for _ in range(100):
        limits.acquire("lambda", "GetFunction")
    assert fake_time.now == before


def test_lambda_control_plane_reads_and_writes_share_one_budget(fake_time):
    """ "Control plane API requests (excludes invocation, GetFunction, and GetPolicy requests): 15 per second": one
    budget for every other Lambda API, reads and writes together."""
    limits = limiter(fake_time)
    for operation in ["CreateFunction", "ListAliases", "GetFunctionUrlConfig", "PublishVersion", "CreateAlias"] * 3:
        limits.acquire("lambda", operation)
    assert fake_time.sleeps == []
    limits.acquire("lambda", "ListEventSourceMappings")  # a read waits for the writes' budget too
    assert fake_time.sleeps == [pytest.approx(1 / 15)]
    # GetFunction and GetPolicy are outside it: their own budgets are untouched.
    limits.acquire("lambda", "GetFunction")
    limits.acquire("lambda", "GetPolicy")
    assert fake_time.sleeps == [pytest.approx(1 / 15)]


def test_a_throttle_honours_retry_after_and_halves_the_rate_until_it_recovers(fake_time):
    limits = limiter(fake_time)
    assert limits.throttled("lambda", "GetPolicy", attempt=1, retry_after=2.0) == 2.0
    limits.acquire("lambda", "GetPolicy")
    assert fake_time.sleeps == [pytest.approx(1 / 7.5)]  # half of 15 per second
    fake_time.now += 60  # a minute later the family is back to its quota
    fake_time.sleeps.clear()
    for _ in range(15):
        limits.acquire("lambda", "GetPolicy")
    assert fake_time.sleeps == []


def test_without_retry_after_the_back_off_grows_and_is_capped(fake_time):
    limits = limiter(fake_time)
    delays = [limits.throttled("iam", "GetRole", attempt=n) for n in (1, 2, 3, 10)]
    assert delays == [0.5, 1.0, 2.0, 20.0]


class Throttling(BaseHTTPRequestHandler):
    """Lambda's ListFunctions, throttled the first time it is asked."""

    answers = 0

    def do_GET(self) -> None:  # noqa: N802 (the base class's name)
        type(self).answers += 1
        if type(self).answers == 1:
            body = json.dumps({"Type": "User", "message": "Rate exceeded"}).encode()
            self.send_response(429)
            self.send_header("x-amzn-ErrorType", "TooManyRequestsException")
            self.send_header("Retry-After", "3")
        else:
            body = json.dumps({"Functions": []}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_client_retries_a_throttled_call_after_retry_after(fake_time, monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        aws = Aws(Target(region="us-east-1", endpoint_url=endpoint))
        aws.clients.limiter = limiter(fake_time)
        assert aws.client("lambda").list_functions()["Functions"] == []
    finally:
        server.shutdown()
        server.server_close()
    assert Throttling.answers == 2
    assert fake_time.sleeps == [3.0]
