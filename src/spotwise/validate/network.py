"""Checks of what a pool's subnet and security-group selectors find."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from spotwise.config.nodepool import NodePool
from spotwise.validate.facts import Discovered
from spotwise.validate.finding import Finding, error, names, warning


def tags_text(selector: Mapping[str, str]) -> str:
    """A tag selector as ``key=value`` pairs, for messages."""
    return ", ".join(f"{key}={value}" for key, value in selector.items())


def check_subnets(pool: NodePool, found: Discovered, zones: Sequence[str]) -> list[Finding]:
    """The subnet selector must find a subnet in every zone the pool launches into.

    Args:
        pool: The pool.
        found: What the pool's subnet selector found.
        zones: The region's zones the pool may use (its own, else every zone).

    A zone the pool lists without a subnet is an error: every launch the planner sends
    there fails. When the pool lists no zones, missing zones are a warning: the pool
    works in the others, and naming them keeps the planner out of the rest.
    """
    field = "spec.launch.subnetSelector"
    selector = tags_text(found.selector)
    if not found.subnets:
        return [
            error(
                pool.name,
                field,
                f"no subnet has the tags {selector}, so no node can launch",
                "tag the cluster's node subnets with them, or fix the selector",
            )
        ]
    missing = [zone for zone in zones if zone not in found.subnets]
    if not missing:
        return []
    with_subnet = names(sorted(found.subnets))
    if pool.spec.zones:
        return [
            error(
                pool.name,
                field,
                f"finds no subnet with the tags {selector} in {names(missing)} (only in"
                f" {with_subnet}); launches there fail",
                "tag a subnet in each of those zones, or drop them from spec.zones",
            )
        ]
    return [
        warning(
            pool.name,
            field,
            f"finds subnets only in {with_subnet}; nodes planned in {names(missing)} cannot launch",
            f"set spec.zones: [{with_subnet}], or tag subnets in the other zones",
        )
    ]


def check_security_groups(pool: NodePool, found: Discovered) -> list[Finding]:
    """The security-group selector must find at least one group."""
    if found.security_groups:
        return []
    return [
        error(
            pool.name,
            "spec.launch.securityGroupSelector",
            f"no security group has the tags {tags_text(found.selector)}; templates cannot be"
            " made and no node can launch",
            "tag the node security group with them, or fix the selector",
        )
    ]
