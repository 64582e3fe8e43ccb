"""What a user asks of an instance type: the filters of `spotwise select`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spotwise.model.instance_type import Architecture, CapacityType


@dataclass(frozen=True, slots=True)
class Range:
    """An inclusive range; a missing bound is open."""

    low: float | None = None
    high: float | None = None

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int | float):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    @classmethod
    def exactly(cls, value: float) -> Range:
        """The range holding ``value`` alone."""
        return cls(value, value)


@dataclass(frozen=True, slots=True)
class Criteria:
    """Every filter of `spotwise select`. A None filter is not applied.

    Attributes mirror the flags; memory sizes are in MiB, network in Gbit/s, prices in
    USD per hour. ``zones`` are zone names, each of which must offer the type (as
    instance-selector intersects its locations). ``max_interruption`` keeps types whose
    advisor bucket lies at or under that percentage.
    """

    vcpus: Range | None = None
    memory_mib: Range | None = None
    gpus: Range | None = None
    gpu_memory_total_mib: Range | None = None
    network_gbps: Range | None = None
    price_per_hour: Range | None = None
    generation: Range | None = None
    vcpus_to_memory_ratio: float | None = None
    architecture: Architecture | None = None
    usage_class: CapacityType | None = None
    gpu_manufacturer: str | None = None
    gpu_model: str | None = None
    burstable: bool | None = None
    current_generation: bool | None = None
    bare_metal: bool | None = None
    allow: re.Pattern[str] | None = None
    deny: re.Pattern[str] | None = None
    zones: tuple[str, ...] = ()
    max_interruption: float | None = None
