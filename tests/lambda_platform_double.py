"""A double of Lambda's 2025 APIs in front of the moto server (moto 5.2 drops DurableConfig and
CapacityProviderConfig and answers 404 to the capacity provider and function scaling APIs), following the Lambda
API reference:
- CreateFunction `POST /2015-03-31/functions`, UpdateFunctionConfiguration `PUT .../functions/{name}/configuration`:
  `DurableConfig` and `CapacityProviderConfig` are kept and answered in the function's configuration (GetFunction,
  GetFunctionConfiguration, PublishVersion, ListVersionsByFunction), a published version keeping what the function
  had when it was published. Lambda sets both only when it creates a function: an update that adds or removes one
  is refused (400 InvalidParameterValueException), https://docs.aws.amazon.com/lambda/latest/dg/durable-configuration.html
  and https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-capacityproviderconfig.html
  A function naming a capacity provider that does not exist is refused (404 ResourceNotFoundException).
- Create/Get/Update/DeleteCapacityProvider `/2025-11-30/capacity-providers[/{name}]`
  https://docs.aws.amazon.com/lambda/latest/api/API_CreateCapacityProvider.html (202, State Active here at once;
  UpdateCapacityProvider takes the scaling config; DeleteCapacityProvider of one a function version uses: 409
  ResourceConflictException), ListTags on its ARN, and the Resource Groups Tagging API's GetResources answering
  tagged providers beside moto's resources (GetResources covers every resource type:
  https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html).
- Put/GetFunctionScalingConfig `/2025-11-30/functions/{name}/function-scaling-config?Qualifier=N`
  https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionScalingConfig.html (a published version only).
Every other request goes to moto.
"""

from __future__ import annotations

import json
import urllib.parse

from tests.front_double import Answer, FrontDouble

ACCOUNT = "123456789012"
REGION = "us-east-1"
KEPT = ("DurableConfig", "CapacityProviderConfig")


def _name(part: str) -> str:
    """A function or provider named in a path, by name or ARN (`arn:...:function:NAME[:qualifier]`)."""
    text = urllib.parse.unquote(part)
    if ":function:" in text:
        return text.split(":function:", 1)[1].split(":")[0]
    return text.rsplit(":", 1)[-1] if text.startswith("arn:") else text


