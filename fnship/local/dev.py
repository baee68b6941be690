"""`fn dev`: the service running on this machine until Ctrl-C. HTTP (API Gateway's and function URLs' behaviour,
fnship/local/gateway.py) served by werkzeug, handlers in warm workers (fnship/local/warm.py) that restart cold
when the function's package changes, their logs printed as `fn logs` prints them and stored in the emulator.

The service is re-read on every request (and every second, for events and messages): a stat walk of the service
directory; a changed file re-packages the functions in use (content-addressed: only a changed package restarts its
workers) and a changed serverless.yml re-reads the routes and says what changed.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import signal
import socketserver
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from fnship.errors import FnError, InputError
from fnship.local import gateway
from fnship.manifest.types import Cors

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from werkzeug.serving import BaseWSGIServer
    from werkzeug.wrappers import Request

    from fnship.invoke import LogShipper
    from fnship.jsonvalue import JsonObject, JsonValue
    from fnship.local.dev_events import Scheduler
    from fnship.local.runner import RunResult, RunSpec
    from fnship.local.warm import FunctionPool
    from fnship.logs import Formatter
    from fnship.manifest.types import Manifest
    from fnship.pipeline import Options

    # What signal.signal answers and takes: a handler, SIG_DFL or SIG_IGN, or None (not set from Python).
    SignalHandler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None

# Directories whose changes never change a function's package (build output, caches, VCS, environments).
SKIPPED_DIRS = frozenset(
    {".fn", ".git", ".hg", "__pycache__", ".venv", "venv", ".serverless", ".pytest_cache", ".mypy_cache",
     ".ruff_cache", "node_modules", ".idea", ".vscode"}
)  # fmt: skip
WATCH_INTERVAL_S = 1.0
INVOKE_PATH = "/__fnship/invoke"  # where the emulator hands over this service's events

Printer = Callable[[str, str], None]  # (text, severity: normal | meta | report | warning | error | request)


def scan(root: Path) -> dict[str, tuple[int, int]]:
    """path -> (mtime ns, size) of every file a package could hold: what changes on save."""
    found: dict[str, tuple[int, int]] = {}
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in SKIPPED_DIRS]
        for name in files:
            path = os.path.join(directory, name)
            with contextlib.suppress(OSError):
                stat = os.stat(path)
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 3000
    events: bool = True  # deploy to the emulator and take the service's events


class DevService:
    """The loaded service, its routes, and a warm pool per function, kept current with the files on disk."""

    def __init__(self, options: Options, *, printer: Printer, python: str | None = None) -> None:
        from fnship import pipeline

        self.options = options
        self.printer = printer
        self._python = python
        self._lock = threading.RLock()
        self._fingerprint = scan(Path(options.config).resolve().parent)
        self.loaded = pipeline.load(options)
        self.only = tuple(options.functions)
        self.routes = gateway.route_table(self.loaded.manifest, only=self.only)
        self.api_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.manifest.service}/{self.manifest.stage}").hex[:10]
        self.pools: dict[str, FunctionPool] = {}
        self._specs: dict[str, RunSpec] = {}
        self._broken: dict[str, str] = {}
        self._warned: set[tuple[str, str]] = set()  # function key -> the packaging problem already reported
        self._formatters: dict[str, Formatter] = {}
        self._shippers: dict[tuple[str, str], LogShipper] = {}
        self.on_manifest_change: Callable[[], None] | None = None  # events: re-deploy to the emulator

    @property
    def manifest(self) -> Manifest:
        return self.loaded.manifest

    @property
    def emulated(self) -> bool:
        return bool(self.loaded.aws.target.local)

    def functions(self) -> list[str]:
        return [key for key in self.manifest.functions if not self.only or key in self.only]

    # -- code and configuration on disk -----------------------------------------------------------------------
    def _spec(self, key: str) -> RunSpec:
        from fnship import invoke

        warnings: list[str] = []
        spec = invoke.run_spec(self.loaded, key, warnings)
        for warning in warnings:
            if (key, warning) not in self._warned:  # once, not on every save
                self._warned.add((key, warning))
                self.printer(f"warning: {key}: {warning}", "warning")
        return spec

    def prepare(self, keys: list[str] | None = None) -> None:
        """Package the functions (all of them at start), so the first request does not pay for it."""
        for key in keys if keys is not None else self.functions():
            if self.manifest.functions[key].handler:
                self._specs[key] = self._spec(key)

    def refresh(self) -> None:
        """Pick up saved files: a new package makes its function's next invocation a cold start."""
        root = Path(self.options.config).resolve().parent
        with self._lock:
            current = scan(root)
            if current == self._fingerprint:
                return
            changed = {
                p for p in current.keys() | self._fingerprint.keys() if current.get(p) != self._fingerprint.get(p)
            }
            self._fingerprint = current
            config = str(Path(self.options.config).resolve())
            if config in changed or any(p.endswith((".yml", ".yaml", ".json", ".env")) for p in changed):
                self._reload_manifest()
            for key in list(self.pools) + [k for k in self._specs if k not in self.pools]:
                if key not in self.manifest.functions:
                    continue
                try:
                    spec = self._spec(key)
                except FnError as error:
                    self._report_broken(key, error)
                    continue
                self._broken.pop(key, None)
                if spec != self._specs.get(key):
                    self._specs[key] = spec
                    if key in self.pools:
                        self.pools[key].replace(spec)
                        self.printer(f"{key}: code changed, the next invocation starts cold", "meta")

    def _report_broken(self, key: str, error: FnError) -> None:
        text = error.message + (f" ({error.hint})" if getattr(error, "hint", "") else "")
        if self._broken.get(key) != text:
            self._broken[key] = text
            self.printer(f"error: {key}: cannot package it: {text}; still serving the last good code", "error")

    def _reload_manifest(self) -> None:
        from fnship import pipeline

        try:
            loaded = pipeline.load(self.options)
        except FnError as error:
            self.printer(f"error: {self.options.config} has a problem; still serving the last good version:", "error")
            for line in str(error).splitlines() or [error.message]:
                self.printer(f"  {line}", "error")
            return
        old_manifest, old_routes = self.manifest, self.routes
        routes = gateway.route_table(loaded.manifest, only=self.only)
        self.loaded, self.routes = loaded, routes
        for line in describe_changes(old_manifest, loaded.manifest, old_routes, routes):
            self.printer(line, "meta")
        for key in list(self.pools):
            if key not in loaded.manifest.functions:
                self.pools.pop(key).close()
                self._specs.pop(key, None)
        if self.on_manifest_change is not None:
            self.on_manifest_change()

    # -- running ----------------------------------------------------------------------------------------------
    def pool(self, key: str) -> FunctionPool:
        from fnship.local import warm

        with self._lock:
            if key not in self.pools:
                spec = self._specs.get(key) or self._spec(key)
                self._specs[key] = spec
                reserved = self.manifest.functions[key].reserved_concurrency
                self.pools[key] = warm.FunctionPool(
                    spec,
                    max_workers=reserved if reserved else warm.DEFAULT_MAX_WORKERS,
                    python=self._python or sys.executable,
                )
            return self.pools[key]

    def invoke(self, key: str, event: JsonValue | bytes) -> RunResult:
        """Run the function on `event` in a warm worker; its log lines go to the terminal and the emulator."""
        from fnship.invoke import json_logs
        from fnship.local.lambda_logs import stream_in_group
        from fnship.logs import LogEvent, Source, formatter_for
        from fnship.model.names import function_log_group

        payload = event if isinstance(event, bytes) else json.dumps(event).encode()
        spec = self.manifest.functions[key]
        group = function_log_group(spec)
        source = Source(key, spec.name, group)
        formatter = self._formatters.setdefault(key, formatter_for([Source(k, "", "") for k in self.functions()]))
        pool = self.pool(key)
        current: dict[str, str] = {}  # the worker's log stream, once it has started
        shipping: list[LogShipper] = []  # where its lines go in the emulator

        def on_start(stream: str) -> None:
            current["stream"] = stream
            if self.emulated:
                shipping.append(self._shipper(group, stream_in_group(group, spec.name, stream), json_logs(spec)))

        def on_log(stamp: int, message: str) -> None:
            line = formatter.format(LogEvent(source, current.get("stream", ""), stamp, message))
            self.printer(line.text, line.severity)
            for shipper in shipping:
                shipper.add(stamp, message)

        return pool.invoke(payload, on_log=on_log, on_start=on_start)

    def _shipper(self, group: str, stream: str, json_format: bool = False) -> LogShipper:
        """The emulator's CloudWatch Logs writer of one worker's stream (it writes in the background every 0.2 s,
        so a request never waits for its logs to be stored)."""
        from fnship import invoke as core

        with self._lock:
            if (group, stream) not in self._shippers:
                self._shippers[(group, stream)] = core.LogShipper(
                    self.loaded.aws, group, stream, json_format=json_format
                )
            return self._shippers[(group, stream)]

    def close(self) -> None:
        with self._lock:
            pools, self.pools = list(self.pools.values()), {}
            shippers, self._shippers = list(self._shippers.values()), {}
        for pool in pools:
            pool.close()
        for shipper in shippers:
            problem = shipper.close()
            if problem:
                self.printer(f"warning: could not store logs in the emulator: {problem}", "warning")


