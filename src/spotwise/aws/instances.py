"""Reading EC2 instances into the Cloud port's `Instance`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spotwise.model.instance_type import CapacityType
from spotwise.ports.cloud import Instance, InstanceState

# Every state but terminated: an instance in any of them still costs money or soon did.
LIVE_STATES: tuple[str, ...] = ("pending", "running", "stopping", "stopped", "shutting-down")

# EC2 accepts at most 200 values in one filter.
MAX_FILTER_VALUES = 200


def instance_from_ec2(item: Mapping[str, Any]) -> Instance:
    """An `Instance` from one ``Reservations[].Instances[]`` item of DescribeInstances."""
    launched = item.get("LaunchTime")
    return Instance(
        instance_id=item["InstanceId"],
        instance_type=item.get("InstanceType", ""),
        zone=item.get("Placement", {}).get("AvailabilityZone", ""),
        # Only spot instances say so; on-demand ones carry no lifecycle (or "scheduled").
        capacity_type=(
            CapacityType.SPOT if item.get("InstanceLifecycle") == "spot" else CapacityType.ON_DEMAND
        ),
        state=InstanceState(item.get("State", {}).get("Name", "pending")),
        launch_time=launched.timestamp() if launched is not None else 0.0,
        tags={t["Key"]: t.get("Value", "") for t in item.get("Tags") or ()},
        private_dns_name=item.get("PrivateDnsName") or "",
    )


def describe_instances(ec2: Any, filters: Sequence[Mapping[str, Any]]) -> list[Instance]:
    """Every instance matching ``filters``, over all pages.

    Filters, unlike ``InstanceIds``, never fail on an unknown id: it is simply not
    listed, which is what the port asks for.
    """
    found: list[Instance] = []
    for page in ec2.get_paginator("describe_instances").paginate(Filters=list(filters)):
        for reservation in page.get("Reservations", ()):
            found.extend(instance_from_ec2(item) for item in reservation.get("Instances", ()))
    return found


def chunks(values: Sequence[str], size: int = MAX_FILTER_VALUES) -> list[list[str]]:
    """``values`` in lists of at most ``size``."""
    return [list(values[i : i + size]) for i in range(0, len(values), size)]
