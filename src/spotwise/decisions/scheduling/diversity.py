"""How full a new spot node may get and still launch as many types.

Packing a node to the brim of its best type leaves one type that holds it; the launch
list then names that type's pools alone. Like Karpenter's ``minValues``, a spot node here
takes a pod only while at least ``minInstanceTypes`` types of ``minFamilies`` families
would still hold all its pods: the types of its list's reach (the pool's types its first
pods accept, spot, within the list's price guard of the size it is opened as). Where the
pool has fewer such types, the node is not held back; the packer avoids such sizes when it
can (`spotwise.decisions.scheduling.pricing`), and the plan names the narrow nodes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from operator import itemgetter

from spotwise.decisions.scheduling.bins import Placement, fit_after, fit_count
from spotwise.decisions.scheduling.launch_list import guard_factor
from spotwise.decisions.scheduling.options import cheapest_spot
from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.resources import Resources


@dataclass(frozen=True, slots=True)
class Reach:
    """The types a spot node's list may draw from, by allocatable.

    Attributes:
        types: How many of them must still hold the node's pods (``minInstanceTypes``).
        families: How many families they must span (``minFamilies``).
        allocatable: Each distinct allocatable among them, with the families of the types
            that have it (one entry per type).
    """

    types: int
    families: int
    allocatable: tuple[tuple[Resources, tuple[str, ...]], ...]

    def room_for(self, used: Resources, request: Resources) -> int:
        """How many more pods of ``request`` the node takes and keeps enough types."""
        fits = sorted(
            ((fit_after(a, used, request), kinds) for a, kinds in self.allocatable),
            key=itemgetter(0),
            reverse=True,
        )
        holding = 0
        families: set[str] = set()
        for count, kinds in fits:
            holding += len(kinds)
            families.update(kinds)
            if holding >= self.types and len(families) >= self.families:
                return count
        return 0


def reach(
    pool: Pool,
    allocatable: tuple[Resources, ...],
    placements: dict[int, frozenset[Placement]],
    target: int,
    request: Resources,
) -> Reach | None:
    """The reach of a spot node opened as shape ``target`` for pods of ``request``.

    Args:
        pool: The node's pool (its ``min_instance_types`` and ``min_families``).
        allocatable: Each shape's allocatable after DaemonSets.
        placements: Shape -> placements the node's first pods accept.
        target: The shape the node is opened as.
        request: One pod of the group that opens the node.

    Returns:
        None when the pool asks for one type of one family, or has too few in reach: the
        node is then not held back.
    """
    if pool.min_instance_types <= 1 and pool.min_families <= 1:
        return None
    guard = cheapest_spot(pool, target, placements[target]) * guard_factor(pool.price_ceiling)
    ordinary_only = not request.extended
    found: dict[Resources, list[str]] = defaultdict(list)
    for index, accepted in placements.items():
        t = pool.shapes[index].instance_type
        if ordinary_only and t.exotic:
            continue
        if cheapest_spot(pool, index, accepted) > guard:
            continue
        if fit_count(allocatable[index], request) >= 1:
            found[allocatable[index]].append(t.family)
    families = {f for kinds in found.values() for f in kinds}
    enough = sum(len(k) for k in found.values()) >= pool.min_instance_types
    if not enough or len(families) < pool.min_families:
        return None
    return Reach(
        pool.min_instance_types,
        pool.min_families,
        tuple((a, tuple(kinds)) for a, kinds in found.items()),
    )
