"""What the cluster's nodes cost per hour, by node pool and capacity type."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from spotwise.catalog.catalog import Catalog
from spotwise.catalog.node_price import node_price
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node


def cost_per_hour(nodes: Sequence[Node], catalog: Catalog) -> dict[tuple[str, CapacityType], float]:
    """USD per hour of the nodes spotwise can price, by (node pool, capacity type).

    A node is priced at its offering in the catalog (its instance type, zone and
    capacity type labels); nodes of no pool count under the pool ``""``, and nodes the
    catalog cannot price (unknown type or zone, no capacity-type label) are left out
    rather than counted as free.
    """
    totals: dict[tuple[str, CapacityType], float] = defaultdict(float)
    for node in nodes:
        price = node_price(node, catalog)
        if price is None or node.capacity_type is None:
            continue
        totals[(node.labels.get(NODE_POOL) or "", node.capacity_type)] += price
    return dict(totals)
