"""A double of Lambda's newer settings in front of the moto server (moto 5.2.5 accepts SnapStart, LoggingConfig and
TenancyConfig and drops them, answers 404 to the recursion, runtime management and response-streaming APIs, and drops
a log group's class), following the AWS API reference:

- CreateFunction / UpdateFunctionConfiguration keep `SnapStart`, `LoggingConfig`, `TenancyConfig`; GetFunction and
  GetFunctionConfiguration answer them (https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html):
  SnapStart `{ApplyOn, OptimizationStatus}`, LoggingConfig with the default group and, for JSON, INFO levels filled.
  TenancyConfig cannot be changed by UpdateFunctionConfiguration (it is not one of its fields).
- PublishVersion of a SnapStart function answers `State: Pending` (the snapshot is being made); the version is
  `Active` from the second read on (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-activate.html).
- Put/GetFunctionRecursionConfig `/2024-08-31/functions/{name}/recursion-config` (default Terminate)
  https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionRecursionConfig.html
- Put/GetRuntimeManagementConfig `/2021-07-20/functions/{name}/runtime-management-config` (default Auto; the ARN
  only in Manual mode) https://docs.aws.amazon.com/lambda/latest/api/API_PutRuntimeManagementConfig.html
- InvokeWithResponseStream `/2021-11-15/functions/{name}/response-streaming-invocations`: an event stream of
  `PayloadChunk` events (the scripted `stream_chunks`), then `InvokeComplete`
  https://docs.aws.amazon.com/lambda/latest/api/API_InvokeWithResponseStream.html
- Invoke's `X-Amz-Tenant-Id` header is recorded (`tenants`) and refused on a function without tenant isolation,
  and required on one with it (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html); a
  tenant-isolated function answers `{"tenant": <id>}` (moto cannot run it).
- API Gateway PutIntegration keeps `responseTransferMode`; GetResources (embed=methods) answers it (BUFFERED when
  unset) https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html
- CloudWatch Logs CreateLogGroup keeps `logGroupClass`; DescribeLogGroups answers it (STANDARD when unset)
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_LogGroup.html
Every other request goes to moto unchanged.
"""

from __future__ import annotations

import json
import urllib.parse

from fnship.local.eventstream import event_message
from tests.front_double import Answer, FrontDouble

SETTINGS = ("SnapStart", "LoggingConfig", "TenancyConfig")


