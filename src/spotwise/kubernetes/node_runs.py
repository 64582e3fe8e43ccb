"""The running nodes of a live cluster as instances' lives, for the ledger.

A cluster shows only the nodes that run now: each is billed from its creation (the
Node's ``creationTimestamp``; the window's start when older or unknown) to now, within a
window of whole clock hours that ends now. Spot nodes are priced at their pool's spot
price in the catalog today (the history of the price is not read), on-demand nodes at
their type's on-demand price. Nodes gone before now are not seen, so not billed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from spotwise.catalog.catalog import Catalog
from spotwise.catalog.node_price import node_price, offering_price
from spotwise.decisions.cost.attribution import Usage
from spotwise.decisions.cost.ledger import Run
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node
from spotwise.model.provider_id import instance_id


@dataclass(frozen=True, slots=True)
class NodeRuns:
    """The nodes' lives in the window.

    Attributes:
        runs: One per priced node; times in seconds from ``start``.
        start: When the window's first clock hour began, seconds since the epoch.
        unpriced: Nodes left out: the catalog cannot price them.
        end: The window's end (now), seconds from ``start``.
    """

    runs: tuple[Run, ...]
    start: float
    unpriced: tuple[str, ...]
    end: float = 0.0


def runs_from_nodes(nodes: Sequence[Node], catalog: Catalog, now: float, hours: float) -> NodeRuns:
    """The lives of ``nodes`` over the last ``hours`` to ``now`` (clock hours from the start)."""
    start = math.floor((now - hours * 3600) / 3600) * 3600
    runs, unpriced = [], []
    for node in nodes:
        price = node_price(node, catalog)
        instance_type, zone, capacity = node.instance_type, node.zone, node.capacity_type
        if price is None or not instance_type or not zone or capacity is None:
            unpriced.append(node.name)
            continue
        on_demand = offering_price(catalog, instance_type, zone, CapacityType.ON_DEMAND) or price
        began = max(node.created_at or start, start) - start
        name = instance_id(node.provider_id) if node.provider_id else node.name
        usage = Usage(name, instance_type, zone, catalog.region, capacity, price)
        labels = {
            "pool": node.labels.get(NODE_POOL) or "(no pool)",
            "capacity_type": capacity.value,
            "instance_type": instance_type,
            "zone": zone,
        }
        runs.append(Run(usage, began, max(began, now - start), on_demand, False, labels))
    return NodeRuns(tuple(runs), start, tuple(unpriced), now - start)
