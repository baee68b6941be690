"""One handler per step type. Each reads the desired/live resources from the plan and calls fnship.aws."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fnship.errors import AwsError
from fnship.executor import artifacts
from fnship.model import iam
from fnship.plan.diff import Plan, Step
from fnship.secret import reveal


@dataclass
class Context:
    aws: Any
    plan: Plan
    description: str  # the published version's description: names the release
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    release: dict[str, Any] = field(default_factory=dict)  # release id, commit, who: what hooks are told
    runtime: Any = None  # strategies.shifter.Runtime: clock, sleep, progress, interrupt policy

    def desired(self, step: Step):
        return self.plan.desired.get(step.address)

    def live(self, step: Step):
        return self.plan.live.get(step.address)


def lambda_configuration(
    attrs: Mapping[str, Any], context: Context | None = None, *, creating: bool = False
) -> dict[str, Any]:
    """The model's function attrs as Create/UpdateFunctionConfiguration want them. Secrets are revealed only here.

    On update, an unset VPC, dead-letter target or KMS key is sent empty: that is how Lambda removes them.
    Layer references become version ARNs (published earlier in this run, or live); image functions have no
    runtime, handler or layers, and carry ImageConfig instead.
    """
    vpc = attrs.get("vpc")
    settings: dict[str, Any] = {"TracingConfig": {"Mode": attrs.get("tracing") or "PassThrough"}}
    if vpc or not creating:
        settings["VpcConfig"] = {
            "SubnetIds": list((vpc or {}).get("subnet_ids", [])),
            "SecurityGroupIds": list((vpc or {}).get("security_group_ids", [])),
        }
    if attrs.get("dead_letter_arn") or not creating:
        settings["DeadLetterConfig"] = {"TargetArn": attrs.get("dead_letter_arn") or ""}
    if attrs.get("kms_key_arn") or not creating:
        settings["KMSKeyArn"] = attrs.get("kms_key_arn") or ""
    layers = artifacts.layer_arns(context, list(attrs["layers"])) if context is not None else list(attrs["layers"])
    config = {
        **settings,
        "Runtime": attrs["runtime"],
        "Handler": attrs["handler"],
        "MemorySize": attrs["memory_size"],
        "Timeout": attrs["timeout"],
        "Description": attrs["description"],
        "Environment": {"Variables": {k: str(reveal(v)) for k, v in attrs["environment"].items()}},
        "EphemeralStorage": {"Size": attrs["ephemeral_storage"]},
        "Layers": layers,
        "Role": attrs["role"],
    }
    if attrs.get("image_uri"):
        for key in ("Runtime", "Handler", "Layers"):
            config.pop(key)
        config.update(artifacts.image_settings(attrs))
    return config


def _code(context: Context, resource) -> dict[str, Any]:
    """Where the function's code is: an image URI, the deployment bucket, inline bytes (see executor.artifacts)."""
    return artifacts.function_code(context, resource)


