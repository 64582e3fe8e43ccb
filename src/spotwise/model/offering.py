"""Offerings: an instance type bought in one zone as one capacity type, at a price."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from spotwise.model.instance_type import CapacityType


@dataclass(frozen=True, slots=True, order=True)
class InterruptionBucket:
    """A Spot Instance Advisor frequency-of-interruption bucket.

    The bucket is the share of a pool's spot capacity that AWS reclaimed over the
    trailing month. ``index`` orders buckets from calmest (0) to stormiest (4).

    Attributes:
        index: 0..4, the advisor's ``r`` value.
        label: ``<5%``, ``5-10%``, ``10-15%``, ``15-20%`` or ``>20%``.
        max_percent: The advisor feed's ``max`` of the bucket (5, 11, 16, 22, 100), an
            exclusive bound: the ``5-10%`` bucket holds pools under 11%.
        upper_percent: The upper figure of the label (5, 10, 15, 20, 100): the most a
            pool of the bucket may lose, as a user reads it.
    """

    index: int
    label: str
    max_percent: int
    upper_percent: int


# The advisor feed's own `ranges`; kept here so that the buckets are values, not strings.
BUCKETS: tuple[InterruptionBucket, ...] = (
    InterruptionBucket(0, "<5%", 5, 5),
    InterruptionBucket(1, "5-10%", 11, 10),
    InterruptionBucket(2, "10-15%", 16, 15),
    InterruptionBucket(3, "15-20%", 22, 20),
    InterruptionBucket(4, ">20%", 100, 100),
)


def bucket_at_most(percent: float) -> tuple[InterruptionBucket, ...]:
    """The buckets whose whole range lies at or under ``percent`` reclaimed per month.

    ``--max-interruption 10`` keeps ``<5%`` and ``5-10%``: a pool whose bucket tops out
    at the given figure is acceptable; one that may exceed it is not. The advisor's
    ``max`` of 11 for ``5-10%`` is the exclusive bound of that bucket, so we compare
    on the label's upper figure, ``upper_percent``.
    """
    return tuple(b for b in BUCKETS if b.upper_percent <= percent)


class PriceSource(enum.StrEnum):
    """How a price was made. Every spot price has one basis (see `spotwise.catalog.build`).

    Spot prices are always the advisor's level for the type; the two kinds differ only
    in whether the price history told how the zones differ around that level.
    """

    PUBLISHED = "published"  # on-demand list price
    ADVISOR = "advisor"  # on-demand x (1 - advisor savings), the same in every zone
    ADVISOR_ZONE_SPREAD = "advisor-zone-spread"  # the above x the zone's observed ratio


@dataclass(frozen=True, slots=True)
class Offering:
    """One pool of capacity: an instance type in a zone, bought as spot or on-demand.

    Attributes:
        instance_type: The EC2 type name.
        zone: The availability-zone name, such as ``us-east-1a``.
        capacity_type: Spot or on-demand.
        price: USD per hour.
        price_source: How the price was made: published, or which spot price basis.
        interruption: The advisor bucket for spot offerings; None for on-demand, and for
            spot types the advisor does not list.
        available: False when the offering is known to be unavailable now.
    """

    instance_type: str
    zone: str
    capacity_type: CapacityType
    price: float
    price_source: PriceSource
    interruption: InterruptionBucket | None = None
    available: bool = True
