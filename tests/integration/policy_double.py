"""A double of Lambda's resource policy calls in front of the moto server, for the one thing moto drops (see
../shared/TESTING.md): the `EventSourceToken` of an Alexa permission. It follows the Lambda API reference:
- AddPermission `POST /2015-03-31/functions/{name}/policy?Qualifier=Q` takes `EventSourceToken`, which GetPolicy
  then shows as the statement's condition `{"StringEquals": {"lambda:EventSourceToken": <token>}}`
  https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html
  https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
- RemovePermission `DELETE /2015-03-31/functions/{name}/policy/{sid}?Qualifier=Q` removes the statement
Every request goes to moto; the double remembers each statement's token and adds it to GetPolicy's answer.
"""

from __future__ import annotations

import json
import urllib.parse

from tests.front_double import Answer, FrontDouble


class PolicyTokenDouble(FrontDouble):
    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.tokens: dict[tuple[str, str, str], str] = {}  # (function, qualifier, statement id) -> token

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Answer | None:  # fmt: skip
        parts = [urllib.parse.unquote(p) for p in path.split("/")]
        if len(parts) < 5 or parts[1:3] != ["2015-03-31", "functions"] or parts[4] != "policy":
            return None
        function, qualifier = parts[3], (query.get("Qualifier") or [""])[0]
        full_path = path + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
        status, out, payload = self.forward(method, full_path, headers, body)
        with self._lock:
            if method == "POST" and status < 300:
                request = json.loads(body or b"{}")
                if request.get("EventSourceToken"):
                    self.tokens[(function, qualifier, request["StatementId"])] = request["EventSourceToken"]
            elif method == "DELETE" and status < 300 and len(parts) == 6:
                self.tokens.pop((function, qualifier, parts[5]), None)
            elif method == "GET" and status == 200:
                answer = json.loads(payload)
                policy = json.loads(answer["Policy"])
                for statement in policy["Statement"]:
                    token = self.tokens.get((function, qualifier, statement.get("Sid")))
                    if token:
                        condition = statement.setdefault("Condition", {})
                        condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = token
                answer["Policy"] = json.dumps(policy)
                payload = json.dumps(answer).encode()
        return status, out, payload
