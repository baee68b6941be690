"""A double of Lambda's event source mapping API for the sources moto refuses ("Invalid EventSourceArn": it
only knows SQS, DynamoDB and Kinesis; see ../shared/TESTING.md): Amazon MSK, self-managed Apache Kafka and
Amazon MQ. It sits in front of the moto server and follows the Lambda API reference:
- CreateEventSourceMapping `POST /2015-03-31/event-source-mappings/` (202, State `Creating`; here the mapping is
  `Enabled` or `Disabled` at the next read, as it becomes on AWS after a while); a self-managed Kafka source is
  `SelfManagedEventSource.Endpoints.KAFKA_BOOTSTRAP_SERVERS`, with no EventSourceArn; Lambda names the consumer
  group after the mapping's UUID when none is given
  https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
- GetEventSourceMapping / UpdateEventSourceMapping (`PUT`, 202, State `Updating`) / DeleteEventSourceMapping
  (202, State `Deleting`) on `/2015-03-31/event-source-mappings/{UUID}`; Topics, Queues, the source and the
  consumer group cannot be updated
  https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html
- ListEventSourceMappings `GET ...?FunctionName=<alias ARN>`: moto's answer with these mappings added
- Provisioned mode (`ProvisionedPollerConfig`, `{}` on update turns it off) and a Kafka mapping's
  `SchemaRegistryConfig` (in `AmazonManagedKafkaEventSourceConfig` / `SelfManagedKafkaEventSourceConfig`; `{}` on
  update removes it), both changed in place; AWS accepts a schema registry only in provisioned mode
  https://docs.aws.amazon.com/lambda/latest/api/API_KafkaSchemaRegistryConfig.html
Every other request goes to moto. `mappings` is the state: UUID -> the configuration as GetEventSourceMapping
answers it.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid

from tests.front_double import Answer, FrontDouble

PREFIX = "/2015-03-31/event-source-mappings"
UPDATABLE = ("BatchSize", "MaximumBatchingWindowInSeconds", "FilterCriteria", "SourceAccessConfigurations")
KAFKA_CONFIGS = ("AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig")


def ours(request: dict) -> bool:
    source = str(request.get("EventSourceArn") or "")
    return bool(request.get("SelfManagedEventSource")) or ":kafka:" in source or ":mq:" in source


class MappingDouble(FrontDouble):
    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.mappings: dict[str, dict] = {}
        self.requests: list[tuple[str, dict]] = []  # (method, body) of every request this double answered

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer | None:  # fmt: skip
        if not path.startswith(PREFIX):
            return None
        rest = urllib.parse.unquote(path[len(PREFIX) :].strip("/"))
        request = json.loads(body or b"{}")
        with self._lock:
            if method == "POST" and not rest and ours(request):
                self.requests.append((method, request))
                refused = self._refused(request)
                if refused:
                    return self.json_answer(400, {"message": refused}, error_type="InvalidParameterValueException")
                return self.json_answer(202, self._create(request))
            if method == "GET" and not rest:
                return self._list(path, query, headers)
            if rest in self.mappings:
                self.requests.append((method, request))
                mapping = self.mappings[rest]
                if method == "GET":
                    return self.json_answer(200, mapping)
                if method == "PUT":
                    return self.json_answer(202, self._update(mapping, request))
                if method == "DELETE":
                    del self.mappings[rest]
                    return self.json_answer(202, {**mapping, "State": "Deleting"})
        return None

    @staticmethod
    def _refused(request: dict) -> str | None:
        registry = any((request.get(key) or {}).get("SchemaRegistryConfig") for key in KAFKA_CONFIGS)
        if registry and not request.get("ProvisionedPollerConfig"):
            return "Schema registry configuration requires provisioned mode (ProvisionedPollerConfig)."
        return None

    def _create(self, request: dict) -> dict:
        mapping_id = str(uuid.uuid4())
        mapping = {
            "UUID": mapping_id,
            "FunctionArn": request["FunctionName"],
            "BatchSize": request.get("BatchSize", 100),
            "MaximumBatchingWindowInSeconds": request.get("MaximumBatchingWindowInSeconds", 0),
            "State": "Enabled" if request.get("Enabled", True) else "Disabled",
            "StateTransitionReason": "USER_INITIATED",
            "LastModified": 1_700_000_000.0,
        }
        for key in ("EventSourceArn", "Topics", "Queues", "StartingPosition", "StartingPositionTimestamp",
                    "SelfManagedEventSource", "SourceAccessConfigurations", "FilterCriteria"):  # fmt: skip
            if request.get(key) is not None:
                mapping[key] = request[key]
        if request.get("Topics"):
            config = "SelfManagedKafkaEventSourceConfig" if request.get("SelfManagedEventSource") else \
                "AmazonManagedKafkaEventSourceConfig"  # fmt: skip
            group = (request.get(config) or {}).get("ConsumerGroupId") or mapping_id
            mapping[config] = {"ConsumerGroupId": group}
            if (request.get(config) or {}).get("SchemaRegistryConfig"):
                mapping[config]["SchemaRegistryConfig"] = request[config]["SchemaRegistryConfig"]
        if request.get("ProvisionedPollerConfig"):
            mapping["ProvisionedPollerConfig"] = request["ProvisionedPollerConfig"]
        self.mappings[mapping_id] = mapping
        return {**mapping, "State": "Creating"}

    def _update(self, mapping: dict, request: dict) -> dict:
        for key in UPDATABLE:
            if key in request:
                mapping[key] = request[key]
        if "Enabled" in request:
            mapping["State"] = "Enabled" if request["Enabled"] else "Disabled"
        if "ProvisionedPollerConfig" in request:
            if request["ProvisionedPollerConfig"]:
                mapping["ProvisionedPollerConfig"] = request["ProvisionedPollerConfig"]
            else:
                mapping.pop("ProvisionedPollerConfig", None)
        for config in KAFKA_CONFIGS:
            if config in request and "SchemaRegistryConfig" in request[config]:
                if request[config]["SchemaRegistryConfig"]:
                    mapping.setdefault(config, {})["SchemaRegistryConfig"] = request[config]["SchemaRegistryConfig"]
                else:
                    mapping.get(config, {}).pop("SchemaRegistryConfig", None)
        if request.get("FunctionName"):
            mapping["FunctionArn"] = request["FunctionName"]
        return {**mapping, "State": "Updating"}

    def _list(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> Answer:
        status, out, payload = self.forward("GET", path + "?" + urllib.parse.urlencode(query, doseq=True), headers, b"")
        if status != 200:
            return status, out, payload
        answer = json.loads(payload)
        function = (query.get("FunctionName") or [""])[0]
        answer["EventSourceMappings"] = answer.get("EventSourceMappings", []) + [
            m for m in self.mappings.values() if not function or m["FunctionArn"] == function
        ]
        return self.json_answer(200, answer)
