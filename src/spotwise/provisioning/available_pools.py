"""The pools the planner may use now: every configured offering but those EC2 refused lately.

Each spot offering carries the interruptions seen in its pool lately.
"""

from __future__ import annotations

from collections.abc import Sequence

from spotwise.decisions.scheduling.packer import PackMemo
from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.instance_type import CapacityType
from spotwise.provisioning.observed import ObservedInterruptions
from spotwise.provisioning.pools import OfferingKey, with_observed, without
from spotwise.provisioning.unavailable import UnavailableOfferings


class AvailablePools:
    """The configured pools minus the offerings marked unavailable, rebuilt only on change.

    Spot offers carry their pool's decayed count of interruptions when the caller passes
    the memory of them (`spotwise.provisioning.observed`); the counts move in steps, so
    the pools and the memo are kept between steps.

    Args:
        pools: Every pool as configured (`spotwise.provisioning.pools.build_pools`).
        unavailable: The memory of refused offerings the Launcher writes.
    """

    def __init__(self, pools: Sequence[Pool], unavailable: UnavailableOfferings) -> None:
        self.all = tuple(pools)
        self.unavailable = unavailable
        self.memo = PackMemo()
        self._pools = self.all
        self._marks: tuple[frozenset[OfferingKey], frozenset[CapacityType]] = (
            frozenset(),
            frozenset(),
        )
        self._counts: dict[tuple[str, str], float] = {}
        # Every offering, so that a mark on a whole capacity type expands to them.
        self._offerings = [
            (shape.name, offer.zone, offer.capacity_type)
            for pool in self.all
            for shape in pool.shapes
            for offer in shape.offers
        ]
        self._by_name = {pool.name: pool for pool in self.all}

    def at(self, now: float, observed: ObservedInterruptions | None = None) -> tuple[Pool, ...]:
        """The pools to plan with at ``now``; `memo` is renewed when they change.

        Args:
            now: The time.
            observed: The interruptions seen per spot pool; None counts none.
        """
        snapshot = self.unavailable.snapshot(now)
        marks = (frozenset(snapshot.offerings), frozenset(snapshot.capacity_types))
        counts = dict(observed.snapshot(now).counts) if observed is not None else {}
        if marks != self._marks or counts != self._counts:
            self._marks = marks
            self._counts = counts
            pools = without(self.all, self.unavailable.unavailable(now, self._offerings))
            self._pools = with_observed(pools, counts) if counts else pools
            # Offers changed, shapes did not: keep what depends on shapes alone.
            self.memo = PackMemo(allocatable=self.memo.allocatable)
        return self._pools

    def pool(self, name: str) -> Pool | None:
        """The configured pool of that name, with all its offerings."""
        return self._by_name.get(name)
