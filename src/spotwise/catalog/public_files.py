"""Readers for the public price files the bundled catalog is built from.

The files are copies of public data (see NOTICE): the on-demand price table of the
Karpenter AWS provider and Eric Pauley's spot price history.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from spotwise.catalog.inputs import SpotPricePoint


def read_on_demand_prices(path: Path, region: str) -> dict[str, float]:
    """Type -> on-demand USD per hour from ``instance_type,region,on_demand_usd_per_hour``."""
    with path.open(newline="") as handle:
        return {
            row["instance_type"]: float(row["on_demand_usd_per_hour"])
            for row in csv.DictReader(handle)
            if row["region"] == region
        }


def read_spot_history(path: Path, zone_names_by_id: Mapping[str, str]) -> list[SpotPricePoint]:
    """Spot price changes of the zones in ``zone_names_by_id``, keyed by zone name.

    The file keys pools by zone ID (``use1-az2``), which is the same in every account;
    rows of other regions' zones are skipped.
    """
    points = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            zone = zone_names_by_id.get(row["availability_zone_id"])
            if zone is not None:
                points.append(
                    SpotPricePoint(
                        row["instance_type"],
                        zone,
                        float(row["spot_usd_per_hour"]),
                        row["timestamp"],
                    )
                )
    return points
