"""The `cognitoUserPool` event's kinds: `cognito_user_pool` (a pool the service creates and owns, or, with
`existing: true`, one it only finds by name and never changes) and `cognito_trigger` (one of the pool's Lambda
triggers pointing at the alias). A pool's Lambda triggers are one document (UpdateUserPool sends them all): the
steps that touch one pool run one at a time.
https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.aws.cognito_api import SENDERS
from fnship.errors import AwsError
from fnship.kinds.base import Context, Kind, function_scoped, known, reading_owner, tag_delta
from fnship.model.address import Address
from fnship.model.resources import Found, Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, Reads, owned, source_arn

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.type_defs import UserPoolTypeTypeDef

EVENT_TYPE = "cognitoUserPool"


@dataclass(frozen=True, kw_only=True)
class CognitoUserPool(Spec):
    """A user pool (its name is the resource's name): owned (created, tagged, deleted with the service) or
    `existing` (found by name; fnship changes nothing of it but the triggers its events name)."""

    kind: ClassVar[str] = "cognito_user_pool"
    existing: bool
    tags: Mapping[str, str]  # ours (owned pools); an existing pool's are its own, not compared
    # Assigned by Cognito: live only.
    id: str | None = field(default=None, compare=False)
    arn: str | None = field(default=None, compare=False)


def pool_from_aws(found: UserPoolTypeTypeDef, *, existing: bool) -> CognitoUserPool:
    return CognitoUserPool(
        existing=existing,
        tags={} if existing else dict(found.get("UserPoolTags") or {}),
        id=found.get("Id"),
        arn=found.get("Arn"),
    )


def cognito_user_pool_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec = resource.spec_as(CognitoUserPool)
    if spec.existing:
        raise AwsError(resource=f"user pool {resource.name}", action="ListUserPools", code="NotFound",
                       detail="no user pool has this name",
                       hint="create it, or drop `existing: true` so that fnship creates it")  # fmt: skip
    created = context.aws.cognito.create_pool(resource.name, tags=spec.tags)
    context.outputs[step.address] = {"id": created["Id"], "arn": created.get("Arn")}


def cognito_user_pool_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, CognitoUserPool), context.live_spec(step, CognitoUserPool)
    if spec.existing:
        return  # not ours: nothing of it changes
    add, remove = tag_delta(live.tags, spec.tags)
    if add or remove:
        context.aws.cognito.set_tags(known(live.arn, f"the ARN of {step.address}"), add=add, remove=remove)


def cognito_user_pool_delete(context: Context, step: Step) -> None:
    live = context.live_spec(step, CognitoUserPool)
    if not live.existing:
        context.aws.cognito.delete_pool(known(live.id, f"the id of {step.address}"))


@dataclass(frozen=True, kw_only=True)
class CognitoTrigger(Spec):
    """One Lambda trigger of a pool (`PreSignUp`, ...) pointing at the alias."""

    kind: ClassVar[str] = "cognito_trigger"
    pool: str  # the pool's name
    trigger: str  # its LambdaConfig key
    target: str | None  # the alias ARN (None: the trigger points elsewhere, or nowhere)
    kms_key: str | None = None  # a custom sender's: the KMS key Cognito encrypts the codes it sends with
    pool_id: str | None = field(default=None, compare=False)  # live only


def cognito_trigger_put(context: Context, step: Step) -> None:
    spec = context.desired_spec(step, CognitoTrigger)
    pool_id = context.require(Address.user_pool(pool_key(spec.pool)), "id")  # made earlier in this run, or live
    context.aws.cognito.set_lambda_trigger(pool_id, spec.trigger, spec.target, kms_key=spec.kms_key)


def cognito_trigger_delete(context: Context, step: Step) -> None:
    live = context.live_spec(step, CognitoTrigger)
    if live.target == context.live_at(step.address).in_scope().alias_arn:  # only ours: never another's trigger
        context.aws.cognito.set_lambda_trigger(known(live.pool_id, f"the pool of {step.address}"), live.trigger, None)


def pool_key(name: str) -> str:
    """A pool's name as an address part (names may hold spaces and dots)."""
    from fnship.model.triggers.common import slug  # (fnship.model.triggers imports the kind modules)

    return slug(name)


def trigger_depends(resource: Resource) -> tuple[str, ...]:
    scope = resource.in_scope()
    pool = resource.spec_as(CognitoTrigger).pool if resource.spec is not None else None
    permission = Address.permission(scope.function_key, EVENT_TYPE, scope.trigger_name)
    return (*function_scoped(resource), permission, *([Address.user_pool(pool_key(pool))] if pool else []))


def trigger_document(resource: Resource) -> str | None:
    spec = resource.spec
    return f"user_pool:{spec.pool}" if isinstance(spec, CognitoTrigger) else None


# -- reading live state (read-only) ------------------------------------------------------------------------------


def _pools_named(aws: Reads, name: str) -> list[UserPoolTypeTypeDef]:
    ids = aws.once(("user_pools_named", name), lambda: aws.cognito.pool_ids_named(name))
    return [found for pool_id in ids if (found := _pool(aws, pool_id)) is not None]


def _pool(aws: Reads, pool_id: str) -> UserPoolTypeTypeDef | None:
    return aws.once(("user_pool", pool_id), lambda: aws.cognito.get_pool_or_none(pool_id))


def _find(aws: Reads, name: str, *, existing: bool) -> UserPoolTypeTypeDef | None:
    """An existing pool: the one of that name (the first, if Cognito holds several); an owned one: the one of that
    name that carries our ownership tags."""
    pools = _pools_named(aws, name)
    if existing:
        return pools[0] if pools else None
    return next((p for p in pools if owned(p.get("UserPoolTags"), reading_owner(aws))), None)


def read_cognito_user_pool(aws: Reads, stub: Resource) -> list[Resource]:
    if stub.spec is None:  # discovered: by the id its trigger's statement names, and ours by its tags
        pool_id = known(stub.found.arn if stub.found else None, f"the pool of {stub.address}").rsplit("/", 1)[-1]
        found = _pool(aws, pool_id)
        ours = found is not None and owned(found.get("UserPoolTags"), reading_owner(aws))
        return [Resource.of(stub.address, stub.name, pool_from_aws(found, existing=False))] if ours and found else []
    existing = stub.spec_as(CognitoUserPool).existing
    found = _find(aws, stub.name, existing=existing)
    return [Resource.of(stub.address, stub.name, pool_from_aws(found, existing=existing))] if found else []


def read_cognito_trigger(aws: Reads, stub: Resource) -> list[Resource]:
    scope = stub.in_scope()
    trigger: str | None
    if stub.spec is not None:  # desired: on our pool of that name, else on the (existing) pool of that name
        want = stub.spec_as(CognitoTrigger)
        found = _find(aws, want.pool, existing=False) or _find(aws, want.pool, existing=True)
        trigger = want.trigger
    else:  # discovered: on the pool its statement names
        pool_arn = known(stub.found.arn if stub.found else None, f"the pool of {stub.address}")
        found = _pool(aws, pool_arn.rsplit("/", 1)[-1])
        trigger = trigger_of(scope.trigger_name)
    if found is None or trigger is None:
        return []
    config: Mapping[str, object] = found.get("LambdaConfig") or {}  # (read by the trigger's name)
    target = config.get(trigger)
    name, pool_id = found.get("Name", ""), found.get("Id")
    if isinstance(target, Mapping):  # a custom sender: {LambdaVersion, LambdaArn}, with the pool's KMS key
        key = config.get("KMSKeyID")
        arn = target.get("LambdaArn")
        spec = CognitoTrigger(pool=name, trigger=trigger, target=str(arn) if arn else None,
                              kms_key=str(key) if key else None, pool_id=pool_id)  # fmt: skip
    else:
        spec = CognitoTrigger(pool=name, trigger=trigger, target=str(target) if target else None, pool_id=pool_id)
    return [Resource.of(stub.address, stub.name, spec, scope=scope)]


# The Lambda triggers of a user pool (LambdaConfig keys), as Serverless v3 names them.
TRIGGERS = (
    "PreSignUp",
    "PostConfirmation",
    "PreAuthentication",
    "PostAuthentication",
    "PreTokenGeneration",
    "CustomMessage",
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
    "UserMigration",
    *SENDERS,  # custom senders: Cognito hands them codes encrypted with the pool's KMS key (LambdaConfig.KMSKeyID)
)


def trigger_of(name: str) -> str | None:
    """The LambdaConfig key a trigger's name ends with (`users-presignup` -> `PreSignUp`)."""
    last = name.rsplit("-", 1)[-1]
    return next((t for t in TRIGGERS if t.lower() == last), None)


def discover_cognito(aws: Reads, on: OnAlias) -> list[Resource]:
    """Triggers pointing at the alias, and the owned pools they are on, from the statements of `cognitoUserPool`
    events on its policy (SourceArn: the pool)."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == EVENT_TYPE and source and ":userpool/" in source:
            found = Found(arn=source)
            stubs.append(Resource(Address.trigger(on.function_key, event_type, name), "cognito_trigger", name,
                                  scope=target.scope(event_type, name), found=found))  # fmt: skip
            pool = _pool(aws, source.rsplit("/", 1)[-1])
            if pool is not None and owned(pool.get("UserPoolTags"), reading_owner(aws)):
                stubs.append(Resource(Address.user_pool(pool_key(str(pool["Name"]))), "cognito_user_pool",
                                      str(pool["Name"]), found=found))  # fmt: skip
    return stubs


POOL_KIND = Kind(
    name="cognito_user_pool",
    handlers={
        "cognito_user_pool.create": cognito_user_pool_create,
        "cognito_user_pool.update": cognito_user_pool_update,
        "cognito_user_pool.delete": cognito_user_pool_delete,
    },
    replace_on=frozenset({"name", "existing"}),
    stable_outputs=frozenset({"id", "arn"}),
    read=read_cognito_user_pool,
)
TRIGGER_KIND = Kind(
    name="cognito_trigger",
    handlers={
        "cognito_trigger.create": cognito_trigger_put,
        "cognito_trigger.update": cognito_trigger_put,
        "cognito_trigger.delete": cognito_trigger_delete,
    },
    replace_on=frozenset({"pool", "trigger"}),
    depends=trigger_depends,
    serial=trigger_document,
    read=read_cognito_trigger,
    discover_on_alias=discover_cognito,
)