def describe_changes(
    old: Manifest, new: Manifest, old_routes: gateway.RouteTable, new_routes: gateway.RouteTable
) -> list[str]:
    """What a saved serverless.yml changed, in words: functions added/removed/changed, routes added/removed."""
    lines = []
    for key in sorted(new.functions.keys() - old.functions.keys()):
        lines.append(f"serverless.yml: + function {key}")
    for key in sorted(old.functions.keys() - new.functions.keys()):
        lines.append(f"serverless.yml: - function {key}")
    for key in sorted(old.functions.keys() & new.functions.keys()):
        before, after = old.functions[key], new.functions[key]
        fields = [
            name
            for name in (
                "handler",
                "runtime",
                "memory_size",
                "timeout",
                "environment",
                "layers",
                "reserved_concurrency",
            )
            if getattr(before, name) != getattr(after, name)
        ]
        if before.events != after.events:
            fields.append("events")
        if fields:
            lines.append(f"serverless.yml: ~ function {key} ({', '.join(fields)})")
    old_rows, new_rows = set(old_routes.rows()), set(new_routes.rows())
    for method, path, function in sorted(new_rows - old_rows):
        lines.append(f"serverless.yml: + route {method} {path} -> {function}")
    for method, path, function in sorted(old_rows - new_rows):
        lines.append(f"serverless.yml: - route {method} {path} -> {function}")
    if not lines:
        lines.append("serverless.yml: re-read, nothing that fn dev serves changed")
    return lines


