"""How many instances each simulated pool can still hand out.

A pool is one instance type in one zone bought as one capacity type. Real EC2 never says
how much spare capacity a pool has; the simulator must, so that capacity-aware allocation
strategies have something to choose by and launches can run out.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from spotwise.model.instance_type import CapacityType

# A capacity pool: (instance type, zone, capacity type).
PoolKey = tuple[str, str, CapacityType]


@dataclass(frozen=True, slots=True)
class CapacityDefaults:
    """The capacity of a pool nobody configured.

    Attributes:
        spot_low: The least spare capacity a spot pool starts with.
        spot_high: The most spare capacity a spot pool starts with.
        on_demand: The spare capacity of every on-demand pool (large: on-demand rarely
            runs out, and a simulation should not pretend otherwise by default).
    """

    spot_low: int = 20
    spot_high: int = 200
    on_demand: int = 10_000


DEFAULT_CAPACITY = CapacityDefaults()


class PoolCapacity:
    """The spare capacity of every pool, drawn per pool from the seed unless configured."""

    def __init__(
        self,
        seed: int = 0,
        defaults: CapacityDefaults = DEFAULT_CAPACITY,
        configured: Mapping[PoolKey, int] | None = None,
    ) -> None:
        self._seed = seed
        self._defaults = defaults
        self._spare: dict[PoolKey, int] = dict(configured or {})

    def spare(self, key: PoolKey) -> int:
        """How many more instances the pool can hand out now."""
        found = self._spare.get(key)
        if found is None:
            found = self._spare[key] = self._default(key)
        return found

    def set(self, key: PoolKey, count: int) -> None:
        """Give a pool exactly ``count`` spare instances."""
        self._spare[key] = max(count, 0)

    def take(self, key: PoolKey) -> bool:
        """Hand out one instance; False when the pool is exhausted."""
        spare = self.spare(key)
        if spare <= 0:
            return False
        self._spare[key] = spare - 1
        return True

    def give_back(self, key: PoolKey) -> None:
        """Return the capacity of an instance that went away."""
        self._spare[key] = self.spare(key) + 1

    def _default(self, key: PoolKey) -> int:
        instance_type, zone, capacity_type = key
        if capacity_type is CapacityType.ON_DEMAND:
            return self._defaults.on_demand
        # One generator per pool, seeded by its name: a pool's capacity does not depend
        # on which pools were looked at before it (string seeds are stable across runs).
        rng = random.Random(f"{self._seed}/{instance_type}/{zone}/{capacity_type.value}")
        return rng.randint(self._defaults.spot_low, self._defaults.spot_high)
