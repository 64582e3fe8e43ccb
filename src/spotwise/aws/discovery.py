"""Finding subnets and security groups by their tags, as Karpenter's selectors do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The tag Karpenter's getting-started guides put on a cluster's subnets and security groups.
DISCOVERY_TAG = "karpenter.sh/discovery"


def default_selector(cluster: str) -> dict[str, str]:
    """The selector used when a pool gives none: ``karpenter.sh/discovery: <cluster>``."""
    return {DISCOVERY_TAG: cluster}


def tag_filters(selector: Mapping[str, str]) -> list[dict[str, Any]]:
    """EC2 filters matching resources that carry every tag of ``selector``.

    A value of ``*`` matches any value of the key.
    """
    return [
        {"Name": "tag-key", "Values": [key]}
        if value == "*"
        else {"Name": f"tag:{key}", "Values": [value]}
        for key, value in selector.items()
    ]


def discover_subnets(ec2: Any, selector: Mapping[str, str]) -> dict[str, str]:
    """Zone name -> subnet ID of the subnets matching ``selector``.

    Where a zone has several, the one with the most free addresses wins, so that
    launches do not fail with InsufficientFreeAddressesInSubnet while room is left.
    """
    by_zone: dict[str, list[tuple[str, int]]] = {}
    pages = ec2.get_paginator("describe_subnets").paginate(Filters=tag_filters(selector))
    for page in pages:
        for subnet in page.get("Subnets", ()):
            free = int(subnet.get("AvailableIpAddressCount", 0))
            by_zone.setdefault(subnet["AvailabilityZone"], []).append((subnet["SubnetId"], free))
    # max() keeps the first of equals, so ties go to the lowest ID: stable between calls.
    return {
        zone: max(sorted(subnets), key=lambda s: s[1])[0]
        for zone, subnets in sorted(by_zone.items())
    }


def discover_security_groups(ec2: Any, selector: Mapping[str, str]) -> tuple[str, ...]:
    """The IDs of the security groups matching ``selector``, sorted."""
    ids: set[str] = set()
    pages = ec2.get_paginator("describe_security_groups").paginate(Filters=tag_filters(selector))
    for page in pages:
        ids.update(group["GroupId"] for group in page.get("SecurityGroups", ()))
    return tuple(sorted(ids))
