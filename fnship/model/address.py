"""Resource addresses as a type: built by named constructors, read back through properties. Pure.

An address names a resource in the plan (`function.api`, `alias.api.live`, `trigger.api.sqs.orders`), in the
rendered plan and in `--json`, so it stays a string; but nothing builds one by hand or splits one apart:
`Address.function(key)` makes it, `address.function_key` reads it.
"""

from __future__ import annotations

# The first segment of an address -> what it names. Shared resources (APIs, topics, buckets) carry no function.
FUNCTION_SCOPED = frozenset(
    {"function", "alias", "role", "log_group", "invoke_config", "image", "trigger", "permission", "target_group"}
)


class Address(str):
    """`kind.part[.part...]`: a `str` (the plan's key and what users read) with typed constructors."""

    __slots__ = ()

    # -- constructors -------------------------------------------------------------------------------------------
    @classmethod
    def function(cls, key: str) -> Address:
        return cls(f"function.{key}")

    @classmethod
    def alias(cls, key: str, name: str) -> Address:
        return cls(f"alias.{key}.{name}")

    @classmethod
    def role(cls, key: str) -> Address:
        """`key` is a function key, or `shared` for `provider.iam.role.mode: shared`."""
        return cls(f"role.{key}")

    @classmethod
    def role_for(cls, key: str, purpose: str) -> Address:
        """A role fnship makes for a service rather than for Lambda to run a function (its `fnship:role` tag)."""
        return cls(f"role.{key}.{purpose}")

    @classmethod
    def scheduler_role(cls, key: str) -> Address:
        """The role EventBridge Scheduler assumes to invoke function `key`'s alias (`method: scheduler`)."""
        return cls.role_for(key, "scheduler")

    @classmethod
    def operator_role(cls, key: str) -> Address:
        """The role Lambda assumes to manage capacity provider `key`'s instances (Lambda Managed Instances)."""
        return cls.role_for(key, "operator")

    @classmethod
    def capacity_provider(cls, key: str) -> Address:
        """A `provider.capacityProviders` entry."""
        return cls(f"capacity_provider.{key}")

    @classmethod
    def function_scaling(cls, key: str) -> Address:
        """The execution environments function `key`'s served version keeps (Lambda Managed Instances)."""
        return cls(f"function_scaling.{key}")

    @classmethod
    def schedule_group(cls) -> Address:
        """The service's and stage's EventBridge Scheduler schedule group."""
        return cls("schedule_group")

    @classmethod
    def log_group(cls, key: str) -> Address:
        return cls(f"log_group.{key}")

    @classmethod
    def invoke_config(cls, key: str) -> Address:
        return cls(f"invoke_config.{key}")

    @classmethod
    def layer(cls, key: str) -> Address:
        return cls(f"layer.{key}")

    @classmethod
    def image(cls, key: str) -> Address:
        return cls(f"image.{key}")

    @classmethod
    def trigger(cls, key: str, event_type: str, name: str) -> Address:
        return cls(f"trigger.{key}.{event_type}.{name}")

    @classmethod
    def permission(cls, key: str, event_type: str, name: str) -> Address:
        return cls(f"permission.{key}.{event_type}.{name}")

    @classmethod
    def user_pool(cls, name: str) -> Address:
        """A Cognito user pool a `cognitoUserPool` event names (owned, or `existing: true`)."""
        return cls(f"user_pool.{name}")

    @classmethod
    def target_group(cls, key: str, name: str) -> Address:
        """The lambda target group an `alb` event's listener rule forwards to."""
        return cls(f"target_group.{key}.{name}")

    @classmethod
    def http_api(cls) -> Address:
        return cls("http_api")

    @classmethod
    def http_api_authorizer(cls, name: str) -> Address:
        return cls(f"http_api.authorizer.{name}")

    @classmethod
    def websocket_api(cls) -> Address:
        return cls("websocket_api")

    @classmethod
    def websocket_authorizer(cls, name: str) -> Address:
        return cls(f"websocket_api.authorizer.{name}")

    @classmethod
    def rest_api(cls) -> Address:
        return cls("rest_api")

    @classmethod
    def rest_authorizer(cls, name: str) -> Address:
        return cls(f"rest_api.authorizer.{name}")

    @classmethod
    def rest_model(cls, name: str) -> Address:
        return cls(f"rest_api.model.{name}")

    @classmethod
    def rest_validator(cls) -> Address:
        return cls("rest_api.validator")

    @classmethod
    def rest_stage(cls, stage: str) -> Address:
        return cls(f"rest_api.stage.{stage}")

    @classmethod
    def authorizer_permission(cls, api: str, name: str) -> Address:
        """The statement on a Lambda authorizer given by ARN that lets `api` (an API's address) invoke it."""
        return cls(f"{api}.authorizer_permission.{name}")

    @classmethod
    def rest_log_group(cls) -> Address:
        """The REST API's access log group (provider.logs.restApi)."""
        return cls("rest_api.logs")

    @classmethod
    def apigateway_account(cls) -> Address:
        """API Gateway's account settings in the region: the CloudWatch role it logs with."""
        return cls("apigateway_account")

    @classmethod
    def api_key(cls, name: str) -> Address:
        return cls(f"api_key.{name}")

    @classmethod
    def usage_plan(cls, name: str) -> Address:
        return cls(f"usage_plan.{name}")

    @classmethod
    def topic(cls, name: str) -> Address:
        return cls(f"topic.{name}")

    @classmethod
    def bucket(cls, name: str) -> Address:
        return cls(f"bucket.{name}")

    @classmethod
    def deployment_bucket(cls) -> Address:
        """The bucket fnship keeps per account and region for zips over Lambda's direct-upload limit."""
        return cls("deployment_bucket")

    @classmethod
    def repository(cls, name: str) -> Address:
        """The ECR repository the service's images are pushed to."""
        return cls(f"repository.{name}")

    @classmethod
    def alarm(cls, name: str) -> Address:
        """A per-version errors alarm a killed shift left behind (a shift creates and deletes its own)."""
        return cls(f"alarm.{name}")

    @classmethod
    def notifications(cls, bucket: str) -> Address:
        """Not a resource: a bucket's notification configuration, written whole by one step."""
        return cls(f"bucket.{bucket}.notifications")

    @classmethod
    def stack(cls) -> Address:
        """The service's companion CloudFormation stack (`resources:`)."""
        return cls("stack")

    @classmethod
    def release(cls) -> Address:
        """Not a resource: the one step that shifts every moved alias of a release together."""
        return cls("release")

    # -- reading ------------------------------------------------------------------------------------------------
    @property
    def head(self) -> str:
        """The first segment: `function`, `alias`, `trigger`, `http_api`, ..."""
        return self.partition(".")[0]

    @property
    def function_key(self) -> str | None:
        """The function a function-scoped address belongs to (`alias.api.live` -> `api`); None for shared ones."""
        if self.head not in FUNCTION_SCOPED:
            return None
        rest = self.partition(".")[2]
        # Function keys hold no dots (manifest validation); the part after the key may (bucket names do not
        # appear here: they are addresses of their own).
        return (
            rest.partition(".")[0] if self.head in ("alias", "trigger", "permission", "target_group", "role") else rest
        )

    @property
    def alias_name(self) -> str:
        """`alias.api.live` -> `live`."""
        assert self.head == "alias", self
        return self.split(".", 2)[2]

    @property
    def name(self) -> str:
        """The last part: a layer's or topic's key, a trigger's name, a bucket's name, an authorizer's name."""
        if self.head == "bucket":
            return self.partition(".")[2]
        return self.rsplit(".", 1)[-1]

    @property
    def event_type(self) -> str:
        """`trigger.api.sqs.orders` -> `sqs`."""
        assert self.head in ("trigger", "permission"), self
        return self.split(".", 3)[2]
