"""The controller's cost gauges: cost per hour, savings, and the commitments' use.

A node is priced at its offering in the catalog (its instance type, zone and capacity
type labels); nodes of no pool count under the pool ``""``, and nodes the catalog cannot
price (unknown type or zone, no capacity-type label) are left out rather than counted
as free. With commitments, the nodes are attributed as AWS bills them
(`spotwise.decisions.cost.attribution`): savings are the on-demand price less each
node's amortized price (the commitments' own cost of what covers it counted; a node
under a reserved instance of unknown price claims none), and each commitment reports
how much of it is used. Only the cluster's nodes are seen: other usage in the account
that shares the commitments makes the real utilization higher and the savings lower.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from spotwise.catalog.catalog import Catalog
from spotwise.catalog.node_price import node_price, offering_price
from spotwise.decisions.cost.attribution import (
    ReservedInstance,
    SavingsPlan,
    Usage,
    Utilization,
    attribute,
)
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node
from spotwise.model.provider_id import instance_id

PoolKey = tuple[str, CapacityType]


@dataclass(frozen=True, slots=True)
class CostFigures:
    """The cost gauges' values.

    Attributes:
        cost: USD per hour at the catalog's prices, by (node pool, capacity type).
        savings: USD per hour saved against the same nodes on-demand, spot and
            commitments counted, by (node pool, capacity type).
        utilization: Each commitment's use.
    """

    cost: dict[PoolKey, float]
    savings: dict[PoolKey, float]
    utilization: tuple[Utilization, ...]


def cost_figures(
    nodes: Sequence[Node],
    catalog: Catalog,
    reserved: Sequence[ReservedInstance] = (),
    plans: Sequence[SavingsPlan] = (),
) -> CostFigures:
    """The cost, the savings and the commitments' use of the nodes spotwise can price."""
    keys: list[PoolKey] = []
    usages: list[Usage] = []
    on_demand: list[float] = []
    for node in nodes:
        price = node_price(node, catalog)
        if price is None or node.capacity_type is None:
            continue
        assert node.instance_type is not None and node.zone is not None  # priced: labelled
        listed = offering_price(catalog, node.instance_type, node.zone, CapacityType.ON_DEMAND)
        keys.append((node.labels.get(NODE_POOL) or "", node.capacity_type))
        on_demand.append(price if listed is None else listed)
        usages.append(
            Usage(
                instance_id(node.provider_id) or node.name,
                node.instance_type,
                node.zone,
                catalog.region,
                node.capacity_type,
                price,
            )
        )
    found, utilization = attribute(usages, reserved, plans)
    cost: dict[PoolKey, float] = defaultdict(float)
    savings: dict[PoolKey, float] = defaultdict(float)
    for key, usage, listed_price, attribution in zip(keys, usages, on_demand, found, strict=True):
        cost[key] += usage.price
        # Counted on the amortized price (commitments' own cost included); a node under
        # a reserved instance whose price the file does not give claims no savings.
        amortized = attribution.amortized_price
        savings[key] += listed_price - (listed_price if amortized is None else amortized)
    return CostFigures(dict(cost), dict(savings), utilization)
