"""Build the bundled catalog snapshot from public data.

    python scripts/build_catalog.py --data ../shared/data [--region us-east-1] [--built-at D]

Instance type attributes and zone offerings come from the DescribeInstanceTypes and
DescribeInstanceTypeOfferings answers that moto ships (Apache-2.0); prices and
interruption buckets from the files in the data folder (see its README and NOTICE).

The build is reproducible: the same inputs give the same bytes. ``built_at`` defaults
to the newest date of the sources rather than today, and the moto version recorded is
the one installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
from collections import defaultdict
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from spotwise.catalog import snapshot
from spotwise.catalog.advisor import parse_advisor
from spotwise.catalog.build import build_catalog
from spotwise.catalog.bundled import bundled_path
from spotwise.catalog.catalog import Source
from spotwise.catalog.inputs import CatalogInputs, SpotPricePoint
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


# The dates of the data files' contents, as their README states them.
ON_DEMAND_AS_OF = "2026-07-20"
ADVISOR_AS_OF = "2025-06-28"


def _iso_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-07-20") from None


def newest_date(sources: tuple[Source, ...]) -> str:
    """The newest ``as_of`` of the sources that is a date (moto's is a version)."""
    dates = []
    for source in sources:
        try:
            dates.append(dt.date.fromisoformat(source.as_of))
        except ValueError:
            continue
    return max(dates).isoformat()


def sources(spot_history: list[SpotPricePoint]) -> tuple[Source, ...]:
    spot_as_of = max((p.timestamp[:10] for p in spot_history), default="2022-05-31")
    return (
        Source(
            "instance types and zone offerings",
            "moto (getmoto/moto) ec2/resources, DescribeInstanceTypes answers",
            "Apache-2.0",
            f"moto {metadata.version('moto')}",
        ),
        Source(
            "on-demand prices",
            "aws/karpenter-provider-aws zz_generated.pricing_aws.go",
            "Apache-2.0",
            ON_DEMAND_AS_OF,
        ),
        Source(
            "spot price spread between zones",
            "Eric Pauley, aws-spot-price-history (DOI 10.5281/zenodo.14198917)",
            "CC-BY-4.0",
            spot_as_of,
        ),
        Source(
            "interruption buckets and spot savings (the spot price level)",
            "AWS Spot Instance Advisor feed spot-advisor-data.json",
            "AWS public data",
            ADVISOR_AS_OF,
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--built-at",
        type=_iso_date,
        help="the build date to record (default: the newest date of the sources)",
    )
    args = parser.parse_args()
    region, data = args.region, args.data

    zones = zone_ids(region)
    type_zones: dict[str, set[str]] = defaultdict(set)
    for zone, types in offerings_by_location(region, "availability-zone").items():
        for name in types:
            type_zones[name].add(zone)
    all_types = moto_json("instance_types.json.gz")
    advisor_doc = json.loads((data / "spot-advisor-data.json").read_text())
    spot_history = read_spot_history(
        data / "ec2-spot-price-history-2022-05-31-linux.csv",
        {zone_id: name for name, zone_id in zones.items()},
    )
    used = sources(spot_history)
    inputs = CatalogInputs(
        region=region,
        instance_types=[all_types[name] for name in sorted(type_zones) if name in all_types],
        zone_offerings={name: frozenset(z) for name, z in type_zones.items()},
        zone_ids=zones,
        on_demand=read_on_demand_prices(data / "ec2-on-demand-prices-us-east-1.csv", region),
        spot_history=spot_history,
        advisor=parse_advisor(advisor_doc, region),
        sources=used,
        built_at=args.built_at or newest_date(used),
    )
    catalog = build_catalog(inputs)
    out = args.out or bundled_path(region)
    snapshot.write(catalog, out)
    print(f"{out}: {len(catalog.instance_types)} types, {len(catalog.offerings)} offerings")


if __name__ == "__main__":
    main()
