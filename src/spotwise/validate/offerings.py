"""Checks of where a pool's types can be bought: its zones, offerings and spot diversity."""

from __future__ import annotations

from typing import Final

from spotwise.catalog.catalog import Catalog
from spotwise.config.nodepool import NodePool
from spotwise.model.instance_type import CapacityType
from spotwise.model.offering import bucket_at_most
from spotwise.validate.finding import Finding, error, names, warning

# Spot capacity is reclaimed pool by pool (type x zone); AWS's guidance is to be flexible
# across at least this many types so that one pool running dry does not stop launches.
MIN_SPOT_TYPES: Final = 5


def pool_zones(pool: NodePool, catalog: Catalog) -> tuple[str, ...]:
    """The region's zones the pool may use: the ones it lists, else every zone."""
    if pool.spec.zones:
        return tuple(z for z in pool.spec.zones if z in catalog.metadata.zone_ids)
    return catalog.zones


def check_zones(pool: NodePool, catalog: Catalog) -> list[Finding]:
    """Every zone of the pool must be a zone of the catalog's region."""
    return [
        error(
            pool.name,
            f"spec.zones[{index}]",
            f"{zone} is not a zone of {catalog.region}",
            f"use zones of {catalog.region}: {names(catalog.zones)}",
        )
        for index, zone in enumerate(pool.spec.zones)
        if zone not in catalog.metadata.zone_ids
    ]


def check_offerings(pool: NodePool, catalog: Catalog) -> list[Finding]:
    """Each type must be offered, the way the pool buys, in the pool's zones.

    A type offered in none of them is an error: it can never be launched. A type that
    cannot be bought one of the pool's ways, or is missing from some zones the pool
    lists, is a warning: the pool still works, with less room than its author thinks.
    """
    zones = pool_zones(pool, catalog)
    if not zones:
        return []  # every zone is wrong; check_zones says so
    findings = []
    capacity_types = pool.spec.capacity_types
    for index, name in enumerate(pool.spec.instance_types):
        if name not in catalog.instance_types:
            continue  # check_known_types says so
        field = f"spec.instanceTypes[{index}]"
        offered = {
            ct: {o.zone for o in catalog.offerings_of(name, ct, zones)} for ct in capacity_types
        }
        usable = set().union(*offered.values())
        ways = " or ".join(ct.value for ct in capacity_types)
        if not usable:
            elsewhere = sorted(
                {o.zone for ct in capacity_types for o in catalog.offerings_of(name, ct)}
            )
            fix = (
                f"drop it, or add a zone that offers it ({names(elsewhere)})"
                if elsewhere
                else "drop it"
            )
            findings.append(
                error(
                    pool.name,
                    field,
                    f"{name} is not offered as {ways} in any of the pool's zones ({names(zones)})",
                    fix,
                )
            )
            continue
        for capacity_type in capacity_types:
            if not offered[capacity_type]:
                findings.append(
                    warning(
                        pool.name,
                        field,
                        f"{name} cannot be bought as {capacity_type.value} in the pool's"
                        " zones; its nodes are never bought that way",
                        f"drop it, or replace it with a type offered as {capacity_type.value}",
                    )
                )
        # Only zones the author listed: a type missing from a zone nobody asked for is normal.
        missing = [z for z in zones if z not in usable] if pool.spec.zones else []
        if missing:
            findings.append(
                warning(
                    pool.name,
                    field,
                    f"{name} is not offered in {names(missing)}; its nodes cannot go there",
                    "add types offered in every zone of the pool if its pods spread over zones",
                )
            )
    return findings


def check_spot_diversity(pool: NodePool, catalog: Catalog) -> list[Finding]:
    """A spot pool should be able to pick from `MIN_SPOT_TYPES` types (fewer if it asks fewer).

    Each type x zone is a separate spot capacity pool: when it is short or reclaimed,
    the launch falls back to the others. With few, interruptions and failed launches
    come together. Types that ``maxInterruption`` keeps out of spot do not count; when it
    keeps them all out, the pool buys no spot at all, which is said apart.
    """
    if CapacityType.SPOT not in pool.spec.capacity_types or not pool.spec.instance_types:
        return []  # on-demand only, or any type: nothing to diversify
    zones = pool_zones(pool, catalog)
    offered = [
        o
        for name in pool.spec.instance_types
        if name in catalog.instance_types
        for o in catalog.offerings_of(name, CapacityType.SPOT, zones)
    ]
    if not offered:
        return []  # no spot at all is reported per type by check_offerings
    limit = pool.spec.max_interruption
    calm = bucket_at_most(limit) if limit is not None else None
    spot_pools = {
        (o.instance_type, o.zone) for o in offered if calm is None or o.interruption in calm
    }
    spot_types = {name for name, _ in spot_pools}
    if not spot_types:
        only_spot = pool.spec.capacity_types == (CapacityType.SPOT,)
        finding = error if only_spot else warning
        return [
            finding(
                pool.name,
                "spec.maxInterruption",
                f"{limit:g}% keeps every spot offering of the pool's types out: the pool buys"
                f" no spot{'' if not only_spot else ' and so launches nothing'}",
                "raise maxInterruption (the types' buckets are in 'spotwise select -o wide'),"
                " or list calmer types",
            )
        ]
    wanted = min(MIN_SPOT_TYPES, pool.spec.min_instance_types)
    if len(spot_types) >= wanted:
        return []
    plural = "" if len(spot_types) == 1 else "s"
    kept = len({o.instance_type for o in offered}) > len(spot_types)
    calmer = f" at or under maxInterruption {limit:g}%" if kept and limit is not None else ""
    return [
        warning(
            pool.name,
            "spec.instanceTypes",
            f"only {len(spot_types)} instance type{plural} can be bought as spot here{calmer}"
            f" ({len(spot_pools)} spot pools of type x zone); when one is short of capacity"
            " or reclaimed, the pool has few others to fall back on",
            f"list at least {wanted} types of similar size from several families and"
            " generations ('spotwise select ... --emit pool' writes them)",
        )
    ]
