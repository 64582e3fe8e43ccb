"""Hourly prices from the catalog: of an offering, and of a node by its labels."""

from __future__ import annotations

from spotwise.catalog.catalog import Catalog
from spotwise.model.instance_type import CapacityType
from spotwise.model.node import Node


def offering_price(
    catalog: Catalog, instance_type: str, zone: str, capacity_type: CapacityType
) -> float | None:
    """USD per hour of one offering; None when the catalog has no such offering."""
    offers = catalog.offerings_of(instance_type, capacity_type, [zone])
    return offers[0].price if offers else None


def node_price(node: Node, catalog: Catalog) -> float | None:
    """USD per hour of the node's offering (instance type, zone and capacity type labels).

    None when a label is missing or the catalog has no such offering: a node that cannot
    be priced is left out of totals rather than counted as free.
    """
    if node.instance_type is None or node.zone is None or node.capacity_type is None:
        return None
    return offering_price(catalog, node.instance_type, node.zone, node.capacity_type)