# -- HTTP ----------------------------------------------------------------------------------------------------------
class DevApp:
    """The WSGI application: one request -> route -> (authorizer) -> event -> warm worker -> response."""

    def __init__(self, service: DevService, *, clock: Callable[[], float] = time.time) -> None:
        self.service = service
        self.clock = clock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        from werkzeug.wrappers import Request, Response

        started = time.monotonic()
        request = Request(environ)
        if request.path.startswith(INVOKE_PATH + "/") and request.method == "POST":
            return self._event(request, environ, start_response, started)
        function = "-"
        try:
            response, function = self.handle(request)
        except Exception as exc:  # a bug of ours must not stop the server: say so and answer 500
            self.service.printer(f"error: fn dev failed on {request.method} {request.path}: {exc!r}", "error")
            response = gateway.error_response(500, "Internal Server Error")
        elapsed = (time.monotonic() - started) * 1000
        self.service.printer(
            f"{request.method} {request.full_path.rstrip('?')} -> {function} {response.status} {elapsed:.1f} ms",
            "request",
        )
        wsgi = Response(response.body, status=response.status, headers=response.headers)
        return wsgi(environ, start_response)

    def _event(
        self, request: Request, environ: WSGIEnvironment, start_response: StartResponse, started: float
    ) -> Iterable[bytes]:
        """The emulator hands over an invocation of one of this service's functions (a queue's batch, a bucket's
        or topic's notification, stream records)."""
        from werkzeug.wrappers import Response

        from fnship.local.dev_events import handle_invoke

        name = request.path[len(INVOKE_PATH) + 1 :]
        try:
            status, headers, body = handle_invoke(self.service, name, request.get_data())
        except Exception as exc:  # said here; the emulator treats it as a failed invocation
            self.service.printer(f"error: fn dev failed to run an event for {name}: {exc!r}", "error")
            status, headers, body = 500, [], b"{}"
        outcome = dict(headers).get("X-Fn-Error-Type") or ("ok" if status == 200 else str(status))
        elapsed = (time.monotonic() - started) * 1000
        self.service.printer(f"event -> {name} {outcome} {elapsed:.1f} ms", "request")
        return Response(body, status=status, headers=headers)(environ, start_response)

    def handle(self, request: Request) -> tuple[gateway.HttpResponse, str]:
        service = self.service
        service.refresh()
        routes = service.routes
        method = request.method.upper()
        http = gateway.HttpRequest(
            method=method,
            path=request.path,
            query_string=request.query_string.decode("latin-1"),
            headers=list(request.headers.items()),
            body=b"",
            source_ip=request.remote_addr or "127.0.0.1",
            protocol=request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        )
        match, surface = routes.resolve(method, request.path)
        cors = self._cors(surface, match)
        if method == "OPTIONS" and http.header("origin") and http.header("access-control-request-method"):
            if surface == "http":
                answer = self._rest_preflight(request.path)
                if answer is not None:
                    return answer, "-"
            elif cors:
                return gateway.preflight(cors, http), "-"
        if match is None:
            if surface == "http":
                # A REST API answers an unknown resource or method this way.
                return gateway.error_response(403, "Missing Authentication Token"), "-"
            return gateway.error_response(404, "Not Found"), "-"
        route = match.route
        limit = gateway.URL_BODY_LIMIT if surface == "url" else gateway.API_BODY_LIMIT
        if (request.content_length or 0) > limit:
            return gateway.error_response(413, "Request Entity Too Large"), route.function
        body = request.stream.read(limit + 1)
        if len(body) > limit:
            return gateway.error_response(413, "Request Entity Too Large"), route.function
        http = replace(http, body=body)
        authorizer: JsonObject | None = None
        if route.authorizer:
            from fnship.local import jwt_auth

            verdict = jwt_auth.authorize(routes.authorizers[route.authorizer], route.scopes, http, now=self.clock())
            if verdict.warning:
                service.printer(f"warning: {verdict.warning}", "warning")
            if verdict.status:
                return gateway.error_response(verdict.status, verdict.message), route.function
            authorizer = verdict.context
        now = self.clock()
        request_id = str(uuid.uuid4())
        if route.payload_version == "1.0":
            stage = service.manifest.stage if surface == "http" else "$default"
            event = gateway.event_v1(
                http, match, api_id=service.api_id, stage=stage, now=now, request_id=request_id, authorizer=authorizer,
                binary_as_base64=surface != "http",
            )  # fmt: skip
        else:
            event = gateway.event_v2(
                http, match, api_id=service.api_id, now=now, request_id=request_id, authorizer=authorizer
            )
        result = service.invoke(route.function, event)
        if not result.ok:
            answer = gateway.bad_gateway(surface)
        else:
            answer = gateway.map_response(result.payload, payload_version=route.payload_version, kind=surface)
        if cors and surface != "http":
            answer = gateway.with_cors(answer, cors, http)
        return answer, route.function

    def _cors(self, surface: str, match: gateway.Match | None) -> Cors | None:
        """The CORS an HTTP API or a function URL answers for itself (a REST API's preflight is a method)."""
        if surface == "httpApi":
            return self.service.routes.http_api_cors
        if surface == "url" and match is not None and isinstance(match.route.cors, Cors):
            return match.route.cors
        return None

    def _rest_preflight(self, path: str) -> gateway.HttpResponse | None:
        routes = self.service.routes
        inner = path[len(f"/{routes.stage}") :] or "/"
        here = [route for route in routes.rest if gateway.match_path(route.path, inner) is not None]
        cors = next((r.cors for r in here if r.cors is not None and not isinstance(r.cors, Cors)), None)
        if cors is None:
            return None
        return gateway.rest_preflight(cors, [route.method for route in here])


