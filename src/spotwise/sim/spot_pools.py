"""One model of a spot pool: how deep it is, and how often it takes instances back.

The premise of the capacity-aware allocation strategies is that deep pools are interrupted
less. The simulator makes that true by deriving both figures from one number per pool:
the share of its capacity AWS reclaims in a month. The Spot Instance Advisor gives that
share as a bucket (``<5%``, ``5-10%``...); each pool draws its own share inside its type's
bucket, from the seed, so that pools of one type differ as real zones do.

* **Depth**: the spare instances a pool starts with, inversely proportional to its share:
  a pool that loses 2.5% a month is four times as deep as one that loses 10%.
* **Hazard**: the per-instance rate that reaches the share in 30 days, raised by the share
  of the pool the buyer holds: ``base x (1 + held / depth)``. A buyer holding a large share
  of a shallow pool is reclaimed more often. This is a fair simplification, not EC2's
  algorithm (which is not published): reclaims are correlated within a pool, and a fleet
  concentrated in one pool loses many nodes at once.

A type the advisor does not list is taken as the middle bucket, never as the calmest.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from spotwise.model.offering import InterruptionBucket

MONTH_SECONDS = 30 * 24 * 3600.0
# The monthly reclaimed share each bucket spans, [low, high); ">20%" is taken up to 40%.
BUCKET_SHARES: tuple[tuple[float, float], ...] = (
    (0.01, 0.05),
    (0.05, 0.10),
    (0.10, 0.15),
    (0.15, 0.20),
    (0.20, 0.40),
)
UNLISTED_BUCKET = 2  # the middle bucket: a type the advisor does not list is not safe
# The share at which a pool has the reference depth.
REFERENCE_SHARE = 0.10

BucketOf = Callable[[str], InterruptionBucket | None]


class SpotPools:
    """Depth and interruption rate of every spot pool, drawn per pool from the seed.

    Args:
        seed: Seeds each pool's share inside its bucket.
        bucket_of: The advisor bucket of an instance type (None when not listed).
        reference_depth: The spare instances of a pool that loses `REFERENCE_SHARE` of its
            capacity a month.
    """

    def __init__(self, seed: int, bucket_of: BucketOf, reference_depth: int = 100) -> None:
        self.seed = seed
        self.bucket_of = bucket_of
        self.reference_depth = reference_depth
        self._shares: dict[tuple[str, str], float] = {}

    def monthly_share(self, instance_type: str, zone: str) -> float:
        """The share of the pool's capacity reclaimed in a month (0.01 to 0.40)."""
        found = self._shares.get((instance_type, zone))
        if found is None:
            bucket = self.bucket_of(instance_type)
            low, high = BUCKET_SHARES[UNLISTED_BUCKET if bucket is None else bucket.index]
            # One generator per pool, seeded by its name: a pool's share does not depend
            # on which pools were looked at before it (string seeds are stable across runs).
            rng = random.Random(f"{self.seed}/spot-share/{instance_type}/{zone}")
            found = self._shares[(instance_type, zone)] = rng.uniform(low, high)
        return found

    def depth(self, instance_type: str, zone: str) -> int:
        """The spare instances the pool starts with: deeper the calmer it is."""
        share = self.monthly_share(instance_type, zone)
        return max(1, round(self.reference_depth * REFERENCE_SHARE / share))

    def hazard_per_second(self, instance_type: str, zone: str, held: int, scale: float) -> float:
        """The interruption rate of each of the buyer's ``held`` instances in the pool.

        Args:
            instance_type: The pool's type.
            zone: The pool's zone.
            held: How many instances the buyer runs in the pool.
            scale: The market's ``interruptionScale`` (1 is the advisor's rate).
        """
        share = self.monthly_share(instance_type, zone)
        base = -math.log(1 - share) / MONTH_SECONDS * scale
        return base * (1 + held / self.depth(instance_type, zone))

    def stormy(self, instance_type: str, zone: str) -> float:
        """How the pool's reclaim share compares with the reference (1.0 at 10% a month)."""
        return self.monthly_share(instance_type, zone) / REFERENCE_SHARE
