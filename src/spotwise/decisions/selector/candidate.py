"""A selected instance type with its prices and interruption risk in the chosen zones."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from spotwise.model.instance_type import CapacityType, InstanceType
from spotwise.model.offering import InterruptionBucket, PriceSource


@dataclass(frozen=True, slots=True)
class Candidate:
    """One row of `spotwise select`.

    Attributes:
        instance_type: The type.
        on_demand_price: USD per hour, or None when unpublished.
        spot_price_by_zone: Zone -> spot USD per hour, over the chosen zones.
        spot_source_by_zone: Zone -> where that zone's spot price came from.
        interruption: The advisor bucket, or None when the advisor does not list the type.
        zones: The chosen zones that offer the type.
    """

    instance_type: InstanceType
    on_demand_price: float | None
    spot_price_by_zone: Mapping[str, float]
    spot_source_by_zone: Mapping[str, PriceSource]
    interruption: InterruptionBucket | None
    zones: tuple[str, ...]

    @property
    def name(self) -> str:
        """The type's name."""
        return self.instance_type.name

    @property
    def spot_price(self) -> float | None:
        """The lowest spot price over the chosen zones."""
        return min(self.spot_price_by_zone.values()) if self.spot_price_by_zone else None

    @property
    def savings_percent(self) -> float | None:
        """How much cheaper the lowest spot price is than on-demand, in percent."""
        spot, on_demand = self.spot_price, self.on_demand_price
        if spot is None or not on_demand:
            return None
        return round(100 * (1 - spot / on_demand), 1)

    def price(self, usage_class: CapacityType | None) -> float | None:
        """The price that counts for ``usage_class``: spot when asked, else on-demand.

        This is instance-selector's rule for ``--price-per-hour``.
        """
        if usage_class is CapacityType.SPOT:
            return self.spot_price
        return self.on_demand_price

    def price_per_vcpu(self, usage_class: CapacityType | None) -> float | None:
        """USD per vCPU-hour, spot when spot is asked or the only price known."""
        price = self.price(usage_class)
        if price is None and usage_class is None:
            price = self.spot_price
        return None if price is None else price / self.instance_type.vcpus

    @property
    def gib_per_vcpu(self) -> float:
        """GiB of memory per vCPU, rounded up, as ``--vcpus-to-memory-ratio`` compares it."""
        return float(math.ceil(self.instance_type.memory_mib / (self.instance_type.vcpus * 1024)))
