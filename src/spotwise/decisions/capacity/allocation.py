"""The order in which EC2's allocation strategies try the pools of a launch.

EC2 does not publish its algorithms; these are models of what the documentation promises,
good enough for the simulator to reward or punish the strategy a pool is configured with:

* spot ``lowest-price``: the cheapest pools first, capacity or not.
* spot ``capacity-optimized``: the pools with the most spare capacity first.
* spot ``price-capacity-optimized``: the deep pools (spare capacity at least half the
  deepest's), cheapest first; then the deep pools of what is left, and so on.
* spot ``capacity-optimized-prioritized``: among pools with capacity, the override priorities.
* on-demand ``lowest-price``: the cheapest first; ``prioritized``: the priorities, then price.

Capacity-aware strategies leave pools with no spare capacity for last, as EC2 avoids them;
``lowest-price`` tries them in price order and reports their errors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.ports.cloud import Override

# A pool is deep, for price-capacity-optimized, with at least this share of the deepest
# pool's spare capacity: a threshold rather than a quartile, so that a short override list
# still has a choice of price among pools that are nearly as deep.
DEEP_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Candidate:
    """An override the strategy may choose, with what the simulator knows of its pool.

    Attributes:
        override: The request's override.
        price: The pool's price, USD per hour.
        spare: How many instances the pool can still hand out (as the strategy sees it).
        index: The override's position in the request: the last tie-break, so that the
            order never depends on anything but the request and the pools.
    """

    override: Override
    price: float
    spare: int
    index: int

    @property
    def priority(self) -> float:
        """The override's priority; unprioritized overrides come after prioritized ones."""
        return math.inf if self.override.priority is None else self.override.priority


def _cheapest(candidates: Sequence[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (c.price, c.index))


def _split(candidates: Sequence[Candidate]) -> tuple[list[Candidate], list[Candidate]]:
    """Pools with spare capacity, and pools without, cheapest first."""
    empty = [c for c in candidates if c.spare <= 0]
    return [c for c in candidates if c.spare > 0], _cheapest(empty)


def _price_capacity(candidates: Sequence[Candidate]) -> list[Candidate]:
    with_capacity, empty = _split(candidates)
    remaining = with_capacity
    ordered: list[Candidate] = []
    while remaining:
        threshold = max(c.spare for c in remaining) * DEEP_SHARE
        ordered += _cheapest([c for c in remaining if c.spare >= threshold])
        remaining = [c for c in remaining if c.spare < threshold]
    return ordered + empty


def spot_order(
    strategy: SpotAllocationStrategy, candidates: Sequence[Candidate]
) -> tuple[Candidate, ...]:
    """The order in which ``strategy`` tries spot pools."""
    match strategy:
        case SpotAllocationStrategy.LOWEST_PRICE:
            return tuple(_cheapest(candidates))
        case SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED:
            return tuple(_price_capacity(candidates))
        case SpotAllocationStrategy.CAPACITY_OPTIMIZED:
            with_capacity, empty = _split(candidates)
            return (*sorted(with_capacity, key=lambda c: (-c.spare, c.index)), *empty)
        case SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED:
            with_capacity, empty = _split(candidates)
            ranked = sorted(with_capacity, key=lambda c: (c.priority, -c.spare, c.index))
            return (*ranked, *empty)


def on_demand_order(
    strategy: OnDemandAllocationStrategy, candidates: Sequence[Candidate]
) -> tuple[Candidate, ...]:
    """The order in which ``strategy`` tries on-demand pools."""
    match strategy:
        case OnDemandAllocationStrategy.LOWEST_PRICE:
            return tuple(_cheapest(candidates))
        case OnDemandAllocationStrategy.PRIORITIZED:
            return tuple(sorted(candidates, key=lambda c: (c.priority, c.price, c.index)))
