"""The SES configuration set; its events (send, delivery, bounce, complaint, ...) become CloudWatch
metrics with the dimension `ses:configuration-set` (an auto-tag SES puts on every message)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from infra.kinds.base import Context, code, same
from infra.model import EmailConfigurationSet
from infra.naming import Naming
from infra.stage import Stage

DIMENSION = "ses:configuration-set"


def event_destination(n: Naming, email: EmailConfigurationSet) -> dict[str, Any]:
    return {
        "Name": n.sub("${Prefix}-metrics", Prefix=n.value("Prefix")),
        "Enabled": True,
        "MatchingEventTypes": list(email.event_types),
        "CloudWatchDestination": {"DimensionConfigurations": [{
            "DimensionName": DIMENSION,
            "DimensionValueSource": "messageTag",
            "DefaultDimensionValue": n.value("ConfigurationSet"),
        }]},
    }


def ensure(ctx: Context, email: EmailConfigurationSet) -> None:
    ses = ctx.client("ses")
    name = ctx.stage.configuration_set
    destination = event_destination(ctx.naming, email)
    created, changes = False, []
    try:
        described = ses.describe_configuration_set(ConfigurationSetName=name,
                                                   ConfigurationSetAttributeNames=["eventDestinations"])
    except ClientError as exc:
        if code(exc) != "ConfigurationSetDoesNotExist":
            raise
        ses.create_configuration_set(ConfigurationSet={"Name": name})
        described, created = {}, True
    existing = [d for d in described.get("EventDestinations") or [] if d and d.get("Name") == destination["Name"]]
    if not existing:
        try:
            ses.create_configuration_set_event_destination(ConfigurationSetName=name, EventDestination=destination)
        except ClientError as exc:
            # AWS: another deploy created it meanwhile. moto 5.2.5: a destination name stays
            # registered after its configuration set is deleted (teardown, then deploy again).
            if code(exc) != "EventDestinationAlreadyExists":
                raise
        changes.append("CloudWatch event destination")
    elif not same({**destination, "MatchingEventTypes": sorted(destination["MatchingEventTypes"])},
                  {**existing[0], "MatchingEventTypes": sorted(existing[0].get("MatchingEventTypes", []))}):
        ses.update_configuration_set_event_destination(ConfigurationSetName=name, EventDestination=destination)
        changes.append("CloudWatch event destination")
    ctx.report.record(f"SES configuration set {name}", created, changes)


def delete(ctx: Context, email: EmailConfigurationSet) -> None:
    ses = ctx.client("ses")
    name = ctx.stage.configuration_set
    ctx.delete(f"SES configuration set {name}", lambda: ses.delete_configuration_set(ConfigurationSetName=name),
               lambda: ses.describe_configuration_set(ConfigurationSetName=name), ("ConfigurationSetDoesNotExist",))


def cloudformation(stage: Stage, n: Naming, email: EmailConfigurationSet) -> dict[str, Any]:
    return {
        email.logical_id: {"Type": "AWS::SES::ConfigurationSet", "Properties": {"Name": n.value("ConfigurationSet")}},
        "SesEventDestination": {"Type": "AWS::SES::ConfigurationSetEventDestination", "Properties": {
            "ConfigurationSetName": n.name(email), "EventDestination": event_destination(n, email)}},
    }
