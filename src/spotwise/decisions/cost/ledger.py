"""The ledger: what a set of instances cost over time, commitments counted (pure).

EC2 bills Linux instances per second with a 60-second minimum, at the offering's price,
and applies commitments to each clock hour's usage (`spotwise.decisions.cost.attribution`):
the ledger cuts time into clock hours, attributes the seconds each instance ran in each,
and charges each instance its uncovered seconds at its price (what it *added* to the
bill). A commitment is paid every hour whether used or not, so the bill is the added
cost plus the commitments' fees; where a reserved instance's hourly price is not given,
its fee, and so the bill and the savings, are unknown. An instance that ran less than a
minute is charged the rest of the minute at its price (not attributed: a simplification
worth cents). A spot instance that EC2 reclaims within its first hour is not charged at
all, as AWS bills it; one that spotwise terminates (after a drain) is charged.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from spotwise.decisions.cost.attribution import (
    HOUR,
    Coverage,
    CoveredBy,
    ReservedInstance,
    SavingsPlan,
    Usage,
    Utilization,
    attribute,
)
from spotwise.model.instance_type import CapacityType

MINIMUM_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Run:
    """One instance's life.

    Attributes:
        usage: The instance and its price (spot price for spot).
        start: When it started, seconds from the ledger's clock (hours start at 0).
        end: When it stopped (the end of the ledger for one still running).
        on_demand_price: Its type's on-demand price, USD per hour (for the list cost).
        reclaimed: EC2 took it back (a spot interruption), rather than its owner ending it.
        labels: What totals group it by: pool, capacity type, type, zone...
    """

    usage: Usage
    start: float
    end: float
    on_demand_price: float
    reclaimed: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Charge:
    """What one instance added to the bill.

    Attributes:
        run: The instance's life.
        billed_seconds: Its seconds, at least the minimum (0 for a free reclaim).
        cost: USD it added to the bill (its uncovered seconds at its price).
        list_cost: USD at the on-demand price for the same seconds.
        covered: Seconds by what paid for them.
    """

    run: Run
    billed_seconds: float
    cost: float
    list_cost: float
    covered: Mapping[CoveredBy, float]


@dataclass(frozen=True, slots=True)
class HourLine:
    """One line of one clock hour: an instance's part, or a commitment's purchase.

    Attributes:
        hour: The clock hour (0 is the ledger's first).
        run: The instance's index in the charges; None for a commitment's purchase.
        by: What paid (for a purchase, the commitment's kind).
        seconds: The instance's seconds in the line (0 for a purchase).
        commitment: The commitment, for covered seconds and purchases.
        billed: USD on the bill: uncovered seconds at their price, a purchase's fee, 0
            for covered seconds (the commitment's purchase bills them).
        effective: USD with commitments amortized: covered seconds at the commitment's
            rate, a purchase's unused part; None when a fee is unknown.
        listed: USD at the on-demand price for the same seconds (0 for a purchase).
    """

    hour: int
    run: int | None
    by: CoveredBy
    seconds: float
    commitment: str | None
    billed: float
    effective: float | None
    listed: float


@dataclass(frozen=True, slots=True)
class Bill:
    """The ledger.

    Attributes:
        charges: Each instance's, in the order given.
        commitments: Each commitment's use and fee, summed over the hours.
        hours: The clock hours billed.
        lines: Every hour's lines, for FinOps exports (a purchase only for known fees).
    """

    charges: tuple[Charge, ...]
    commitments: tuple[Utilization, ...]
    hours: int
    lines: tuple[HourLine, ...] = ()

    @property
    def fees(self) -> float | None:
        """The commitments' fees, USD; None when one is unknown."""
        fees = [c.fee for c in self.commitments]
        return None if any(f is None for f in fees) else sum(f for f in fees if f is not None)

    @property
    def added(self) -> float:
        """USD the instances added to the bill."""
        return sum(c.cost for c in self.charges)

    @property
    def list_cost(self) -> float:
        """USD at on-demand prices."""
        return sum(c.list_cost for c in self.charges)

    @property
    def total(self) -> float | None:
        """USD billed: what the instances added and the commitments' fees (None: unknown)."""
        fees = self.fees
        return None if fees is None else self.added + fees


@dataclass(frozen=True, slots=True)
class Total:
    """A group's sums.

    Attributes:
        cost: USD the group's instances added to the bill.
        list_cost: USD at on-demand prices.
        instance_hours: Billed hours.
    """

    cost: float
    list_cost: float
    instance_hours: float


def ledger(
    runs: Sequence[Run],
    reserved: Sequence[ReservedInstance] = (),
    plans: Sequence[SavingsPlan] = (),
    minimum_seconds: float = MINIMUM_SECONDS,
    span: tuple[float, float] | None = None,
) -> Bill:
    """Bill the runs hour by hour (see the module's rules).

    Args:
        runs: The instances' lives.
        reserved: Reserved instances.
        plans: Savings Plans.
        minimum_seconds: The least an instance is billed.
        span: The seconds the bill covers (whole clock hours around them): commitments'
            fees are paid for every hour of it, run or not. None: the runs' own hours.
    """
    billable = [not _free(r) for r in runs]
    cost = [0.0] * len(runs)
    covered: list[dict[CoveredBy, float]] = [defaultdict(float) for _ in runs]
    begins = [r.start for r in runs] + ([span[0]] if span else [])
    ends = [r.end for r in runs] + ([span[1]] if span else [])
    first = math.floor(min(begins, default=0.0) / HOUR)
    last = math.ceil(max(ends, default=0.0) / HOUR)
    use: dict[str, list[float]] = {}
    shapes: dict[str, Utilization] = {}
    lines: list[HourLine] = []
    for hour in range(first, last):
        begin, end = hour * HOUR, (hour + 1) * HOUR
        ran = [
            (i, min(r.end, end) - max(r.start, begin))
            for i, r in enumerate(runs)
            if billable[i] and r.start < end and r.end > begin
        ]
        ran = [(i, s) for i, s in ran if s > 0]
        usages = [replace(runs[i].usage, seconds=s) for i, s in ran]
        found, utilization = attribute(usages, reserved, plans)
        amortized: dict[str, float] = defaultdict(float)
        for (i, _), attribution in zip(ran, found, strict=True):
            cost[i] += attribution.added_price * attribution.usage.seconds / HOUR
            for c in attribution.coverage:
                covered[i][c.by] += c.seconds
                lines.append(_usage_line(hour - first, i, runs[i], c))
                if c.commitment is not None and c.amortized is not None:
                    amortized[c.commitment] += c.amortized
        for u in utilization:
            if u.fee is not None:
                unused = max(0.0, u.fee - amortized[u.id])
                lines.append(HourLine(hour - first, None, u.kind, 0.0, u.id, u.fee, unused, 0.0))
            row = use.setdefault(u.id, [0.0, 0.0, 0.0])
            row[0] += u.used
            row[1] += u.total
            row[2] += u.fee or 0.0
            shapes[u.id] = u
    charges = []
    for i, r in enumerate(runs):
        seconds = max(0.0, r.end - r.start) if billable[i] else 0.0
        billed = max(seconds, minimum_seconds) if billable[i] else 0.0
        extra = (billed - seconds) / HOUR * r.usage.price
        if extra > 0:  # the minimum's top-up, in the hour it started
            by = (
                CoveredBy.SPOT
                if r.usage.capacity_type is CapacityType.SPOT
                else CoveredBy.ON_DEMAND
            )
            hour = math.floor(r.start / HOUR) - first
            listed = (billed - seconds) / HOUR * r.on_demand_price
            lines.append(HourLine(hour, i, by, billed - seconds, None, extra, extra, listed))
        charges.append(
            Charge(r, billed, cost[i] + extra, r.on_demand_price * billed / HOUR, dict(covered[i]))
        )
    commitments = tuple(
        Utilization(
            u.id,
            u.kind,
            use[u.id][0],
            use[u.id][1],
            u.unit,
            None if u.fee is None else use[u.id][2],
        )
        for u in shapes.values()
    )
    return Bill(tuple(charges), commitments, max(0, last - first), tuple(lines))


def totals(charges: Sequence[Charge], key: Callable[[Charge], str]) -> dict[str, Total]:
    """The charges summed by ``key`` (a label, the capacity type...), sorted by key."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for c in charges:
        row = sums[key(c)]
        row[0] += c.cost
        row[1] += c.list_cost
        row[2] += c.billed_seconds / HOUR
    return {k: Total(*v) for k, v in sorted(sums.items())}


def _usage_line(hour: int, index: int, run: Run, part: Coverage) -> HourLine:
    """An instance's part of an hour as a line."""
    listed = run.on_demand_price * part.seconds / HOUR
    if part.commitment is None:
        paid = run.usage.price * part.seconds / HOUR
        return HourLine(hour, index, part.by, part.seconds, None, paid, paid, listed)
    return HourLine(
        hour, index, part.by, part.seconds, part.commitment, 0.0, part.amortized, listed
    )


def _free(run: Run) -> bool:
    """A spot instance EC2 reclaimed within its first hour: AWS charges nothing for it."""
    spot = run.usage.capacity_type is CapacityType.SPOT
    return spot and run.reclaimed and run.end - run.start < HOUR
