"""The embedded emulator's process (`python -m fnship.local.emulator_app -H HOST -p PORT`, started by
fnship/local/emulator.py): moto's server with fnship's patches (fnship/local/moto_patches.py), so that Lambda's
Invoke runs the invoked version's code with the local runner, SQS and stream pollers that deliver queues and
streams to their mapped functions, and a small front (`/__fnship/...`) through which `fn dev` asks to run its
functions' events itself. Everything else is moto, unchanged.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from fnship.jsonvalue import JsonObject
from fnship.local.moto_patches import FUNCTION_CONFIG, REST_API_TAGS, STREAM_INVOKE

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from fnship.local.function_host import FunctionHost

FRONT = "/__fnship/"


class FrontApp:
    """`POST /__fnship/dev/register {"url", "functions"}` and `/__fnship/dev/unregister {"url"}`; the rest to moto."""

    def __init__(self, moto_app: WSGIApplication, host: FunctionHost) -> None:
        self.moto_app = moto_app
        self.host = host

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if REST_API_TAGS.match(path):
            answer = self._rest_api_tags(environ, path)
            if answer is not None:
                status, document = answer
                reason = {200: "OK", 204: "No Content", 404: "Not Found", 405: "Method Not Allowed"}[status]
                start_response(f"{status} {reason}", [("Content-Type", "application/json")])
                return [json.dumps(document).encode()] if status != 204 else [b""]
        if FUNCTION_CONFIG.match(path) or STREAM_INVOKE.match(path):
            return self._lambda_api(environ, start_response, path)
        if not path.startswith(FRONT):
            return self.moto_app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body: JsonObject = json.loads(environ["wsgi.input"].read(length) or b"{}")  # fn dev's request
        functions = body.get("functions")
        names = [str(name) for name in functions] if isinstance(functions, list) else []
        if path == FRONT + "dev/register":
            self.host.register(str(body["url"]), names)
        elif path == FRONT + "dev/unregister":
            self.host.unregister(str(body["url"]))
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"message": "unknown fnship emulator path"}']
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    def _lambda_api(self, environ: WSGIEnvironment, start_response: StartResponse, path: str) -> list[bytes]:
        """The Lambda APIs moto lacks (recursion and runtime management configs, InvokeWithResponseStream)."""
        from urllib.parse import parse_qs

        from fnship.local.moto_patches import function_config, region_of, stream_invoke

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        region = region_of(environ.get("HTTP_AUTHORIZATION", ""))
        reasons = {200: "OK", 404: "Not Found"}
        if STREAM_INVOKE.match(path):
            qualifier = (parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier") or [None])[0]
            status, stream_headers, payload = stream_invoke(self.host, path, region, qualifier, body)
            start_response(f"{status} {reasons[status]}", list(stream_headers.items()))
            return [payload]
        status, document = function_config(environ["REQUEST_METHOD"], path, region, body)
        headers = [("Content-Type", "application/json")]
        if status == 404:
            headers.append(("X-Amzn-ErrorType", "ResourceNotFoundException"))
        start_response(f"{status} {reasons[status]}", headers)
        return [json.dumps(document).encode()]

    @staticmethod
    def _rest_api_tags(environ: WSGIEnvironment, path: str) -> tuple[int, JsonObject] | None:
        from urllib.parse import parse_qs

        from fnship.local.moto_patches import rest_api_tags

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        query = parse_qs(environ.get("QUERY_STRING", ""))
        return rest_api_tags(environ["REQUEST_METHOD"], path, query, body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="fnship.local.emulator_app")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--work-dir", default=None, help="Where invoked versions' code is extracted.")
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from fnship.local import moto_patches, pollers, streams
    from fnship.local.function_host import FunctionHost

    endpoint = f"http://{args.host}:{args.port}"
    work_dir = Path(args.work_dir or Path.cwd() / f".fnship-emulator-{args.port}")
    host = FunctionHost(endpoint=endpoint, work_dir=work_dir)
    moto_patches.apply(host)
    app = FrontApp(DomainDispatcherApplication(create_backend_app), host)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    stop = threading.Event()
    poller = threading.Thread(target=pollers.run_sqs, args=(host, stop), daemon=True, name="sqs-poller")
    poller.start()
    stream_poller = threading.Thread(target=streams.run_streams, args=(host, stop), daemon=True, name="streams")
    stream_poller.start()

    def shutdown(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    print(f"fnship emulator on {endpoint}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        host.close()
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
