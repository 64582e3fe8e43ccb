"""Allocation strategies: how Auto Scaling and CreateFleet choose among allowed pools."""

from __future__ import annotations

import enum


class SpotAllocationStrategy(enum.StrEnum):
    """How EC2 picks spot pools among the allowed types."""

    PRICE_CAPACITY_OPTIMIZED = "price-capacity-optimized"
    CAPACITY_OPTIMIZED = "capacity-optimized"
    CAPACITY_OPTIMIZED_PRIORITIZED = "capacity-optimized-prioritized"
    LOWEST_PRICE = "lowest-price"


class OnDemandAllocationStrategy(enum.StrEnum):
    """How EC2 picks on-demand types: cheapest first, or in the order listed."""

    LOWEST_PRICE = "lowest-price"
    PRIORITIZED = "prioritized"
