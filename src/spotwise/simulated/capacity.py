"""How many instances each simulated pool can still hand out.

A pool is one instance type in one zone bought as one capacity type. Real EC2 never says
how much spare capacity a pool has; the simulator must, so that capacity-aware allocation
strategies have something to choose by and launches can run out. A spot pool's depth
comes from the same model as its interruption rate (`spotwise.decisions.capacity.spot_model`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from spotwise.model.instance_type import CapacityType

# A capacity pool: (instance type, zone, capacity type).
PoolKey = tuple[str, str, CapacityType]


@dataclass(frozen=True, slots=True)
class CapacityDefaults:
    """The capacity of a pool nobody configured.

    Attributes:
        spot_reference_depth: The spare capacity of a spot pool that loses 10% of its
            capacity a month; calmer pools are deeper, stormier ones shallower.
        on_demand: The spare capacity of every on-demand pool (large: on-demand rarely
            runs out, and a simulation should not pretend otherwise by default).
    """

    spot_reference_depth: int = 100
    on_demand: int = 10_000


DEFAULT_CAPACITY = CapacityDefaults()


# The depth of a spot pool that nobody configured: (instance type, zone) -> instances.
SpotDepth = Callable[[str, str], int]


class PoolCapacity:
    """The spare capacity of every pool: configured, else the spot model's depth."""

    def __init__(
        self,
        spot_depth: SpotDepth,
        defaults: CapacityDefaults = DEFAULT_CAPACITY,
        configured: Mapping[PoolKey, int] | None = None,
    ) -> None:
        self._spot_depth = spot_depth
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
        return self._spot_depth(instance_type, zone)
