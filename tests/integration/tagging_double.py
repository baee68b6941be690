"""A double of the Resource Groups Tagging API's GetResources for API Gateway, which moto's does not index (it
answers no REST API, usage plan or API key). It sits in front of the moto server and follows the API reference:
`POST /` with `X-Amz-Target: ResourceGroupsTaggingAPI_20170126.GetResources`; each `TagFilters` entry must match
(a key with one of its values); API Gateway resources are named `arn:aws:apigateway:{region}::/restapis/{id}`,
`/usageplans/{id}` and `/apikeys/{id}`.
https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html
moto's own answer (functions, log groups, ...) comes first; the API Gateway resources are added to its last page.
Every other request goes to moto; `seen` lists (method, path, query) of each one fnship sent (not this double's own
reads of moto's state).
"""

from __future__ import annotations

import json

from tests.conftest import REGION, Moto
from tests.front_double import Answer, FrontDouble

TARGET = "ResourceGroupsTaggingAPI_20170126.GetResources"


class TaggingDouble(FrontDouble):
    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.seen: list[tuple[str, str, dict[str, list[str]]]] = []

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer | None:  # fmt: skip
        with self._lock:
            self.seen.append((method, path, query))
        if headers.get("X-Amz-Target") != TARGET:
            return None
        status, out, payload = self.forward(method, path, headers, body)
        if status != 200:
            return status, out, payload
        request, answer = json.loads(body or b"{}"), json.loads(payload)
        if not answer.get("PaginationToken"):
            answer["ResourceTagMappingList"] = answer.get("ResourceTagMappingList", []) + self._api_gateway(
                request.get("TagFilters") or []
            )
        return self.json_answer(200, answer)

    def _api_gateway(self, filters: list[dict]) -> list[dict]:
        gateway = Moto(self.upstream).client("apigateway")
        found = [
            *(("restapis", item) for item in gateway.get_rest_apis()["items"]),
            *(("usageplans", item) for item in gateway.get_usage_plans()["items"]),
            *(("apikeys", item) for item in gateway.get_api_keys()["items"]),
        ]
        out = []
        for collection, item in found:
            tags = item.get("tags") or {}
            if all(f["Key"] in tags and tags[f["Key"]] in f.get("Values", [tags[f["Key"]]]) for f in filters):
                arn = f"arn:aws:apigateway:{REGION}::/{collection}/{item['id']}"
                out.append({"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})
        return out
