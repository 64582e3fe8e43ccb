"""Build the bundled catalog snapshot from public data.

    python scripts/build_catalog.py --data ../shared/data [--region us-east-1]

Instance type attributes and zone offerings come from the DescribeInstanceTypes and
DescribeInstanceTypeOfferings answers that moto ships (Apache-2.0); prices and
interruption buckets from the files in the data folder (see its README and NOTICE).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

from spotwise.catalog import snapshot
from spotwise.catalog.advisor import parse_advisor
from spotwise.catalog.build import build_catalog
from spotwise.catalog.bundled import bundled_path
from spotwise.catalog.catalog import Source
from spotwise.catalog.inputs import CatalogInputs
from spotwise.catalog.public_files import read_on_demand_prices, read_spot_history


def moto_json(*parts: str) -> Any:
    path = resources.files("moto.ec2") / "resources"
    for part in parts:
        path = path / part
    return json.loads(gzip.decompress(path.read_bytes()))


def offerings_by_location(region: str, kind: str) -> dict[str, set[str]]:
    """Location (zone name or zone ID) -> types offered there."""
    found: dict[str, set[str]] = defaultdict(set)
    for item in moto_json("instance_type_offerings", kind, f"{region}.json.gz"):
        found[item["Location"]].add(item["InstanceType"])
    return found


def zone_ids(region: str) -> dict[str, str]:
    """Zone name -> zone ID for the account moto's data was recorded in.

    The mapping is per account; moto's own DescribeAvailabilityZones table disagrees
    with its offering files, so match the zones by the exact set of types they offer.
    """
    by_name = offerings_by_location(region, "availability-zone")
    by_id = offerings_by_location(region, "availability-zone-id")
    mapping = {}
    for name, types in by_name.items():
        matches = [zone_id for zone_id, other in by_id.items() if other == types]
        if len(matches) != 1:
            raise SystemExit(f"cannot map zone {name} to a zone ID: candidates {matches}")
        mapping[name] = matches[0]
    return mapping


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    region, data = args.region, args.data

    zones = zone_ids(region)
    type_zones: dict[str, set[str]] = defaultdict(set)
    for zone, types in offerings_by_location(region, "availability-zone").items():
        for name in types:
            type_zones[name].add(zone)
    all_types = moto_json("instance_types.json.gz")
    advisor_doc = json.loads((data / "spot-advisor-data.json").read_text())
    inputs = CatalogInputs(
        region=region,
        instance_types=[all_types[name] for name in sorted(type_zones) if name in all_types],
        zone_offerings={name: frozenset(z) for name, z in type_zones.items()},
        zone_ids=zones,
        on_demand=read_on_demand_prices(data / "ec2-on-demand-prices-us-east-1.csv", region),
        spot_history=read_spot_history(
            data / "ec2-spot-price-history-2022-05-31-linux.csv",
            {zone_id: name for name, zone_id in zones.items()},
        ),
        advisor=parse_advisor(advisor_doc, region),
        sources=(
            Source(
                "instance types and zone offerings",
                "moto (getmoto/moto) ec2/resources, DescribeInstanceTypes answers",
                "Apache-2.0",
                "moto 5.2.5",
            ),
            Source(
                "on-demand prices",
                "aws/karpenter-provider-aws zz_generated.pricing_aws.go",
                "Apache-2.0",
                "2026-07-20",
            ),
            Source(
                "spot prices",
                "Eric Pauley, aws-spot-price-history (DOI 10.5281/zenodo.14198917)",
                "CC-BY-4.0",
                "2022-05-31",
            ),
            Source(
                "interruption buckets and savings",
                "AWS Spot Instance Advisor feed spot-advisor-data.json",
                "AWS public data",
                "2025-06-28",
            ),
        ),
        built_at=dt.date.today().isoformat(),
    )
    catalog = build_catalog(inputs)
    out = args.out or bundled_path(region)
    snapshot.write(catalog, out)
    print(f"{out}: {len(catalog.instance_types)} types, {len(catalog.offerings)} offerings")


if __name__ == "__main__":
    main()
