"""The simulated market's spot pools: each draws its own share inside its advisor bucket.

The model (depth and hazard from one monthly reclaimed share) is
`spotwise.decisions.capacity.spot_model`, which the planner shares; here each pool draws its share
inside its type's bucket, from the seed, so that pools of one type differ as real zones do.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from spotwise.decisions.capacity import spot_model
from spotwise.decisions.capacity.spot_model import REFERENCE_DEPTH, REFERENCE_SHARE
from spotwise.model.offering import InterruptionBucket

BucketOf = Callable[[str], InterruptionBucket | None]


class SpotPools:
    """Depth and interruption rate of every spot pool, drawn per pool from the seed.

    Args:
        seed: Seeds each pool's share inside its bucket.
        bucket_of: The advisor bucket of an instance type (None when not listed).
        reference_depth: The spare instances of a pool that loses `REFERENCE_SHARE` of its
            capacity a month.
    """

    def __init__(
        self, seed: int, bucket_of: BucketOf, reference_depth: int = REFERENCE_DEPTH
    ) -> None:
        self.seed = seed
        self.bucket_of = bucket_of
        self.reference_depth = reference_depth
        self._shares: dict[tuple[str, str], float] = {}

    def monthly_share(self, instance_type: str, zone: str) -> float:
        """The share of the pool's capacity reclaimed in a month (0.01 to 0.40)."""
        found = self._shares.get((instance_type, zone))
        if found is None:
            low, high = spot_model.share_range(self.bucket_of(instance_type))
            # One generator per pool, seeded by its name: a pool's share does not depend
            # on which pools were looked at before it (string seeds are stable across runs).
            rng = random.Random(f"{self.seed}/spot-share/{instance_type}/{zone}")
            found = self._shares[(instance_type, zone)] = rng.uniform(low, high)
        return found

    def depth(self, instance_type: str, zone: str) -> int:
        """The spare instances the pool starts with: deeper the calmer it is."""
        return spot_model.depth(self.monthly_share(instance_type, zone), self.reference_depth)

    def hazard_per_second(self, instance_type: str, zone: str, held: int, scale: float) -> float:
        """The interruption rate of each of the buyer's ``held`` instances in the pool.

        Args:
            instance_type: The pool's type.
            zone: The pool's zone.
            held: How many instances the buyer runs in the pool.
            scale: The market's ``interruptionScale`` (1 is the advisor's rate).
        """
        share = self.monthly_share(instance_type, zone)
        return spot_model.hazard_per_second(share, held, self.depth(instance_type, zone), scale)

    def stormy(self, instance_type: str, zone: str) -> float:
        """How the pool's reclaim share compares with the reference (1.0 at 10% a month)."""
        return self.monthly_share(instance_type, zone) / REFERENCE_SHARE
