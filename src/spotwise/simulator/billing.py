"""A simulated run's bill with the account's commitments, as AWS would apply them.

Every tick the nodes that run are attributed to the commitments
(`spotwise.decisions.cost.attribution`) as one clock hour's instantaneous usage: the
same answer as AWS's hourly attribution while the nodes stay the same over the hour;
when they change within it, AWS pools the hour's instance-seconds, which this reads
tick by tick instead. The bill is what no commitment covers, at the node's price, plus
the commitments' fees (paid whether used or not; a reserved instance without an
``hourlyPrice`` has no known fee and adds none). Every strategy is billed the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from spotwise.decisions.cost.attribution import Usage, attribute
from spotwise.decisions.scheduling.commitments import Commitments
from spotwise.simulated.cluster import SimNode


@dataclass(slots=True)
class CommitmentUse:
    """One commitment over a run.

    Attributes:
        id: The commitment.
        kind: Zonal RI, regional RI, or a kind of Savings Plan.
        unit: What ``used`` and ``total`` count.
        used: Used over the run (unit-hours, instance-hours or USD).
        total: What it offered over the run, in the same unit.
    """

    id: str
    kind: str
    unit: str
    used: float = 0.0
    total: float = 0.0

    @property
    def percent(self) -> float | None:
        """``used`` as a percentage of ``total``; None before any tick."""
        return round(100 * self.used / self.total, 1) if self.total else None


@dataclass(slots=True)
class Bill:
    """A run's bill with its commitments.

    Attributes:
        usage: USD of usage no commitment covered.
        fees: USD of the commitments' known fees.
        uses: Each commitment's use, in the order of the commitments.
    """

    usage: float = 0.0
    fees: float = 0.0
    uses: list[CommitmentUse] = field(default_factory=list)

    @property
    def total(self) -> float:
        """What the run was billed: uncovered usage and fees."""
        return self.usage + self.fees


class Billing:
    """Bills a run tick by tick with ``commitments``."""

    def __init__(self, commitments: Commitments) -> None:
        self.commitments = commitments
        self.bill = Bill()
        fees = [ri.fee for ri in commitments.reserved] + [p.fee for p in commitments.plans]
        self._fee = sum(f for f in fees if f is not None)

    def tick(self, nodes: Iterable[SimNode], seconds: float) -> None:
        """Bill ``seconds`` of the ``nodes`` that run."""
        hours = seconds / 3600
        c = self.commitments
        usages = [
            Usage(n.name, n.instance_type, n.zone, c.region, n.capacity_type, n.price)
            for n in nodes
        ]
        attributions, utilization = attribute(usages, c.reserved, c.plans)
        bill = self.bill
        bill.usage += hours * sum(a.added_price for a in attributions)
        bill.fees += hours * self._fee
        if not bill.uses:
            bill.uses = [CommitmentUse(u.id, u.kind.value, u.unit) for u in utilization]
        for use, u in zip(bill.uses, utilization, strict=True):
            use.used += hours * u.used
            use.total += hours * u.total
