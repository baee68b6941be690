"""An HTTP proxy that answers every request a fixed delay late, in front of a moto server: a region's round trip.

moto answers in about a millisecond, which hides how many sequential round trips a command makes. Behind this
proxy every call costs `delay` seconds, as it does against AWS (20-50 ms from a runner in the region), so a
command that reads sequentially shows it in its wall time. The proxy also counts the calls it forwarded: per
service and operation, reads apart from mutating calls.

Use: `with LatencyProxy(upstream, delay=0.05) as proxy:` then point the client at `proxy.endpoint`
(AWS_ENDPOINT_URL). Or run it: `python bench/latency_proxy.py UPSTREAM [--delay 0.05] [--port N]`.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.moto_calls import MODELS_BY_SIGNING_NAME, _rest_operation  # noqa: E402

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Filter")
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
)


@dataclass(frozen=True)
class Call:
    service: str  # the signing name in the request's credential scope (lambda, iam, tagging, ...)
    operation: str  # the model's operation name (GetFunction, CreateRole, ...)
    mutating: bool


def classify(method: str, url: str, headers: dict[str, str], body: bytes) -> Call:
    """Which AWS call a request is: the service from the Authorization header's credential scope, the operation
    from X-Amz-Target, the `Action=` form field, or (REST protocols) the botocore model's URI templates."""
    lower = {k.lower(): v for k, v in headers.items()}
    found = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", lower.get("authorization", ""))
    service = found[1] if found else "?"
    target = lower.get("x-amz-target")
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif body.startswith(b"Action=") or b"&Action=" in body:
        operation = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]
    elif service == "?":
        operation = f"{method} {urllib.parse.urlparse(url).path}"
    else:
        try:
            operation = _rest_operation(MODELS_BY_SIGNING_NAME.get(service, (service,)), method, url)
        except AssertionError:
            operation = f"{method} {urllib.parse.urlparse(url).path}"
        return Call(service, operation, mutating=method not in ("GET", "HEAD"))
    mutating = not operation.startswith(READ_PREFIXES) and operation != "GetCallerIdentity"
    return Call(service, operation, mutating=mutating)


class Counts:
    """The calls a proxy forwarded, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    @property
    def total(self) -> int:
        return len(self.calls)

    @property
    def reads(self) -> int:
        return sum(1 for c in self.calls if not c.mutating)

    @property
    def mutating(self) -> list[str]:
        return [f"{c.service}:{c.operation}" for c in self.calls if c.mutating]

    def by_operation(self) -> Counter[str]:
        return Counter(f"{c.service}:{c.operation}" for c in self.calls)

    def summary(self, *, top: int = 12) -> str:
        """`N calls (R reads, M mutating); service:Operation xK, ...` (the most frequent first)."""
        common = ", ".join(f"{name} x{n}" for name, n in self.by_operation().most_common(top))
        return f"{self.total} calls ({self.reads} reads, {self.total - self.reads} mutating); {common}"


def _handler(upstream: urllib.parse.ParseResult, delay: float, counts: Counts, sleep: Callable[[float], None]):
    local = threading.local()

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as AWS endpoints do: the client's connection pool works
        # An answer is written in two sends (head, then body): with Nagle's algorithm on, the body waits for the
        # client's delayed ACK of the head (about 40 ms on Linux) on every call but a connection's first, and a
        # call would cost the delay plus that. Off, as on AWS's endpoints: every call costs `delay`.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _connection(self) -> http.client.HTTPConnection:
            if getattr(local, "connection", None) is None:
                connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
                connection.connect()
                # (the same stall on the way to moto: a request's head and body are two sends)
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                local.connection = connection
            return local.connection

        def _forward(self) -> None:
            body = self._body()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            if body or self.command in ("POST", "PUT", "PATCH"):
                headers["Content-Length"] = str(len(body))
            if "/moto-api/" not in self.path:
                counts.add(classify(self.command, self.path, headers, body))
            for attempt in range(2):
                connection = None
                try:
                    connection = self._connection()  # (connecting is retried too, as a request on a stale one)
                    connection.request(self.command, self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                    payload = answer.read()
                    break
                except (http.client.HTTPException, OSError):
                    if connection is not None:
                        connection.close()
                    local.connection = None
                    if attempt:
                        raise
            if "/moto-api/" not in self.path:
                sleep(delay)  # on top of moto's own time: a round trip to a region, as the client sees it
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

    return Forward


class LatencyProxy:
    """A ThreadingHTTPServer on a free loopback port forwarding to `upstream`, every answer `delay` s late."""

    def __init__(self, upstream: str, *, delay: float = 0.05, port: int = 0, sleep=time.sleep) -> None:
        self.counts = Counts()
        handler = _handler(urllib.parse.urlparse(upstream), delay, self.counts, sleep)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="latency-proxy", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("upstream")
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with LatencyProxy(args.upstream, delay=args.delay, port=args.port) as proxy:
        print(proxy.endpoint, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
