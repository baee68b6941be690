"""A double of Lambda's provisioned concurrency API in front of the moto server (moto 5.2 answers 404 to all of
it), following the Lambda API reference:
- PutProvisionedConcurrencyConfig `PUT /2019-09-30/functions/{name}/provisioned-concurrency?Qualifier=Q`
  https://docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html (202, IN_PROGRESS; here
  the allocation is READY at the next read, as it becomes on AWS after a while)
- GetProvisionedConcurrencyConfig (same path, GET): 404 `ProvisionedConcurrencyConfigNotFoundException` when none
  https://docs.aws.amazon.com/lambda/latest/api/API_GetProvisionedConcurrencyConfig.html
- ListProvisionedConcurrencyConfigs (`GET ...?List=ALL`, `Marker`/`MaxItems` paging, `FunctionArn` of the alias)
  https://docs.aws.amazon.com/lambda/latest/api/API_ListProvisionedConcurrencyConfigs.html
- DeleteProvisionedConcurrencyConfig (DELETE): 204
Every other request goes to moto. `configs` is the state: (function, qualifier) -> allocated concurrency.
"""

from __future__ import annotations

import json
import urllib.parse

from tests.front_double import Answer, FrontDouble

ACCOUNT = "123456789012"
REGION = "us-east-1"
MODIFIED = "2026-12-01T10:00:00.000+0000"


class ProvisionedConcurrencyDouble(FrontDouble):
    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.configs: dict[tuple[str, str], int] = {}
        self.lists = 0  # ListProvisionedConcurrencyConfigs calls answered

    def _config(self, function: str, qualifier: str, allocated: int) -> dict:
        return {
            "RequestedProvisionedConcurrentExecutions": allocated,
            "AvailableProvisionedConcurrentExecutions": allocated,
            "AllocatedProvisionedConcurrentExecutions": allocated,
            "Status": "READY",
            "LastModified": MODIFIED,
        }

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer | None:  # fmt: skip
        parts = path.split("/")
        if len(parts) != 5 or parts[1:3] != ["2019-09-30", "functions"] or parts[4] != "provisioned-concurrency":
            return None
        function = urllib.parse.unquote(parts[3]).rsplit(":", 1)[-1] if ":function:" in parts[3] else parts[3]
        function = urllib.parse.unquote(function)
        qualifier = (query.get("Qualifier") or [""])[0]
        with self._lock:
            if method == "GET" and query.get("List"):
                self.lists += 1
                mine = sorted((q, n) for (f, q), n in self.configs.items() if f == function)
                start = int((query.get("Marker") or ["0"])[0])
                size = int((query.get("MaxItems") or ["50"])[0])
                page = mine[start : start + size]
                document: dict = {
                    "ProvisionedConcurrencyConfigs": [
                        {
                            "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}:{q}",
                            **self._config(function, q, n),
                        }
                        for q, n in page
                    ]  # fmt: skip
                }
                if start + size < len(mine):
                    document["NextMarker"] = str(start + size)
                return self.json_answer(200, document)
            if method == "GET":
                if (function, qualifier) not in self.configs:
                    message = {"Type": "User", "message": "No Provisioned Concurrency Config found for this function"}
                    return self.json_answer(404, message, error_type="ProvisionedConcurrencyConfigNotFoundException")
                return self.json_answer(200, self._config(function, qualifier, self.configs[(function, qualifier)]))
            if method == "PUT":
                count = int(json.loads(body or b"{}")["ProvisionedConcurrentExecutions"])
                self.configs[(function, qualifier)] = count
                return self.json_answer(202, {**self._config(function, qualifier, 0), "Status": "IN_PROGRESS",
                                              "RequestedProvisionedConcurrentExecutions": count})  # fmt: skip
            if method == "DELETE":
                self.configs.pop((function, qualifier), None)
                return self.json_answer(204, None)
        return None
