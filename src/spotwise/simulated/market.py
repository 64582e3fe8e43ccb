"""The spot market the simulator runs against: interruptions and capacity shortages.

Interruptions follow the Spot Instance Advisor through the spot pools' model
(`spotwise.simulated.spot_pools`), the same one that gives the simulated cloud each pool's
depth: a pool's monthly reclaimed share sets an instance's hazard (raised by the share of
the pool the buyer holds), so deep pools are the calm ones. Interruptions cluster: the
market draws *reclaim events* per pool and each event takes a share (the correlation) of
the pool's running instances, which keeps the per-instance rate while bunching the losses
in minutes, as users see them. Some events send a rebalance recommendation minutes before
the two-minute warning. Shortages make a pool refuse launches with
InsufficientInstanceCapacity for a while, more often in stormier pools. Everything is
drawn from seeded generators keyed by the pool, so a run is reproducible.
"""

from __future__ import annotations

import enum
import math
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from spotwise.simulated.spot_pools import SpotPools

WARNING_SECONDS = 120.0


class NoticeKind(enum.Enum):
    """What the cloud tells an instance before taking it back."""

    REBALANCE = "rebalance-recommendation"
    WARNING = "interruption-warning"
    TERMINATION = "termination"


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice for one instance at one time."""

    at: float
    kind: NoticeKind
    instance_id: str


@dataclass(frozen=True, slots=True)
class MarketParameters:
    """How stormy the market is (the scenario's ``market`` section, in seconds)."""

    interruption_scale: float = 1.0
    rebalance_share: float = 0.5
    rebalance_lead: tuple[float, float] = (120.0, 600.0)
    correlation: float = 0.5
    shortages_per_pool_per_day: float = 0.05
    shortage_seconds: tuple[float, float] = (600.0, 3600.0)


def _rng(seed: int, *parts: str) -> random.Random:
    key = "|".join(parts).encode()
    return random.Random(seed * 1_000_003 + zlib.crc32(key))


class SpotMarket:
    """Draws interruptions and shortages for the pools in use.

    Args:
        parameters: How stormy the market is.
        seed: Seeds the draws of each pool.
        pools: The spot pools' model, shared with the simulated cloud.
    """

    def __init__(self, parameters: MarketParameters, seed: int, pools: SpotPools) -> None:
        self.parameters = parameters
        self.seed = seed
        self.pools = pools
        self._pool_rngs: dict[tuple[str, str], random.Random] = {}

    def reclaims(
        self,
        pool: tuple[str, str],
        instance_ids: Sequence[str],
        now: float,
        seconds: float,
    ) -> list[Notice]:
        """The notices a pool's running spot instances get in the next ``seconds``.

        Args:
            pool: (instance type, zone).
            instance_ids: The buyer's running spot instances in it, in a stable order.
            now: The start of the step.
            seconds: The step's length.
        """
        p = self.parameters
        rng = self._pool_rngs.get(pool)
        if rng is None:
            rng = self._pool_rngs[pool] = _rng(self.seed, "reclaim", *pool)
        correlation = min(max(p.correlation, 1e-3), 1.0)
        hazard = self.pools.hazard_per_second(*pool, len(instance_ids), p.interruption_scale)
        event_rate = hazard / correlation
        if rng.random() >= -math.expm1(-event_rate * seconds):
            return []
        notices: list[Notice] = []
        for instance_id in instance_ids:
            if rng.random() >= correlation:
                continue
            start = now + rng.random() * seconds
            warning = start
            if rng.random() < p.rebalance_share:
                notices.append(Notice(start, NoticeKind.REBALANCE, instance_id))
                warning = start + rng.uniform(*p.rebalance_lead)
            notices.append(Notice(warning, NoticeKind.WARNING, instance_id))
            notices.append(Notice(warning + WARNING_SECONDS, NoticeKind.TERMINATION, instance_id))
        return notices

    def shortages(self, pool: tuple[str, str], hours: float) -> list[tuple[float, float]]:
        """The (start, end) windows in which a spot pool refuses launches, for a whole run.

        ``shortagesPerPoolPerDay`` is the rate of a pool that loses 10% a month; a pool
        that loses more runs dry more often, in proportion.
        """
        p = self.parameters
        rng = _rng(self.seed, "shortage", *pool)
        windows: list[tuple[float, float]] = []
        rate = p.shortages_per_pool_per_day * self.pools.stormy(*pool) / 86400.0
        t = 0.0
        horizon = hours * 3600.0
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= horizon:
                break
            windows.append((t, t + rng.uniform(*p.shortage_seconds)))
        return windows
