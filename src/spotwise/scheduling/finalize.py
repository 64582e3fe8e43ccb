"""Turn the packer's claims into nodes to launch: capacity type, type list, price.

Each node gets the cheapest shape that holds its pods, and a launch list of every shape
that fits within the pool's price ceiling, so that EC2's allocation strategy can pick the
pool most likely to have capacity. A pool's on-demand base and percentage decide which
nodes that allow both are bought on-demand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node
from spotwise.model.resources import Resources
from spotwise.scheduling.bins import Claim
from spotwise.scheduling.headroom import is_headroom
from spotwise.scheduling.plan import NewNode
from spotwise.scheduling.pool import Pool

MAX_LAUNCH_TYPES = 20


def finalize(
    claims: Sequence[Claim],
    pools: Sequence[Pool],
    existing: Sequence[Node],
    allocatable: Mapping[str, tuple[Resources, ...]],
    price_orders: dict[str, dict[CapacityType, list[tuple[float, int]]]] | None = None,
) -> tuple[tuple[NewNode, ...], list[str]]:
    """The nodes to launch for ``claims``, and notes on the capacity-type split.

    Args:
        claims: The packer's new nodes.
        pools: The pools they come from.
        existing: Existing nodes (a pool's split counts its existing on-demand nodes).
        allocatable: Pool -> each shape's allocatable after DaemonSets.
        price_orders: A cache of each pool's shapes in price order, kept by the caller.
    """
    orders = price_orders if price_orders is not None else {}
    nodes: list[NewNode] = []
    notes: list[str] = []
    for pool in pools:
        mine = [c for c in claims if c.pool is pool]
        if not mine:
            continue
        by_price = orders.get(pool.name)
        if by_price is None:
            by_price = orders[pool.name] = _shapes_by_price(pool)
        shapes = allocatable[pool.name]
        on_demand = _on_demand_claims(pool, mine, existing, shapes)
        forced = sum(1 for c in on_demand if _allows(c, CapacityType.SPOT, shapes))
        if forced:
            notes.append(
                f"pool {pool.name}: {forced} of {len(mine)} new nodes on-demand for its split "
                f"(base {pool.on_demand_base}, {pool.on_demand_percentage}% above)"
            )
        for claim in mine:
            capacity_type = (
                CapacityType.ON_DEMAND
                if claim in on_demand or not _allows(claim, CapacityType.SPOT, shapes)
                else CapacityType.SPOT
            )
            nodes.append(_new_node(claim, capacity_type, by_price[capacity_type], shapes))
    return tuple(nodes), notes


def _allows(claim: Claim, capacity_type: CapacityType, allocatable: tuple[Resources, ...]) -> bool:
    """Whether the claim's node may still be bought as ``capacity_type``.

    Only shapes that hold the claim's pods count: a claim keeps the smaller shapes it
    outgrew among its options, and one of them may be offered as a capacity type no
    shape that holds the pods is (on-demand refused lately, for instance). Counting it
    would make the node that capacity type with nothing to launch it as.
    """
    used = claim.used
    return any(
        ct is capacity_type
        for index, placements in claim.options.items()
        if used.fits_in(allocatable[index])
        for _, ct in placements
    )


def _on_demand_claims(
    pool: Pool,
    claims: list[Claim],
    existing: Sequence[Node],
    allocatable: tuple[Resources, ...],
) -> list[Claim]:
    """The claims that allow both and must be on-demand to honour the pool's split."""
    pool_nodes = [n for n in existing if n.labels.get(NODE_POOL) == pool.name]
    have_on_demand = sum(1 for n in pool_nodes if n.capacity_type is CapacityType.ON_DEMAND)
    total = len(pool_nodes) + len(claims)
    above = max(total - pool.on_demand_base, 0)
    wanted = min(pool.on_demand_base, total) + math.ceil(above * pool.on_demand_percentage / 100)
    only_on_demand = sum(1 for c in claims if not _allows(c, CapacityType.SPOT, allocatable))
    needed = wanted - have_on_demand - only_on_demand
    flexible = [
        c
        for c in claims
        if _allows(c, CapacityType.SPOT, allocatable)
        and _allows(c, CapacityType.ON_DEMAND, allocatable)
    ]
    return flexible[: max(needed, 0)]


def _shapes_by_price(pool: Pool) -> dict[CapacityType, list[tuple[float, int]]]:
    """Per capacity type, (lowest price in any zone, shape index), cheapest first."""
    found: dict[CapacityType, list[tuple[float, int]]] = {ct: [] for ct in CapacityType}
    for index, shape in enumerate(pool.shapes):
        for capacity_type in CapacityType:
            prices = [o.price for o in shape.offers if o.capacity_type is capacity_type]
            if prices:
                found[capacity_type].append((min(prices), index))
    for entries in found.values():
        entries.sort()
    return found


def _new_node(
    claim: Claim,
    capacity_type: CapacityType,
    by_price: list[tuple[float, int]],
    allocatable: tuple[Resources, ...],
) -> NewNode:
    """The node for ``claim``: its cheapest fitting type and the launch list around it.

    Shapes are walked cheapest first, so the walk stops at the price ceiling instead of
    pricing every type of the pool.
    """
    pool = claim.pool
    allowed = {zone for zone, ct in claim.placements() if ct is capacity_type}
    listed: list[tuple[float, str]] = []
    zones: set[str] = set()
    ceiling = math.inf
    # The packer kept exotic shapes out of the options of pods that do not need them
    # (compat.that_fit); the launch list must not bring them back.
    ordinary_only = not claim.used.extended and any(
        not pool.shapes[i].instance_type.exotic for i in claim.options
    )
    for floor, index in by_price:
        if floor > ceiling or len(listed) == MAX_LAUNCH_TYPES:
            break
        placements = claim.compatible.get(index)
        if placements is None or not claim.used.fits_in(allocatable[index]):
            continue
        shape = pool.shapes[index]
        if ordinary_only and shape.instance_type.exotic:
            continue
        offers = [
            o
            for o in shape.offers
            if o.capacity_type is capacity_type
            and o.zone in allowed
            and (o.zone, capacity_type) in placements
        ]
        if not offers:
            continue
        price = min(o.price for o in offers)
        if not listed:
            ceiling = price * (1 + pool.price_ceiling)
        if price <= ceiling:
            listed.append((price, shape.name))
            zones.update(o.zone for o in offers)
    listed.sort()
    cheapest, best = listed[0]
    shapes = {s.name: s for s in pool.shapes}
    on_demand = shapes[best].on_demand_price
    return NewNode(
        name=claim.id,
        pool=pool.name,
        capacity_type=capacity_type,
        instance_types=tuple(name for _, name in listed),
        zones=tuple(sorted(zones)),
        pods=tuple(p.key for p in claim.pods if not is_headroom(p)),
        requested=claim.used,
        price_per_hour=cheapest,
        on_demand_price_per_hour=on_demand if on_demand is not None else cheapest,
        headroom=sum(1 for p in claim.pods if is_headroom(p)),
    )
