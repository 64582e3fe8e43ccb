"""The raw facts a catalog is built from, in the shapes AWS answers with.

Both the bundled snapshot (built from public files) and a live refresh (built from
the AWS APIs) gather a `CatalogInputs` and hand it to `build_catalog`, so both paths
share every rule about prices, zones and buckets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spotwise.catalog.catalog import Source


@dataclass(frozen=True, slots=True)
class SpotPricePoint:
    """One spot price change: from ``timestamp`` on, the pool cost ``price`` per hour."""

    instance_type: str
    zone: str  # zone name
    price: float
    timestamp: str  # ISO 8601, UTC


@dataclass(frozen=True, slots=True)
class AdvisorEntry:
    """One type's line in the Spot Instance Advisor feed for a region and Linux."""

    savings_percent: int
    bucket_index: int


@dataclass(frozen=True, slots=True)
class CatalogInputs:
    """Everything needed to build a catalog of one region.

    Attributes:
        region: The AWS region.
        instance_types: DescribeInstanceTypes ``InstanceTypes`` items.
        zone_offerings: Type name -> zone names offering it (DescribeInstanceTypeOfferings).
        zone_ids: Zone name -> zone ID (DescribeAvailabilityZones).
        on_demand: Type name -> Linux on-demand USD per hour (Pricing API).
        spot_history: Spot price changes, in any order (DescribeSpotPriceHistory).
        advisor: Type name -> advisor entry for the region's Linux pools.
        sources: Where each of the above came from.
        built_at: ISO date-time of the build.
    """

    region: str
    instance_types: Sequence[Mapping[str, Any]]
    zone_offerings: Mapping[str, frozenset[str]]
    zone_ids: Mapping[str, str]
    on_demand: Mapping[str, float]
    spot_history: Sequence[SpotPricePoint]
    advisor: Mapping[str, AdvisorEntry]
    sources: tuple[Source, ...]
    built_at: str