def bind(app: WSGIApplication, *, host: str, port: int) -> BaseWSGIServer:
    """The HTTP server on host:port (threaded: a slow handler does not hold up the others)."""
    try:
        from werkzeug.serving import make_server
    except ImportError as exc:
        raise FnError(
            "fn dev needs werkzeug (an HTTP server library), which is not installed",
            hint="pip install 'fnship[local]'",
        ) from exc
    in_use = InputError(
        f"port {port} on {host} is already in use (another fn dev, or another server)",
        hint=f"stop that program, or pick another port: fn dev --port {port + 1}",
    )
    with contextlib.redirect_stderr(io.StringIO()):  # werkzeug prints its own advice; ours names the option
        try:
            return make_server(host, port, app, threaded=True)
        except SystemExit:  # werkzeug exits on a port in use
            raise in_use from None
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise in_use from exc
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}", hint="check --host and --port") from exc


def route_lines(routes: gateway.RouteTable, *, base: str) -> list[str]:
    rows = routes.rows()
    if not rows:
        return ["  (no HTTP routes: no httpApi, http or url events)"]
    width = max(len(method) for method, _, _ in rows)
    return [f"  {method:<{width}}  {base}{path}  -> {function}" for method, path, function in rows]


class Watcher:
    """Re-reads the service every second between requests, so a saved serverless.yml is reported at once."""

    def __init__(self, service: DevService, *, interval_s: float = WATCH_INTERVAL_S) -> None:
        self._service = service
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="fn-dev-watch")

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._service.refresh()
            except Exception as exc:  # keep watching; the next request reports it again if it persists
                self._service.printer(f"error: re-reading the service failed: {exc!r}", "error")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)


