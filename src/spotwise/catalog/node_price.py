"""A node's hourly price from the catalog, read off its well-known labels."""

from __future__ import annotations

from spotwise.catalog.catalog import Catalog
from spotwise.model.node import Node


def node_price(node: Node, catalog: Catalog) -> float | None:
    """USD per hour of the node's offering (instance type, zone and capacity type labels).

    None when a label is missing or the catalog has no such offering: a node that cannot
    be priced is left out of totals rather than counted as free.
    """
    if node.instance_type is None or node.zone is None or node.capacity_type is None:
        return None
    offers = catalog.offerings_of(node.instance_type, node.capacity_type, [node.zone])
    return offers[0].price if offers else None