class LambdaSettingsDouble(FrontDouble):
    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.settings: dict[str, dict] = {}  # function name -> SnapStart / LoggingConfig / TenancyConfig as sent
        self.versions: dict[tuple[str, str], dict] = {}  # (function, version) -> frozen settings, reads so far
        self.recursion: dict[str, str] = {}
        self.runtime: dict[str, dict] = {}
        self.log_classes: dict[str, str] = {}
        self.tenants: list[str | None] = []
        self.transfer_modes: dict[tuple[str, str, str], str] = {}  # (api, resource, method) -> responseTransferMode
        self.uris: dict[tuple[str, str, str], str | None] = {}
        self.stream_chunks: list[bytes] = [b"first ", b"second"]
        self.calls: list[str] = []  # the operations this double answered or changed

    # -- the settings as GetFunction answers them --------------------------------------------------------------
    def _answered(self, name: str, config: dict, version: str | None = None) -> dict:
        stored = dict(self.settings.get(name, {}))
        if version and version != "$LATEST" and (name, version) in self.versions:
            stored = self.versions[(name, version)]["settings"]
        snap = (stored.get("SnapStart") or {}).get("ApplyOn", "None")
        published = bool(version and version.isdigit())
        config["SnapStart"] = {"ApplyOn": snap, "OptimizationStatus": "On" if snap != "None" and published else "Off"}
        logging = dict(stored.get("LoggingConfig") or {})
        logging.setdefault("LogFormat", "Text")
        logging.setdefault("LogGroup", f"/aws/lambda/{name}")
        if logging["LogFormat"] == "JSON":
            logging.setdefault("ApplicationLogLevel", "INFO")
            logging.setdefault("SystemLogLevel", "INFO")
        else:
            logging.pop("ApplicationLogLevel", None)
            logging.pop("SystemLogLevel", None)
        config["LoggingConfig"] = logging
        if stored.get("TenancyConfig"):
            config["TenancyConfig"] = stored["TenancyConfig"]
        return config

    def _forward_json(self, method: str, path: str, query: dict, headers: dict, body: bytes) -> tuple[int, list, dict]:
        full = path + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
        status, out, payload = self.forward(method, full, headers, body)
        return status, out, (json.loads(payload) if payload and status < 300 else {})

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer | None:  # fmt: skip
        lower = {k.lower(): v for k, v in headers.items()}
        target = lower.get("x-amz-target", "")
        if target.startswith("Logs_20140328."):
            return self._logs(target.split(".", 1)[1], path, headers, body)
        parts = [urllib.parse.unquote(p) for p in path.split("/")]
        if len(parts) > 2 and parts[1] == "restapis":
            return self._rest_api(method, path, query, headers, body, parts)
        if method == "POST" and parts[1:] == ["2015-03-31", "functions"]:
            return self._create(path, query, headers, body)
        if len(parts) < 4 or parts[2] != "functions":
            return None
        name = parts[3].rsplit(":function:", 1)[-1].split(":")[0]
        tail = parts[4] if len(parts) > 4 else ""
        qualifier = (query.get("Qualifier") or [None])[0]
        with self._lock:
            if tail == "recursion-config":
                self.calls.append(f"{method} recursion")
                if method == "PUT":
                    self.recursion[name] = json.loads(body)["RecursiveLoop"]
                return self.json_answer(200, {"RecursiveLoop": self.recursion.get(name, "Terminate")})
            if tail == "runtime-management-config":
                self.calls.append(f"{method} runtime")
                if method == "PUT":
                    sent = json.loads(body)
                    self.runtime[name] = {
                        k: v for k, v in sent.items() if k in ("UpdateRuntimeOn", "RuntimeVersionArn")
                    }
                found = self.runtime.get(name, {"UpdateRuntimeOn": "Auto"})
                return self.json_answer(
                    200, {**found, "FunctionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{name}"}
                )
            if tail == "response-streaming-invocations":
                self.calls.append("stream")
                self.tenants.append(lower.get("x-amz-tenant-id"))
                stream = b"".join(event_message("PayloadChunk", chunk) for chunk in self.stream_chunks)
                stream += event_message("InvokeComplete", b"{}", content_type="application/json")
                return 200, [("Content-Type", "application/vnd.amazon.eventstream"),
                             ("X-Amz-Executed-Version", "$LATEST")], stream  # fmt: skip
        if tail == "invocations":
            tenant = lower.get("x-amz-tenant-id")
            isolated = bool(self.settings.get(name, {}).get("TenancyConfig"))
            with self._lock:
                self.tenants.append(tenant)
            if isolated != bool(tenant):
                detail = "this function needs a tenant id" if isolated else "this function is not tenant-isolated"
                return self.json_answer(
                    400, {"Type": "User", "message": detail}, error_type="InvalidParameterValueException"
                )
            if isolated:  # moto cannot run it: the tenant's environment answers who it ran for
                return (
                    200,
                    [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "1")],
                    json.dumps({"tenant": tenant}).encode(),
                )
            return None
        if method == "PUT" and tail == "configuration":  # UpdateFunctionConfiguration
            sent = json.loads(body)
            status, out, answer = self._forward_json(method, path, query, headers, body)
            if status < 300:
                with self._lock:
                    stored = self.settings.setdefault(name, {})
                    stored.update({k: sent[k] for k in ("SnapStart", "LoggingConfig") if k in sent})
                return self.json_answer(status, self._answered(name, answer))
            return None
        if method == "POST" and tail == "versions":  # PublishVersion
            status, out, answer = self._forward_json(method, path, query, headers, body)
            if status >= 300:
                return None
            version = str(answer["Version"])
            with self._lock:
                frozen = json.loads(json.dumps(self.settings.get(name, {})))
                self.versions[(name, version)] = {"settings": frozen, "reads": 0}
                snapping = (frozen.get("SnapStart") or {}).get("ApplyOn") == "PublishedVersions"
                answer = self._answered(name, answer, version)
                if snapping:
                    answer["State"] = "Pending"
            return self.json_answer(status, answer)
        if method == "GET" and tail in ("", "configuration"):
            status, out, answer = self._forward_json(method, path, query, headers, body)
            if status >= 300:
                return None
            with self._lock:
                config = answer.get("Configuration", answer) if tail == "" else answer
                version = qualifier or str(config.get("Version") or "")
                self._answered(name, config, version)
                held = self.versions.get((name, version))
                if held is not None:
                    held["reads"] += 1
                    snapping = (held["settings"].get("SnapStart") or {}).get("ApplyOn") == "PublishedVersions"
                    if snapping and held["reads"] == 1:
                        config["State"] = "Pending"
            return self.json_answer(status, answer)
        if method == "DELETE" and tail == "" and not qualifier:
            with self._lock:
                self.settings.pop(name, None)
                self.recursion.pop(name, None)
                self.runtime.pop(name, None)
            return None
        return None

    def _rest_api(
        self, method: str, path: str, query: dict, headers: dict, body: bytes, parts: list[str]
    ) -> Answer | None:
        """PutIntegration keeps `responseTransferMode`; GetResources (embed=methods) and GetIntegration answer it."""
        if method == "PUT" and len(parts) == 8 and parts[3] == "resources" and parts[7] == "integration":
            status, out, answer = self._forward_json(method, path, query, headers, body)
            if status >= 300:
                return None
            mode = json.loads(body or b"{}").get("responseTransferMode") or "BUFFERED"
            with self._lock:
                self.transfer_modes[(parts[2], parts[4], parts[6])] = mode
                self.uris[(parts[2], parts[4], parts[6])] = answer.get("uri")
            return self.json_answer(status, {**answer, "responseTransferMode": mode})
        if method == "GET" and len(parts) == 4 and parts[3] == "resources":
            status, out, answer = self._forward_json(method, path, query, headers, body)
            if status >= 300:
                return None
            with self._lock:
                for item in answer.get("item", []):
                    for name, found in (item.get("resourceMethods") or {}).items():
                        if found.get("methodIntegration"):
                            mode = self.transfer_modes.get((parts[2], item["id"], name), "BUFFERED")
                            found["methodIntegration"]["responseTransferMode"] = mode
            return self.json_answer(status, answer)
        return None

    def _create(self, path: str, query: dict, headers: dict, body: bytes) -> Answer | None:
        sent = json.loads(body)
        name = sent["FunctionName"]
        status, out, answer = self._forward_json("POST", path, query, headers, body)
        if status >= 300:
            return None
        with self._lock:
            self.settings[name] = {k: sent[k] for k in SETTINGS if k in sent}
            self.calls.append("CreateFunction")
        return self.json_answer(status, self._answered(name, answer))

    def _logs(self, operation: str, path: str, headers: dict, body: bytes) -> Answer | None:
        sent = json.loads(body or b"{}")
        if operation == "CreateLogGroup":
            status, out, payload = self.forward("POST", path, headers, body)
            if status < 300:
                with self._lock:
                    self.log_classes[sent["logGroupName"]] = sent.get("logGroupClass") or "STANDARD"
            return status, out, payload
        if operation == "DescribeLogGroups":
            status, out, payload = self.forward("POST", path, headers, body)
            if status >= 300:
                return status, out, payload
            answer = json.loads(payload)
            for group in answer.get("logGroups", []):
                group["logGroupClass"] = self.log_classes.get(group["logGroupName"], "STANDARD")
            return self.json_answer(status, answer)
        if operation == "DeleteLogGroup":
            with self._lock:
                self.log_classes.pop(sent.get("logGroupName"), None)
        return None