def serve(
    options: Options, settings: Settings, *, printer: Printer, ready: Callable[[str], None] | None = None
) -> None:
    """Run until interrupted (KeyboardInterrupt propagates after everything is stopped)."""
    import logging

    from fnship.local import emulator

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # fn dev prints its own line per request
    # The handlers' own AWS calls and their logs go to the emulator (never to an account by surprise). One that
    # fn dev starts, it stops on the way out: Ctrl-C leaves no process behind.
    started_emulator = not emulator.status().running
    emulator.start()
    server = None
    watcher = None
    service = None
    scheduler = None
    registered_base = None
    previous = _stop_on_sigterm()
    try:
        service = DevService(options, printer=printer)
        watcher = Watcher(service)
        service.prepare()
        server = bind(DevApp(service), host=settings.host, port=settings.port)
        base = f"http://{settings.host}:{server.server_port}"
        printer(f"fn dev: {service.manifest.service} · stage {service.manifest.stage} · {base}", "meta")
        for line in route_lines(service.routes, base=base):
            printer(line, "normal")
        if service.emulated:
            printer(
                f"AWS calls of the handlers go to the local emulator ({service.loaded.aws.target.endpoint_url})", "meta"
            )
        if settings.events:
            from fnship.local import dev_events

            if dev_events.has_events(service):
                dev_events.prepare_sources(service, printer)

                def redeploy() -> None:
                    if dev_events.deploy(service, printer):
                        dev_events.register(service, base)

                redeploy()
                registered_base = base
                service.on_manifest_change = redeploy
                scheduler = dev_events.Scheduler(service, printer)
                scheduler.start()
                _fire_on_demand(scheduler, printer)
        printer("Watching for changes. Ctrl-C to stop.", "meta")
        watcher.start()
        if ready:
            ready(base)
        # socketserver's loop, not werkzeug's: werkzeug swallows KeyboardInterrupt, and Ctrl-C is exit 130.
        socketserver.BaseServer.serve_forever(server, poll_interval=0.2)
    finally:
        if scheduler is not None:
            scheduler.stop()
        if registered_base is not None and service is not None:
            from fnship.local import dev_events

            with contextlib.suppress(Exception):  # the emulator may be gone already
                dev_events.register(service, registered_base, unregister=True)
        if watcher is not None:
            watcher.stop()
        if server is not None:
            server.server_close()
        if service is not None:
            service.close()
        if started_emulator:
            emulator.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _fire_on_demand(scheduler: Scheduler, printer: Printer) -> None:
    """SIGUSR1, or `s [FUNCTION]` + Enter on the terminal, fires the schedules now."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, lambda _signum, _frame: scheduler.fire_now())
    printer("Schedules: type `s` (or `s FUNCTION`) and Enter, or send SIGUSR1, to fire them now.", "meta")

    def read() -> None:
        import sys

        for line in sys.stdin:
            words = line.split()
            if words and words[0] in ("s", "schedule"):
                scheduler.fire_now(words[1] if len(words) > 1 else None)

    with contextlib.suppress(Exception):
        threading.Thread(target=read, daemon=True, name="fn-dev-keys").start()


def _stop_on_sigterm() -> SignalHandler:
    """SIGTERM (a process manager, a test) stops fn dev as Ctrl-C does, with the same clean-up."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)
