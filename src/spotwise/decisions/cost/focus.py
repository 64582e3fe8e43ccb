"""The ledger as FinOps FOCUS rows, the columns cost tools ingest (pure).

One row per instance per clock hour and part (uncovered, or covered by one commitment),
one row per commitment per hour for its purchase (when its fee is known), and one for a
short life's minimum-minute top-up. The columns are FOCUS's: ``BilledCost`` (what the
bill says: uncovered usage at its price, a commitment's fee; covered usage is billed by
its commitment's purchase), ``EffectiveCost`` (commitments amortized: covered usage at
the commitment's rate, a purchase's unused part), ``ListCost`` (usage at the on-demand
price), ``PricingCategory`` (``Standard`` on-demand, ``Dynamic`` spot, ``Committed``),
``CommitmentDiscountId``, ``ResourceId``, ``ChargePeriodStart``, ``ChargePeriodEnd``,
``ChargeCategory`` (``Usage`` or ``Purchase``) and ``Tags`` (JSON: node pool, capacity
type, instance type, zone). Over all rows, BilledCost and EffectiveCost both add up to
the bill.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from spotwise.decisions.cost.attribution import HOUR, CoveredBy
from spotwise.decisions.cost.ledger import Bill

COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "PricingCategory",
    "CommitmentDiscountId",
    "ResourceId",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "Tags",
)
_CATEGORY = {CoveredBy.ON_DEMAND: "Standard", CoveredBy.SPOT: "Dynamic"}


def focus_rows(bill: Bill, start: datetime) -> list[dict[str, str]]:
    """Every line of the bill as a FOCUS row.

    Args:
        bill: The ledger.
        start: When its first clock hour began (timezone-aware).

    Raises:
        ValueError: If an amortized cost is unknown (a reserved instance without a price).
    """
    rows = []
    for line in bill.lines:
        if line.effective is None:
            raise ValueError(f"{line.commitment} has no price: its effective cost is unknown")
        begin = start + timedelta(seconds=line.hour * HOUR)
        if line.run is None:
            resource, tags = str(line.commitment), {}
        else:
            run = bill.charges[line.run].run
            resource, tags = run.usage.instance_id, dict(run.labels)
        rows.append(
            {
                "BilledCost": f"{line.billed:.6f}",
                "EffectiveCost": f"{line.effective:.6f}",
                "ListCost": f"{line.listed:.6f}",
                "PricingCategory": _CATEGORY.get(line.by, "Committed"),
                "CommitmentDiscountId": line.commitment or "",
                "ResourceId": resource,
                "ChargeCategory": "Purchase" if line.run is None else "Usage",
                "ChargePeriodStart": _iso(begin),
                "ChargePeriodEnd": _iso(begin + timedelta(seconds=HOUR)),
                "Tags": json.dumps(tags, sort_keys=True),
            }
        )
    return rows


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
