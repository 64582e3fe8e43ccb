"""Turn the packer's claims into nodes to launch: capacity type, launch list, price.

Each node gets a launch list (`spotwise.decisions.scheduling.launch_list`) and the price its
allocation strategy is expected to pay for it (`spotwise.decisions.capacity.expected`). A pool's
on-demand base and percentage decide which nodes that allow both are bought on-demand.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

from spotwise.decisions.capacity.expected import interruption_cost_per_hour
from spotwise.decisions.scheduling.bins import Claim
from spotwise.decisions.scheduling.headroom import is_headroom
from spotwise.decisions.scheduling.launch_list import (
    LaunchList,
    crowded_types,
    guard_factor,
    launch_list,
)
from spotwise.decisions.scheduling.plan import NewNode
from spotwise.decisions.scheduling.pool import NodeShape, Pool
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node
from spotwise.model.resources import Resources


def finalize(
    claims: Sequence[Claim],
    pools: Sequence[Pool],
    existing: Sequence[Node],
    allocatable: Mapping[str, tuple[Resources, ...]],
    price_orders: dict[str, dict[CapacityType, list[tuple[float, int]]]] | None = None,
) -> tuple[tuple[NewNode, ...], list[str]]:
    """The nodes to launch for ``claims``, and notes on the capacity-type split and lists.

    Args:
        claims: The packer's new nodes.
        pools: The pools they come from.
        existing: Existing nodes (a pool's split counts its existing on-demand nodes, its
            type shares its spot nodes).
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
        held = Counter(
            n.instance_type
            for n in existing
            if n.labels.get(NODE_POOL) == pool.name
            and n.capacity_type is CapacityType.SPOT
            and n.instance_type
        )
        by_name = {s.name: s for s in pool.shapes}
        made: list[NewNode] = []
        narrow: dict[str, list[str]] = {}
        for claim in mine:
            capacity_type = (
                CapacityType.ON_DEMAND
                if claim in on_demand or not _allows(claim, CapacityType.SPOT, shapes)
                else CapacityType.SPOT
            )
            crowded: frozenset[str] = frozenset()
            if capacity_type is CapacityType.SPOT:
                crowded = crowded_types(held, sum(held.values()) + 1, pool.max_type_share)
            found = launch_list(claim, capacity_type, by_price[capacity_type], shapes, crowded)
            node = _new_node(claim, capacity_type, found, by_name)
            if capacity_type is CapacityType.SPOT and found.pick is not None:
                held[found.pick.instance_type] += 1
                reason = _why_narrow(claim, found, shapes)
                if reason is not None:
                    narrow.setdefault(reason, []).append(node.name)
            made.append(node)
        nodes += made
        notes += _narrow_notes(pool, narrow)
    return tuple(nodes), notes


def _why_narrow(claim: Claim, found: LaunchList, allocatable: tuple[Resources, ...]) -> str | None:
    """Why a spot node's list is less diverse than its pool asks; None when it is not."""
    pool = claim.pool
    if len(found.types) >= pool.min_instance_types and found.families >= pool.min_families:
        return None
    zones = set(found.zones)
    holders = [
        pool.shapes[index]
        for index, placements in claim.compatible.items()
        if claim.used.fits_in(allocatable[index])
        and any(ct is CapacityType.SPOT and zone in zones for zone, ct in placements)
    ]
    families = {s.instance_type.family for s in holders}
    if len(holders) < pool.min_instance_types or len(families) < pool.min_families:
        kinds = f"{len(families)} famil{'y' if len(families) == 1 else 'ies'}"
        return f"only {len(holders)} of the pool's types ({kinds}) hold their pods and accept them"
    factor = f"{guard_factor(pool.price_ceiling):g}x"
    return (
        f"the pool's other types that hold their pods cost more than {factor} the cheapest"
        f" and {factor} the price the node is expected to launch at"
    )


def _narrow_notes(pool: Pool, narrow: Mapping[str, list[str]]) -> list[str]:
    """One note per reason, naming every spot node whose list falls short of the rules."""
    wanted = f"{pool.min_instance_types} types"
    if pool.min_families > 1:
        wanted += f" of {pool.min_families} families"
    return [
        f"pool {pool.name}: {len(names)} spot node{'' if len(names) == 1 else 's'}"
        f" ({', '.join(names)}) may launch as fewer than {wanted}: {reason}"
        for reason, names in narrow.items()
    ]


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
    found: LaunchList,
    by_name: Mapping[str, NodeShape],
) -> NewNode:
    """The node for ``claim`` with its list, priced at the pool its strategy would pick.

    On-demand launches take the cheapest pool (lowest-price; prioritized lists are
    cheapest first too).
    """
    pool = claim.pool
    spot = capacity_type is CapacityType.SPOT
    pick = found.pick
    assert pick is not None  # a claim's pods fit one of its options at least
    prices = [q.price for q in found.quotes]
    on_demand = by_name[pick.instance_type].on_demand_price
    return NewNode(
        name=claim.id,
        pool=pool.nodes_of,
        capacity_type=capacity_type,
        instance_types=found.types,
        zones=found.zones,
        pods=tuple(p.key for p in claim.pods if not is_headroom(p)),
        requested=claim.used,
        price_per_hour=pick.price,
        on_demand_price_per_hour=on_demand if on_demand is not None else pick.price,
        headroom=sum(1 for p in claim.pods if is_headroom(p)),
        price_range_per_hour=(min(prices), max(prices)),
        expected_instance_type=pick.instance_type,
        interruption_cost_per_hour=interruption_cost_per_hour(pick) if spot else 0.0,
    )