def tag_delta(before: Mapping[str, str] | None, after: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    before = before or {}
    add = {k: v for k, v in after.items() if before.get(k) != v}
    remove = sorted(k for k in before if k not in after and not k.startswith("aws:"))
    return add, remove


# Functions


def function_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    package_type = "Image" if attrs.get("image_uri") else "Zip"
    config = {
        **lambda_configuration(attrs, context, creating=True),
        "Architectures": [attrs["architecture"]],
        "PackageType": package_type,
    }
    created = context.aws.lambda_.create_function(
        resource.name, config=config, code=_code(context, resource), tags=attrs["tags"]
    )
    context.outputs[step.address] = {"arn": created["FunctionArn"]}
    if attrs["reserved_concurrency"] is not None:
        context.aws.lambda_.set_reserved_concurrency(resource.name, attrs["reserved_concurrency"])


def function_update_code(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.lambda_.update_code(
        resource.name, code=_code(context, resource), architecture=resource.attrs["architecture"]
    )


def function_update_config(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.lambda_.update_configuration(resource.name, config=lambda_configuration(resource.attrs, context))


def function_tag(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    add, remove = tag_delta(live.attrs.get("tags"), resource.attrs["tags"])
    context.aws.lambda_.set_tags(live.extras["arn"], add=add, remove=remove)


def function_concurrency(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.lambda_.set_reserved_concurrency(resource.name, resource.attrs["reserved_concurrency"])


def function_delete(context: Context, step: Step) -> None:
    context.aws.lambda_.delete_function(context.live(step).name)


# Versions and aliases


def version_publish(context: Context, step: Step) -> None:
    alias = context.desired(step)
    function = context.plan.desired.get(f"function.{alias.extras['function_key']}")
    version = context.aws.lambda_.publish_version(
        alias.extras["function_name"], description=context.description, code_sha256=function.attrs["code_sha256"]
    )
    context.outputs.setdefault(step.address, {})["version"] = version


def alias_set(context: Context, step: Step) -> None:
    """Point the alias all at once: a new alias (nothing to shift from), or one that served `$LATEST`."""
    from fnship.releases import after_release, alias_description
    from fnship.strategies.shifter import settle_provisioned

    alias, live = context.desired(step), context.live(step)
    version = context.outputs.get(step.address, {}).get("version", "$LATEST")
    function_name = alias.extras["function_name"]
    provisioned = alias.attrs.get("provisioned_concurrency")
    before = str(live.extras.get("version")) if live else ""
    history = after_release(live.extras.get("released") or () if live else (), old=before, new=version)
    description = alias_description(provisioned=provisioned, released=history)
    if live is None:
        context.aws.lambda_.create_alias(function_name, alias.name, version=version, description=description)
    else:
        context.aws.lambda_.set_alias_version(
            function_name,
            alias.name,
            version=version,
            weights={},
            revision_id=live.extras.get("revision_id"),
            description=description,
        )
    context.outputs.setdefault(step.address, {})["version"] = version
    had = live.attrs.get("provisioned_concurrency") if live else None
    settle_provisioned(context.aws, function_name, alias.name, count=provisioned, had=had)


def alias_concurrency(context: Context, step: Step) -> None:
    from fnship.strategies.shifter import set_provisioned

    alias, live = context.desired(step), context.live(step)
    set_provisioned(
        context.aws,
        alias.extras["function_name"],
        alias.name,
        alias.attrs.get("provisioned_concurrency"),
        had=live.attrs.get("provisioned_concurrency"),
        released=tuple(live.extras.get("released") or ()),
    )


def release_shift(context: Context, step: Step) -> None:
    """Shift every moved alias along its strategy, in parallel; an alarm, a hook or an interrupt rolls back."""
    from fnship.strategies import shifter
    from fnship.strategies.settings import default_settings

    jobs = []
    for address in step.detail["aliases"]:
        alias, live = context.plan.desired.get(address), context.plan.live.get(address)
        jobs.append(
            shifter.ShiftJob(
                address=address,
                function=alias.extras["function_name"],
                function_key=alias.extras["function_key"],
                old_version=str(live.extras["version"]),
                new_version=context.outputs[address]["version"],
                settings=alias.extras.get("release_settings") or default_settings(alias.name),
                release=context.release,
                revision_id=live.extras.get("revision_id"),
                tags=dict(alias.extras.get("tags") or {}),
                live_provisioned=live.attrs.get("provisioned_concurrency"),
                released=tuple(live.extras.get("released") or ()),
            )
        )
    outcomes = shifter.run_release(context.aws, jobs, context.runtime or shifter.Runtime())
    context.outputs["release"] = {"functions": [outcome.to_dict() for outcome in outcomes]}
    for outcome in outcomes:
        context.outputs[outcome.address]["version"] = outcome.version
    error = shifter.release_error(outcomes)
    if error is not None:
        raise error


def alias_delete(context: Context, step: Step) -> None:
    # Deleting the function removes its aliases; an alias alone goes when it left the manifest.
    live = context.live(step)
    function_address = f"function.{live.extras['function_key']}"
    if context.plan.desired.get(function_address) is None:
        return
    context.aws.lambda_.delete_alias(live.extras["function_name"], live.name)


# Log groups


def log_group_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.logs.create_log_group(resource.name, tags=resource.attrs["tags"])
    if resource.attrs["retention_days"] is not None:
        context.aws.logs.set_retention(resource.name, resource.attrs["retention_days"])


def log_group_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    if resource.attrs["retention_days"] != live.attrs["retention_days"]:
        context.aws.logs.set_retention(resource.name, resource.attrs["retention_days"])
    add, remove = tag_delta(live.attrs.get("tags"), resource.attrs["tags"])
    if add or remove:
        context.aws.logs.set_tags(live.extras["arn"], add=add, remove=remove)


def log_group_delete(context: Context, step: Step) -> None:
    context.aws.logs.delete_log_group(context.live(step).name)


# Roles


def role_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    arn = context.aws.iam.create_role(
        resource.name,
        path=attrs["path"],
        trust_policy=attrs["trust_policy"],
        tags=attrs["tags"],
        permissions_boundary=attrs["permissions_boundary"],
        description=f"fnship execution role for {resource.address.split('.', 1)[1]}",
    )
    context.aws.iam.put_inline_policy(resource.name, iam.INLINE_POLICY_NAME, attrs["inline_policy"])
    for policy_arn in attrs["managed_policies"]:
        context.aws.iam.attach_managed_policy(resource.name, policy_arn)
    context.outputs[step.address] = {"arn": arn}


def role_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    want, have = resource.attrs, live.attrs
    api = context.aws.iam
    if want["trust_policy"] != have["trust_policy"]:
        api.set_trust_policy(resource.name, want["trust_policy"])
    if want["inline_policy"] != have["inline_policy"]:
        api.put_inline_policy(resource.name, iam.INLINE_POLICY_NAME, want["inline_policy"])
    for policy_name in sorted(have.get("other_inline_policies") or {}):  # added outside fnship: the plan removes it
        api.delete_inline_policy(resource.name, policy_name)
    for policy_arn in sorted(set(want["managed_policies"]) - set(have["managed_policies"])):
        api.attach_managed_policy(resource.name, policy_arn)
    for policy_arn in sorted(set(have["managed_policies"]) - set(want["managed_policies"])):
        api.detach_managed_policy(resource.name, policy_arn)
    if want["permissions_boundary"] != have["permissions_boundary"]:
        api.set_permissions_boundary(resource.name, want["permissions_boundary"])
    add, remove = tag_delta(have.get("tags"), want["tags"])
    if add or remove:
        api.set_tags(resource.name, add=add, remove=remove)


def role_delete(context: Context, step: Step) -> None:
    context.aws.iam.delete_role(context.live(step).name)


def alarm_delete(context: Context, step: Step) -> None:
    try:
        context.aws.cloudwatch.delete_alarms([context.live(step).name])
    except AwsError as exc:
        # A shift of the same alias earlier in this apply removes it too (shifter.remove_left_over_alarms), and
        # DeleteAlarms answers ResourceNotFound for a name that is gone:
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html
        if exc.code != "ResourceNotFound":
            raise


HANDLERS: dict[str, Callable[[Context, Step], None]] = {
    "function.create": function_create,
    "function.update_code": function_update_code,
    "function.update_config": function_update_config,
    "function.tag": function_tag,
    "function.concurrency": function_concurrency,
    "function.delete": function_delete,
    "version.publish": version_publish,
    "alias.set": alias_set,
    "alias.concurrency": alias_concurrency,
    "release.shift": release_shift,
    "alias.delete": alias_delete,
    "log_group.create": log_group_create,
    "log_group.update": log_group_update,
    "log_group.delete": log_group_delete,
    "role.create": role_create,
    "role.update": role_update,
    "role.delete": role_delete,
    "alarm.delete": alarm_delete,
    **artifacts.HANDLERS,
}
