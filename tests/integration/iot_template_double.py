"""A double of AWS IoT's fleet provisioning template API in front of the moto server (moto 5.2 has none of it),
following the AWS IoT API reference:
- CreateProvisioningTemplate `POST /provisioning-templates` (templateName, templateBody, enabled,
  provisioningRoleArn, preProvisioningHook, tags) -> templateArn, templateName, defaultVersionId 1
  https://docs.aws.amazon.com/iot/latest/apireference/API_CreateProvisioningTemplate.html
- DescribeProvisioningTemplate `GET /provisioning-templates/{name}`: 404 ResourceNotFoundException when missing
- UpdateProvisioningTemplate `PATCH /provisioning-templates/{name}` (enabled, provisioningRoleArn,
  preProvisioningHook; no body)
- CreateProvisioningTemplateVersion `POST /provisioning-templates/{name}/versions?setAsDefault=true`: the new
  body becomes the default version
- DeleteProvisioningTemplate `DELETE /provisioning-templates/{name}`
Every other request goes to moto. `templates` is the state: name -> DescribeProvisioningTemplate's answer.
"""

from __future__ import annotations

import json
import urllib.parse

from tests.front_double import Answer, FrontDouble

ACCOUNT = "123456789012"
REGION = "us-east-1"


class IotTemplateDouble(FrontDouble):
    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.templates: dict[str, dict] = {}
        self.calls: list[str] = []  # method of every request this double answered

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer | None:  # fmt: skip
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if not parts or parts[0] != "provisioning-templates":
            return None
        request = json.loads(body or b"{}")
        with self._lock:
            self.calls.append(method)
            if method == "POST" and len(parts) == 1:
                name = request["templateName"]
                arn = f"arn:aws:iot:{REGION}:{ACCOUNT}:provisioningtemplate/{name}"
                self.templates[name] = {
                    "templateArn": arn,
                    "templateName": name,
                    "templateBody": request["templateBody"],
                    "enabled": request.get("enabled", False),
                    "provisioningRoleArn": request["provisioningRoleArn"],
                    "preProvisioningHook": request.get("preProvisioningHook"),
                    "defaultVersionId": 1,
                    "type": "FLEET_PROVISIONING",
                }
                return self.json_answer(200, {"templateArn": arn, "templateName": name, "defaultVersionId": 1})
            name = parts[1] if len(parts) > 1 else ""
            found = self.templates.get(name)
            if found is None:
                return self.json_answer(404, {"message": f"{name} not found"}, error_type="ResourceNotFoundException")
            if method == "GET":
                return self.json_answer(200, found)
            if method == "PATCH":
                for key in ("enabled", "provisioningRoleArn", "preProvisioningHook"):
                    if key in request:
                        found[key] = request[key]
                return self.json_answer(200, {})
            if method == "POST" and parts[2:] == ["versions"]:
                found["defaultVersionId"] += 1
                if (query.get("setAsDefault") or ["false"])[0] == "true":
                    found["templateBody"] = request["templateBody"]
                return self.json_answer(200, {"versionId": found["defaultVersionId"], "isDefaultVersion": True})
            if method == "DELETE":
                del self.templates[name]
                return self.json_answer(200, {})
        return None
