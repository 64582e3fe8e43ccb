"""The AWS Spot Instance Advisor feed: savings and interruption buckets per type.

The feed is public JSON (``spot-advisor-data.json``); its ``ranges`` must match the
buckets spotwise knows, or the labels would be silently misattributed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spotwise.catalog.inputs import AdvisorEntry
from spotwise.model.offering import BUCKETS

ADVISOR_URL = "https://spot-bouncer-status.s3.amazonaws.com/spot-advisor-data.json"


def parse_advisor(
    doc: Mapping[str, Any], region: str, os: str = "Linux"
) -> dict[str, AdvisorEntry]:
    """The advisor's entries for one region and operating system.

    Args:
        doc: The decoded feed.
        region: An AWS region, such as ``us-east-1``.
        os: ``Linux`` or ``Windows``.

    Returns:
        Type name -> savings and bucket; empty when the feed does not list the region.

    Raises:
        ValueError: If the feed's buckets differ from the ones spotwise knows.
    """
    labels = [r["label"] for r in sorted(doc["ranges"], key=lambda r: r["index"])]
    if labels != [b.label for b in BUCKETS]:
        raise ValueError(f"advisor buckets changed: {labels}")
    pools = doc.get("spot_advisor", {}).get(region, {}).get(os, {})
    return {name: AdvisorEntry(int(v["s"]), int(v["r"])) for name, v in pools.items()}