class LambdaPlatformDouble(FrontDouble):
    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.kept: dict[str, dict] = {}  # function -> its KEPT settings ($LATEST)
        self.versions: dict[tuple[str, str], dict] = {}  # (function, version) -> KEPT when published
        self.providers: dict[str, dict] = {}  # name -> CapacityProvider
        self.scaling: dict[tuple[str, str], dict] = {}  # (function, version) -> FunctionScalingConfig
        self.calls: list[str] = []  # the 2025 operations answered, in order

    def _provider_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:capacity-provider:{name}"

    def _inject(self, config: dict, function: str, version: str | None) -> dict:
        kept = (
            self.versions.get((function, version), {})
            if version not in (None, "$LATEST")
            else self.kept.get(function, {})
        )
        return {**config, **kept}

    def _forward_json(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list, dict]:
        status, out, payload = self.forward(method, path, headers, body)
        return status, out, json.loads(payload or b"{}")

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer | None:  # fmt: skip
        if headers.get("X-Amz-Target", headers.get("x-amz-target", "")).endswith(".GetResources"):
            return self._tagged(method, path, headers, body)
        parts = path.split("/")
        full = path + (f"?{urllib.parse.urlencode(query, doseq=True)}" if query else "")
        if parts[1:3] == ["2025-11-30", "capacity-providers"]:
            return self._capacity_provider(method, parts, body)
        if parts[1:3] == ["2025-11-30", "functions"] and parts[-1] == "function-scaling-config":
            return self._function_scaling(method, _name(parts[3]), (query.get("Qualifier") or [""])[0], body)
        if parts[1:3] == ["2017-03-31", "tags"] and ":capacity-provider:" in urllib.parse.unquote(parts[3]):
            provider = self.providers.get(_name(parts[3]))
            return self.json_answer(200, {"Tags": (provider or {}).get("Tags", {})})
        if parts[1:3] != ["2015-03-31", "functions"]:
            return None
        with self._lock:
            if method == "POST" and (len(parts) == 3 or parts[3:] == [""]):
                return self._create_function(full, headers, body)
            if len(parts) < 4 or not parts[3]:
                return None
            function = _name(parts[3])
            qualifier = (query.get("Qualifier") or [None])[0]
            if method == "PUT" and parts[4:] == ["configuration"]:
                return self._update_configuration(function, full, headers, body)
            if method == "GET" and len(parts) == 4:  # GetFunction
                status, out, document = self._forward_json(method, full, headers, body)
                if status == 200:
                    version = document["Configuration"].get("Version")
                    document["Configuration"] = self._inject(document["Configuration"], function, version)
                return status, out, json.dumps(document).encode()
            if method == "GET" and parts[4:] == ["configuration"]:
                status, out, document = self._forward_json(method, full, headers, body)
                if status == 200:
                    document = self._inject(document, function, qualifier or document.get("Version"))
                return status, out, json.dumps(document).encode()
            if method == "POST" and parts[4:] == ["versions"]:  # PublishVersion
                status, out, document = self._forward_json(method, full, headers, body)
                if status in (200, 201):
                    self.versions[(function, str(document["Version"]))] = dict(self.kept.get(function, {}))
                    document = self._inject(document, function, str(document["Version"]))
                return status, out, json.dumps(document).encode()
            if method == "GET" and parts[4:] == ["versions"]:
                status, out, document = self._forward_json(method, full, headers, body)
                for item in document.get("Versions") or []:
                    item.update(self._inject({}, function, item.get("Version")))
                return status, out, json.dumps(document).encode()
            if method == "DELETE" and len(parts) == 4 and qualifier is None:
                self.kept.pop(function, None)
                for key in [k for k in self.versions if k[0] == function]:
                    self.versions.pop(key)
                    self.scaling.pop(key, None)
            return None

    def _tagged(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        """Resource Groups Tagging API GetResources: moto's answer, plus (on the first page) the capacity providers
        carrying every tag the filters ask for, as AWS answers for every resource type."""
        request = json.loads(body or b"{}")
        status, out, document = self._forward_json(method, path, headers, body)
        if status == 200 and not request.get("PaginationToken"):
            wanted = [(f["Key"], f.get("Values") or []) for f in request.get("TagFilters") or []]
            with self._lock:
                for provider in self.providers.values():
                    tags = provider.get("Tags") or {}
                    if all(key in tags and (not values or tags[key] in values) for key, values in wanted):
                        listed = [{"Key": k, "Value": v} for k, v in tags.items()]
                        document.setdefault("ResourceTagMappingList", []).append(
                            {"ResourceARN": provider["CapacityProviderArn"], "Tags": listed}
                        )
        return status, out, json.dumps(document).encode()

    def _create_function(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        request = json.loads(body or b"{}")
        kept = {key: request[key] for key in KEPT if request.get(key)}
        provider = (kept.get("CapacityProviderConfig") or {}).get("LambdaManagedInstancesCapacityProviderConfig")
        if provider and _name(provider["CapacityProviderArn"]) not in self.providers:
            return self.json_answer(404, {"Type": "User", "message": "Capacity provider not found"},
                                    error_type="ResourceNotFoundException")  # fmt: skip
        status, out, document = self._forward_json("POST", path, headers, body)
        if status in (200, 201):
            self.kept[request["FunctionName"]] = kept
            self.calls.append("CreateFunction")
            document = {**document, **kept}
        return status, out, json.dumps(document).encode()

    def _update_configuration(self, function: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        request = json.loads(body or b"{}")
        had = self.kept.get(function, {})
        for key in KEPT:
            if bool(request.get(key)) and not had.get(key):
                message = f"{key} can only be set when the function is created"
                return self.json_answer(400, {"Type": "User", "message": message},
                                        error_type="InvalidParameterValueException")  # fmt: skip
        status, out, document = self._forward_json("PUT", path, headers, body)
        if status == 200:
            self.kept[function] = {**had, **{key: request[key] for key in KEPT if request.get(key)}}
            document = {**document, **self.kept[function]}
        return status, out, json.dumps(document).encode()

    def _capacity_provider(self, method: str, parts: list[str], body: bytes) -> Answer:
        with self._lock:
            name = _name(parts[3]) if len(parts) > 3 and parts[3] else None
            request = json.loads(body or b"{}")
            if method == "POST" and name is None:
                self.calls.append("CreateCapacityProvider")
                name = request["CapacityProviderName"]
                if name in self.providers:
                    return self.json_answer(409, {"message": "exists"}, error_type="ResourceConflictException")
                provider = {
                    "CapacityProviderArn": self._provider_arn(name),
                    "State": "Active",
                    **{k: v for k, v in request.items() if k != "CapacityProviderName"},
                }
                self.providers[name] = provider
                shown = {k: v for k, v in provider.items() if k != "Tags"}
                return self.json_answer(202, {"CapacityProvider": shown})
            if name is None or name not in self.providers:
                return self.json_answer(404, {"Type": "User", "message": "Capacity provider not found"},
                                        error_type="ResourceNotFoundException")  # fmt: skip
            provider = self.providers[name]
            if method == "GET":
                return self.json_answer(200, {"CapacityProvider": {k: v for k, v in provider.items() if k != "Tags"}})
            if method == "PUT":
                self.calls.append("UpdateCapacityProvider")
                provider.update({k: v for k, v in request.items() if k in ("CapacityProviderScalingConfig",)})
                return self.json_answer(202, {"CapacityProvider": {k: v for k, v in provider.items() if k != "Tags"}})
            if method == "DELETE":
                arn = provider["CapacityProviderArn"]
                used = [
                    f for f, kept in [*self.kept.items(), *((f"{k[0]}:{k[1]}", v) for k, v in self.versions.items())]
                    if (kept.get("CapacityProviderConfig") or {}).get(
                        "LambdaManagedInstancesCapacityProviderConfig", {}).get("CapacityProviderArn") == arn
                ]  # fmt: skip
                if used:
                    message = f"The capacity provider is currently in use by {len(used)} functions"
                    return self.json_answer(409, {"message": message}, error_type="ResourceConflictException")
                self.calls.append("DeleteCapacityProvider")
                del self.providers[name]
                return self.json_answer(202, {"CapacityProvider": {"CapacityProviderArn": arn, "State": "Deleting"}})
            return self.json_answer(400, {"message": "unsupported"}, error_type="InvalidRequestContentException")

    def _function_scaling(self, method: str, function: str, qualifier: str, body: bytes) -> Answer:
        with self._lock:
            if (function, qualifier) not in self.versions:
                return self.json_answer(404, {"Type": "User", "message": f"Function not found: {function}:{qualifier}"},
                                        error_type="ResourceNotFoundException")  # fmt: skip
            if method == "PUT":
                self.calls.append(f"PutFunctionScalingConfig {qualifier}")
                self.scaling[(function, qualifier)] = json.loads(body or b"{}").get("FunctionScalingConfig") or {}
                return self.json_answer(202, {"FunctionState": "Active"})
            requested = self.scaling.get((function, qualifier))
            document = {"FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}:{qualifier}"}
            if requested is not None:
                document.update(AppliedFunctionScalingConfig=requested, RequestedFunctionScalingConfig=requested)
            return self.json_answer(200, document)
