"""One model of a spot pool: how deep it is, and how often it takes instances back.

The premise of the capacity-aware allocation strategies is that deep pools are interrupted
less. The model makes that true by deriving both figures from one number per pool: the
share of its capacity AWS reclaims in a month. The Spot Instance Advisor gives that share
as a bucket (``<5%``, ``5-10%``...).

* **Depth**: the spare instances a pool starts with, inversely proportional to its share:
  a pool that loses 2.5% a month is four times as deep as one that loses 10%.
* **Hazard**: the per-instance rate that reaches the share in 30 days, raised by the share
  of the pool the buyer holds: ``base x (1 + held / depth)``. A buyer holding a large share
  of a shallow pool is reclaimed more often. This is a fair simplification, not EC2's
  algorithm (which is not published).

The planner knows only the bucket, so it expects the middle of the bucket's range
(`expected_share`); the simulated cloud draws each pool's share inside it
(`spotwise.simulated.spot_pools`). A type the advisor does not list is taken as the middle
bucket, never as the calmest.
"""

from __future__ import annotations

import math

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
# The spare instances of a pool that loses REFERENCE_SHARE of its capacity a month.
REFERENCE_DEPTH = 100


def share_range(bucket: InterruptionBucket | None) -> tuple[float, float]:
    """The monthly reclaimed share a pool of ``bucket`` may have, [low, high)."""
    return BUCKET_SHARES[UNLISTED_BUCKET if bucket is None else bucket.index]


def expected_share(bucket: InterruptionBucket | None) -> float:
    """The share a planner expects of a pool it knows only by its bucket: the middle."""
    low, high = share_range(bucket)
    return (low + high) / 2


def depth(share: float, reference_depth: int = REFERENCE_DEPTH) -> int:
    """The spare instances a pool that loses ``share`` a month starts with."""
    return max(1, round(reference_depth * REFERENCE_SHARE / share))


def hazard_per_second(share: float, held: int, pool_depth: int, scale: float = 1.0) -> float:
    """The interruption rate of each of a buyer's ``held`` instances in a pool.

    Args:
        share: The pool's monthly reclaimed share.
        held: How many instances the buyer runs in the pool.
        pool_depth: The pool's depth (see `depth`).
        scale: A multiplier on the advisor's rate (the simulator's ``interruptionScale``).
    """
    base = -math.log(1 - share) / MONTH_SECONDS * scale
    return base * (1 + held / pool_depth)
