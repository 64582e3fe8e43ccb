"""The memory of spot interruptions the planner learns from, shared with the handler.

The interruption handler records each interruption it acts on; the provisioner reads the
pools' decayed counts when it plans, so that a pool that just took nodes back is priced
as stormier and shallower for a few hours (`spotwise.decisions.capacity.observed`). The
handler and the provisioning loop run on different threads in the controller, so every
access holds a lock.

Counts are read at times rounded down to `DECAY_STEP_SECONDS`: the pools (and the
packer's memo, which depends on their offers) are rebuilt when the counts change, and
a continuous decay would rebuild them every round. A new interruption is counted at once.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from spotwise.decisions.capacity.observed import (
    FORGET_SECONDS,
    HALF_LIFE_SECONDS,
    Observations,
    PoolKey,
)

# At a two-hour half-life, a count falls 2.9% in five minutes: a step the plans cannot tell
# from a continuous decay, and a memo kept across the rounds of five minutes.
DECAY_STEP_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class ObservedSnapshot:
    """Each spot pool's decayed count of interruptions, at a time.

    Attributes:
        at: The time the counts are decayed to (a multiple of `DECAY_STEP_SECONDS`).
        counts: (instance type, zone) -> ``K``, for the pools seen interrupted and not
            yet forgotten.
    """

    at: float
    counts: Mapping[PoolKey, float] = field(default_factory=lambda: MappingProxyType({}))


class ObservedInterruptions:
    """The interruptions seen per spot pool, recorded by the handler, read by the planner.

    Args:
        half_life_seconds: How fast an interruption stops counting.
        forget_seconds: How old an interruption is forgotten at.
        step_seconds: The step counts are decayed by (see the module's docstring).
    """

    def __init__(
        self,
        half_life_seconds: float = HALF_LIFE_SECONDS,
        forget_seconds: float = FORGET_SECONDS,
        step_seconds: float = DECAY_STEP_SECONDS,
    ) -> None:
        self.half_life_seconds = half_life_seconds
        self.forget_seconds = forget_seconds
        self.step_seconds = step_seconds
        self._observations = Observations()
        self._lock = threading.Lock()

    def record(
        self, instance_type: str, zone: str, at: float, instance_id: str | None = None
    ) -> None:
        """Remember that a spot node of ``instance_type`` in ``zone`` was interrupted.

        Args:
            instance_type: The node's instance type.
            zone: The node's zone.
            at: When the notice was acted on, seconds since the epoch (the handler's
                clock, the provisioner's time base).
            instance_id: The instance, when known: a second notice of the same instance
                is not counted again.
        """
        with self._lock:
            self._observations = self._observations.forget(at, self.forget_seconds).record(
                instance_type, zone, at, instance_id
            )

    def snapshot(self, now: float) -> ObservedSnapshot:
        """The pools' decayed counts at ``now``, rounded down to the step."""
        at = math.floor(now / self.step_seconds) * self.step_seconds
        with self._lock:
            self._observations = self._observations.forget(now, self.forget_seconds)
            counts = self._observations.weights(at, self.half_life_seconds)
        return ObservedSnapshot(at, MappingProxyType(counts))

    @property
    def observations(self) -> Observations:
        """What is remembered now (frozen), for reports and tests."""
        with self._lock:
            return self._observations
