"""What reserved instances and Savings Plans leave free, as pools the packer fills first.

A commitment is paid whether it is used or not, so on-demand capacity under its free
part adds nothing to the bill: it is cheaper than any spot node, and it is never
interrupted. The free part is what AWS's attribution (`spotwise.decisions.cost.attribution`)
leaves of each commitment over the nodes that run (or are launching) now, each taken as
a whole hour. Each commitment with something free becomes, for every pool that buys
on-demand, a view of that pool (`Pool.nodepool`):

* its shapes are the types the commitment covers (a zonal RI: its type in its zone; a
  regional RI: the family's sizes by normalization factor, or its own type where sizes do
  not flex; an EC2 Instance Savings Plan: its family; a Compute Savings Plan: any type),
  with their on-demand offers only;
* each new node takes what it would use of the commitment (`Pool.units`): one
  instance-hour, its normalized units, or its on-demand price at the plan's rate, within
  the free part (``limits.units``, one for all of a commitment's views), and counts
  against the pool's own caps;
* it is tried before every other pool (`COMMITTED_WEIGHT`), and its offers are priced at
  what the node adds to the bill: nothing (a millionth of the on-demand price, so that
  the smallest node that holds the pods is still chosen).

Nodes being drained to go (interrupted, or disrupted on purpose) hold no commitment here:
their pods' new home may take what they leave. A node is planned into a commitment only
when the free part covers it whole; a remainder
too small for any node is used by the on-demand nodes bought otherwise, as AWS bills
them. Nodes that run under a commitment are priced the same way for consolidation
(`covered_shares`), so it neither moves their pods to spot nor leaves the commitment
empty while spot nodes' pods could fill it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from spotwise.decisions.cost.attribution import (
    PlanKind,
    ReservedInstance,
    SavingsPlan,
    Usage,
    attribute,
)
from spotwise.decisions.cost.normalization import factor
from spotwise.decisions.interruption.node_state import DISRUPTED_TAINT_KEY, TAINT_KEY
from spotwise.decisions.scheduling.pool import NodeShape, Pool
from spotwise.model.instance_type import CapacityType
from spotwise.model.node import Node
from spotwise.model.provider_id import instance_id

_LEAVING = frozenset({TAINT_KEY, DISRUPTED_TAINT_KEY})
# Above any pool's weight (0 to 100): free commitments are filled first.
COMMITTED_WEIGHT = 1000
# A committed node's price, as a share of its on-demand price: next to nothing, but
# smaller nodes stay cheaper than larger ones.
PRICE_SCALE = 1e-6
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Commitments:
    """The account's commitments, for the cluster's region.

    Attributes:
        region: The cluster's region.
        reserved: Reserved instances.
        plans: Savings Plans.
    """

    region: str
    reserved: tuple[ReservedInstance, ...] = ()
    plans: tuple[SavingsPlan, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.reserved or self.plans)


def committed_pools(
    pools: Sequence[Pool], nodes: Sequence[Node], commitments: Commitments
) -> tuple[Pool, ...]:
    """The views of ``pools`` that the commitments' free parts can still fill.

    Args:
        pools: The pools.
        nodes: The nodes that run or are being launched (they use the commitments).
        commitments: The commitments.
    """
    if not commitments:
        return ()
    free = _free(pools, nodes, commitments)
    found = []
    every: list[ReservedInstance | SavingsPlan] = [*commitments.reserved, *commitments.plans]
    for commitment in every:
        left = free.get(commitment.id, 0.0)
        if left <= _EPSILON:
            continue
        for pool in pools:
            view = _view(pool, commitment, left, commitments.region)
            if view is not None:
                found.append(view)
    return tuple(found)


def covered_shares(
    pools: Sequence[Pool], nodes: Sequence[Node], commitments: Commitments
) -> dict[str, float]:
    """Node -> the share of its price commitments pay (0 to 1), for nodes with any."""
    if not commitments:
        return {}
    named = _usages(pools, nodes, commitments.region)
    attributions, _ = attribute([u for _, u in named], commitments.reserved, commitments.plans)
    shares = {}
    for (name, usage), attribution in zip(named, attributions, strict=True):
        paid = attribution.added_price / usage.price if usage.price > 0 else 1.0
        if paid < 1.0 - _EPSILON:
            shares[name] = 1.0 - paid
    return shares


def _free(
    pools: Sequence[Pool], nodes: Sequence[Node], commitments: Commitments
) -> dict[str, float]:
    """Commitment id -> what is left of it over ``nodes``, in its own unit."""
    usages = [u for _, u in _usages(pools, nodes, commitments.region)]
    _, used = attribute(usages, commitments.reserved, commitments.plans)
    return {u.id: u.total - u.used for u in used}


def _usages(pools: Sequence[Pool], nodes: Sequence[Node], region: str) -> list[tuple[str, Usage]]:
    """Each on-demand node as an hour's usage at its type's on-demand price."""
    prices = {s.name: s.on_demand_price for p in pools for s in p.shapes if s.on_demand_price}
    found = []
    for n in nodes:
        instance_type, zone = n.instance_type, n.zone
        if n.capacity_type is not CapacityType.ON_DEMAND or not instance_type or not zone:
            continue
        if any(t.key in _LEAVING for t in n.taints):
            continue  # drained to go: what it holds is free for its pods' new home
        price = prices.get(instance_type) or n.price
        if price is None:
            continue  # a type no pool prices: it cannot be told what it uses
        name = instance_id(n.provider_id) if n.provider_id else n.name
        found.append((n.name, Usage(name, instance_type, zone, region, n.capacity_type, price)))
    return found


def _view(
    pool: Pool, commitment: ReservedInstance | SavingsPlan, free: float, region: str
) -> Pool | None:
    """``pool`` narrowed to what ``commitment`` covers, or None when it covers none of it."""
    shapes, units = [], {}
    for shape in pool.shapes:
        if shape.on_demand_price is None:
            continue
        unit = _units(commitment, shape, region)
        if unit is None:
            continue
        offers = tuple(
            dataclasses.replace(o, price=shape.on_demand_price * PRICE_SCALE)
            for o in shape.offers
            if o.capacity_type is CapacityType.ON_DEMAND
            and (not isinstance(commitment, ReservedInstance) or commitment.zone in (None, o.zone))
        )
        if offers:
            shapes.append(dataclasses.replace(shape, offers=offers))
            units[shape.name] = unit
    if not shapes:
        return None
    return dataclasses.replace(
        pool,
        name=f"{pool.name}/{commitment.id}",
        shapes=tuple(shapes),
        weight=COMMITTED_WEIGHT + pool.weight,
        limits=dataclasses.replace(pool.limits, units=free),
        on_demand_base=0,
        on_demand_percentage=100,
        headroom=dataclasses.replace(pool.headroom, units=0, percent=0),
        nodepool=pool.nodes_of,
        units=units,
        commitment=commitment.id,
    )


def _units(
    commitment: ReservedInstance | SavingsPlan, shape: NodeShape, region: str
) -> float | None:
    """What one node of ``shape`` takes of ``commitment`` an hour; None: not covered."""
    name, family = shape.name, shape.name.partition(".")[0]
    if isinstance(commitment, ReservedInstance):
        if commitment.region != region:
            return None
        if commitment.zone is not None or factor(commitment.instance_type) is None:
            return 1.0 if name == commitment.instance_type else None
        if family != commitment.instance_type.partition(".")[0]:
            return None
        return factor(name)
    if commitment.kind is PlanKind.EC2_INSTANCE and (
        family != commitment.family or commitment.region not in (None, region)
    ):
        return None
    assert shape.on_demand_price is not None
    return shape.on_demand_price * (1.0 - commitment.discount)
