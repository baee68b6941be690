"""The `iot_provisioning_template` kind (`iotFleetProvisioning` events): an AWS IoT fleet provisioning template whose
pre-provisioning hook is the alias. Its body changes through a new default version; the rest in place.
https://docs.aws.amazon.com/iot/latest/developerguide/provision-template.html"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.kinds.base import Context, Kind, compact_json, function_scoped, known
from fnship.model.address import Address
from fnship.model.resources import Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, Reads, source_arn

if TYPE_CHECKING:
    from mypy_boto3_iot.type_defs import DescribeProvisioningTemplateResponseTypeDef

EVENT_TYPE = "iotFleetProvisioning"


@dataclass(frozen=True, kw_only=True)
class IotProvisioningTemplate(Spec):
    """A fleet provisioning template (its name is the resource's name)."""

    kind: ClassVar[str] = "iot_provisioning_template"
    template_body: str  # compact JSON
    provisioning_role_arn: str
    enabled: bool
    hook: str | None  # the pre-provisioning hook's target: the alias
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)  # set on create
    arn: str | None = field(default=None, compare=False)  # live only


def from_aws(found: DescribeProvisioningTemplateResponseTypeDef) -> IotProvisioningTemplate:
    hook = found.get("preProvisioningHook")
    return IotProvisioningTemplate(
        template_body=compact_json(found.get("templateBody")) or "",
        provisioning_role_arn=found.get("provisioningRoleArn") or "",
        enabled=bool(found.get("enabled")),
        hook=hook.get("targetArn") if hook is not None else None,
        arn=found.get("templateArn"),
    )


def template_create(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    spec = resource.spec_as(IotProvisioningTemplate)
    context.aws.iot.create_provisioning_template(
        resource.name, body=spec.template_body, role_arn=spec.provisioning_role_arn, enabled=spec.enabled,
        hook_arn=known(spec.hook, f"the hook of {step.address}"), tags=spec.tags,
    )  # fmt: skip


def template_update(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    spec, live = resource.spec_as(IotProvisioningTemplate), context.live_spec(step, IotProvisioningTemplate)
    iot = context.aws.iot
    if spec.template_body != live.template_body:
        iot.set_provisioning_template_body(resource.name, spec.template_body)
    if (spec.provisioning_role_arn, spec.enabled, spec.hook) != (live.provisioning_role_arn, live.enabled, live.hook):
        iot.update_provisioning_template(
            resource.name, role_arn=spec.provisioning_role_arn, enabled=spec.enabled,
            hook_arn=known(spec.hook, f"the hook of {step.address}"),
        )  # fmt: skip


def template_delete(context: Context, step: Step) -> None:
    context.aws.iot.delete_provisioning_template(context.live_at(step.address).name)


def template_depends(resource: Resource) -> tuple[str, ...]:
    scope = resource.in_scope()
    return (*function_scoped(resource), Address.permission(scope.function_key, EVENT_TYPE, scope.trigger_name))


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_template(aws: Reads, stub: Resource) -> list[Resource]:
    found = aws.iot.get_provisioning_template_or_none(stub.name)
    if found is None:
        return []
    return [Resource.of(stub.address, stub.name, from_aws(found), scope=stub.scope)]


def discover_templates(aws: Reads, on: OnAlias) -> list[Resource]:
    """Templates hooked to the alias, from the statements of `iotFleetProvisioning` events on its policy
    (SourceArn: the template)."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == EVENT_TYPE and source and ":provisioningtemplate/" in source:
            template = source.split(":provisioningtemplate/", 1)[1]
            stubs.append(Resource(Address.trigger(on.function_key, event_type, name), "iot_provisioning_template",
                                  template, scope=target.scope(event_type, name)))  # fmt: skip
    return stubs


KIND = Kind(
    name="iot_provisioning_template",
    handlers={
        "iot_provisioning_template.create": template_create,
        "iot_provisioning_template.update": template_update,
        "iot_provisioning_template.delete": template_delete,
    },
    replace_on=frozenset({"name"}),
    create_before_destroy=True,
    depends=template_depends,
    read=read_template,
    discover_on_alias=discover_templates,
)
