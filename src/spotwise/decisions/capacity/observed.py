"""What the interruptions a cluster saw say about its spot pools' reclaim rates.

The advisor's bucket (`spotwise.decisions.capacity.spot_model`) is a monthly average over
every buyer of a type in a region; a pool that just took one of our nodes back is likely
to be in a capacity crunch now. This module turns the interruptions seen in each pool
(instance type x zone) into an estimate of its rate that starts from the advisor's and
rises with what was seen, falling back as it ages.

**The estimator** is a Gamma-Poisson posterior with forgetting. A pool's rate ``λ``
(interruptions per node-hour) has a Gamma prior whose mean is the advisor's rate ``λ0``
and whose weight is ``E0 = PRIOR_NODE_HOURS`` node-hours of exposure (shape ``λ0·E0``,
rate ``E0``). Seeing ``k`` interruptions over ``E`` node-hours makes the posterior mean
``(λ0·E0 + k) / (E0 + E)``. A pool's state changes over hours, so old evidence is
discounted: each interruption counts ``2^(-age / HALF_LIFE)``, and ``K`` is their sum.

Exposure is not counted (``E = 0``), which gives::

    λ = λ0 + K / E0

Why that is sound here: the node-hours each pool ran would need a second record, kept at
a steady cadence from the nodes' lifetimes, and leaving them out only errs upward, and
only while interruptions are remembered. With none, the estimate is exactly the
advisor's: a few calm hours of one cluster never make a pool look calmer than the
advisor's month over every buyer. With some, the estimate is high by ``(E0 + E) / E0``,
where the decayed exposure ``E`` of ``n`` nodes held steadily is at most
``n · HALF_LIFE / ln 2`` (about 2.9 node-hours per node): a pool that just took nodes
back is one to be wary of, and erring towards avoiding it costs only the price gap to the
next pool.

Time is passed in, never read; nothing here has side effects.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from spotwise.decisions.capacity import spot_model
from spotwise.model.offering import InterruptionBucket

# A pool's crunch lasts hours, not days: an interruption counts half after two hours.
HALF_LIFE_SECONDS = 2 * 3600.0
# The advisor's rate weighs as much as a day of one node watched: one fresh interruption
# adds 1/24 per node-hour to the rate, a cost of about 4.5% of the node's price.
PRIOR_NODE_HOURS = 24.0
# After 16 half-lives (32 hours) an interruption weighs 2^-16: it adds under 1e-6 per
# node-hour, 1.5% of the calmest bucket's rate (4e-5), and is forgotten, so the pools go
# back to exactly the advisor's figures.
FORGET_SECONDS = 16 * HALF_LIFE_SECONDS

# A spot pool: (instance type, zone).
PoolKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Event:
    """One interruption seen in a pool.

    Attributes:
        at: When it was seen, seconds since the epoch.
        instance_id: The instance interrupted, when known: an instance is interrupted
            once, so a second notice of it (queue and metadata, a redelivery) is not a
            second event.
    """

    at: float
    instance_id: str | None = None


def weight(age_seconds: float, half_life_seconds: float = HALF_LIFE_SECONDS) -> float:
    """What one interruption ``age_seconds`` old counts for: 1 when new, halving per half-life.

    An event from the future (clocks a little apart) counts as new, never more.
    """
    return math.exp2(-max(age_seconds, 0.0) / half_life_seconds)


@dataclass(frozen=True, slots=True)
class Observations:
    """The interruptions seen per spot pool, with their times.

    Attributes:
        events: Pool -> its interruptions, oldest first.
    """

    events: Mapping[PoolKey, tuple[Event, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def record(
        self, instance_type: str, zone: str, at: float, instance_id: str | None = None
    ) -> Observations:
        """These observations and one more interruption (the same when already seen).

        Args:
            instance_type: The interrupted node's type.
            zone: Its zone.
            at: When the interruption was seen.
            instance_id: The instance, when known (see `Event`).
        """
        key = (instance_type, zone)
        seen = self.events.get(key, ())
        if instance_id is not None and any(e.instance_id == instance_id for e in seen):
            return self
        events = dict(self.events)
        events[key] = tuple(sorted((*seen, Event(at, instance_id)), key=lambda e: e.at))
        return Observations(MappingProxyType(events))

    def forget(self, now: float, horizon_seconds: float = FORGET_SECONDS) -> Observations:
        """These observations without the events older than ``horizon_seconds`` at ``now``."""
        kept = {
            key: tuple(e for e in seen if now - e.at <= horizon_seconds)
            for key, seen in self.events.items()
        }
        return Observations(MappingProxyType({k: v for k, v in kept.items() if v}))

    def weights(
        self, now: float, half_life_seconds: float = HALF_LIFE_SECONDS
    ) -> dict[PoolKey, float]:
        """Each pool's decayed count ``K`` of interruptions at ``now`` (pools seen only)."""
        return {
            key: decayed((e.at for e in seen), now, half_life_seconds)
            for key, seen in self.events.items()
        }


def decayed(
    times: Iterable[float], now: float, half_life_seconds: float = HALF_LIFE_SECONDS
) -> float:
    """The decayed count ``K`` of interruptions seen at ``times``, at ``now``."""
    return sum(weight(now - t, half_life_seconds) for t in times)


def prior_rate_per_hour(bucket: InterruptionBucket | None) -> float:
    """The advisor's reclaim rate of a pool in ``bucket``, per node-hour: ``λ0``.

    The buyer's own holdings in the pool are not counted (see `spot_model.hazard_per_second`).
    """
    share = spot_model.expected_share(bucket)
    return spot_model.hazard_per_second(share, 0, spot_model.depth(share)) * 3600


def rate_per_hour(
    bucket: InterruptionBucket | None,
    observed: float = 0.0,
    prior_node_hours: float = PRIOR_NODE_HOURS,
) -> float:
    """The pool's expected reclaim rate per node-hour: ``λ0 + K / E0``.

    Args:
        bucket: The advisor's bucket (None: not listed, taken as the middle one).
        observed: ``K``, the pool's interruptions decayed to now (`Observations.weights`).
        prior_node_hours: ``E0``, the exposure the advisor's rate weighs as.
    """
    # Added, not (λ0·E0 + K) / E0: with nothing seen it is the advisor's rate to the bit.
    return prior_rate_per_hour(bucket) + observed / prior_node_hours


def expected_share(bucket: InterruptionBucket | None, observed: float = 0.0) -> float:
    """The monthly reclaimed share the pool's expected rate amounts to.

    The inverse of `spot_model.hazard_per_second`'s base rate, so that a pool seen
    interrupted is also expected to be shallower (`spot_model.depth`): the one model
    derives a pool's depth and its hazard from the same number. With nothing seen it is
    the bucket's middle, exactly.
    """
    if observed <= 0.0:
        return spot_model.expected_share(bucket)
    month_hours = spot_model.MONTH_SECONDS / 3600
    return -math.expm1(-rate_per_hour(bucket, observed) * month_hours)
