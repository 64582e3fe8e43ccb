"""What a new node of each size is expected to cost, as the packer compares sizes.

A spot node of one size (vCPUs, memory, GPUs) launches from a list of the types of that
size, cheapest first, and its allocation strategy picks one of their pools: for
price-capacity-optimized, the cheapest of the deep ones, often not the cheapest type. So
the packer prices a size by that expected pick (`spotwise.decisions.capacity.expected`) plus the
expected cost of its interruptions, the same for every type of the size: a size whose
cheapest type is a shallow, stormy pool is worth what the strategy will really pay for it.
A pool the cluster saw interrupted lately is stormier and shallower for a few hours (the
offers carry it, `spotwise.decisions.capacity.observed`), so its size costs more then.
A size with fewer types than the pool's ``minInstanceTypes`` (or families than
``minFamilies``) in its list is *thin*: the packer sizes nodes elsewhere when it can.
On-demand shapes cost their cheapest offer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from spotwise.decisions.capacity.expected import (
    PoolQuote,
    interruption_cost_per_hour,
)
from spotwise.decisions.scheduling.bins import Placement
from spotwise.decisions.scheduling.launch_list import LaunchList, Listable, take_types
from spotwise.decisions.scheduling.options import cheapest, cheapest_spot
from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.instance_type import CapacityType

Size = tuple[int, int, int]  # vCPUs, memory MiB, GPUs


@dataclass(frozen=True, slots=True)
class SizePrices:
    """Per shape, the hourly cost a node of its size is expected to have.

    Attributes:
        price: Shape index -> expected price plus expected interruption cost (spot), or
            its cheapest price (shapes with no spot placement).
        thin: Spot shapes whose size has too few types for the pool's diversity rules.
    """

    price: dict[int, float]
    thin: frozenset[int]


def size_prices(pool: Pool, options: dict[int, frozenset[Placement]]) -> SizePrices:
    """The expected cost of a node of each option's size.

    Args:
        pool: The pool (its strategy and diversity rules).
        options: Shape index -> where it may be bought.
    """
    by_size: dict[Size, list[int]] = defaultdict(list)
    price: dict[int, float] = {}
    for index, placements in options.items():
        if any(ct is CapacityType.SPOT for _, ct in placements):
            t = pool.shapes[index].instance_type
            by_size[(t.vcpus, t.memory_mib, t.gpu_count)].append(index)
        else:
            price[index] = cheapest(pool, index, placements)
    thin: set[int] = set()
    for members in by_size.values():
        listed = _size_list(pool, members, options)
        assert listed.pick is not None  # every member has a spot placement
        expected = listed.pick.price + interruption_cost_per_hour(listed.pick)
        if len(listed.types) < pool.min_instance_types or listed.families < pool.min_families:
            thin.update(members)
        for index in members:
            price[index] = expected
    return SizePrices(price, frozenset(thin))


def _size_list(
    pool: Pool, members: list[int], options: dict[int, frozenset[Placement]]
) -> LaunchList:
    """The spot list a node of one size would get: its types, by the launch-list rule."""

    def listable(index: int) -> Listable:
        shape = pool.shapes[index]
        quotes = tuple(
            PoolQuote(shape.name, o.zone, o.price, o.interruption, o.observed)
            for o in shape.offers
            if o.capacity_type is CapacityType.SPOT and (o.zone, o.capacity_type) in options[index]
        )
        return Listable(floors[index], shape.name, shape.instance_type.family, quotes)

    floors = {i: cheapest_spot(pool, i, options[i]) for i in members}
    by_floor = sorted((floors[i], i) for i in members)
    return take_types(pool, True, by_floor, listable)
