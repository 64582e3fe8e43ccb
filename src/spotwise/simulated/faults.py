"""Refusals injected into the simulated cloud: shortages and errors a test or scenario wants."""

from __future__ import annotations

from dataclasses import dataclass

from spotwise.model.instance_type import CapacityType
from spotwise.ports.cloud import ErrorKind, classify
from spotwise.simulated.capacity import PoolKey


@dataclass(frozen=True, slots=True)
class Fault:
    """Answer launches into matching pools with ``code`` until ``until``.

    Attributes:
        code: The EC2 error code to report, such as ``InsufficientInstanceCapacity``.
        instance_type: The type it applies to; None for every type.
        zone: The zone it applies to; None for every zone.
        capacity_type: The capacity type it applies to; None for both.
        until: The virtual time it stops at (exclusive); None for never.
    """

    code: str
    instance_type: str | None = None
    zone: str | None = None
    capacity_type: CapacityType | None = None
    until: float | None = None

    def applies(self, key: PoolKey, now: float) -> bool:
        """Whether the fault refuses a launch into ``key`` at ``now``."""
        instance_type, zone, capacity_type = key
        return (
            (self.until is None or now < self.until)
            and self.instance_type in (None, instance_type)
            and self.zone in (None, zone)
            and self.capacity_type in (None, capacity_type)
        )

    @property
    def is_shortage(self) -> bool:
        """Whether it means the pool has no capacity (capacity-aware strategies avoid it)."""
        return classify(self.code) is ErrorKind.UNAVAILABLE


class Faults:
    """The faults in force; the earliest injected that applies wins."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Inject a fault."""
        self._faults.append(fault)

    def clear(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def find(self, key: PoolKey, now: float) -> Fault | None:
        """The fault refusing launches into ``key`` at ``now``, if any."""
        return next((f for f in self._faults if f.applies(key, now)), None)
