"""Static predicates: can pods with these constraints ever run on this node or offer?

Static means independent of what else is placed: taints and tolerations, node selector
and node affinity, volume zone and node pins, and whether one pod fits at all.
"""

from __future__ import annotations

from spotwise.decisions.scheduling.bins import Placement, fit_count
from spotwise.decisions.scheduling.constraints import Constraints
from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.labels import ZONE
from spotwise.model.node import Node
from spotwise.model.resources import Resources


def node_accepts(cons: Constraints, node: Node) -> bool:
    """Whether an existing node passes the static predicates for these pods."""
    spec = cons.spec
    if node.unschedulable or cons.untolerated(node.taints):
        return False
    if spec.node is not None and spec.node != node.name:
        return False
    if spec.zones is not None and node.labels.get(ZONE) not in spec.zones:
        return False
    return cons.matches_node(node.labels)


NodeKey = tuple[object, ...]


def node_key(cons: Constraints) -> NodeKey:
    """What the static node predicates depend on: equal keys, equal answers."""
    spec = cons.spec
    return (
        spec.node_selector,
        spec.required_node_terms,
        cons.preferred_node_term,
        spec.zones,
        spec.node,
        spec.tolerations,
        cons.avoid_prefer_no_schedule,
    )


def pool_placements(cons: Constraints, pool: Pool) -> dict[int, frozenset[Placement]]:
    """Shape index -> placements of ``pool`` whose nodes these pods accept (size aside)."""
    spec = cons.spec
    if spec.node is not None or cons.untolerated(pool.taints):
        return {}
    options: dict[int, frozenset[Placement]] = {}
    for index, shape in enumerate(pool.shapes):
        placements = frozenset(
            (o.zone, o.capacity_type)
            for o in shape.offers
            if (spec.zones is None or o.zone in spec.zones) and cons.matches_node(o.labels)
        )
        if placements:
            options[index] = placements
    return options


def that_fit(
    options: dict[int, frozenset[Placement]],
    allocatable: tuple[Resources, ...],
    exotic: tuple[bool, ...],
    request: Resources,
) -> dict[int, frozenset[Placement]]:
    """The options whose shape holds at least one pod of ``request``.

    Exotic shapes (GPUs, accelerators, FPGAs, bare metal) are left out for pods that ask
    for no extended resource whenever another shape holds them, as Karpenter does: their
    spot price per vCPU can look low, but a web pod on an inf2.48xlarge wastes the node.
    """
    fitting = {i: p for i, p in options.items() if fit_count(allocatable[i], request) >= 1}
    if request.extended:
        return fitting
    ordinary = {i: p for i, p in fitting.items() if not exotic[i]}
    return ordinary or fitting
