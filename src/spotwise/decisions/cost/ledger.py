"""The ledger: what each instance cost over its life, commitments counted (pure).

EC2 bills Linux instances per second with a 60-second minimum, at the offering's price.
Commitments cover whatever runs at each moment, so an instance's effective price changes
when others start or stop: the ledger cuts time at every start and stop, attributes the
instances running in each stretch (`spotwise.decisions.cost.attribution`) and charges
each its effective price for the stretch. An instance that ran less than the minimum is
charged the rest of the minute at its last effective price. Its list cost is the same
time at the on-demand price, so list cost less cost is what spot and commitments saved.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from spotwise.decisions.cost.attribution import (
    CoveredBy,
    ReservedInstance,
    SavingsPlan,
    Usage,
    attribute,
)

MINIMUM_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Run:
    """One instance's life.

    Attributes:
        usage: The instance and its price (spot price for spot).
        start: When it started, seconds.
        end: When it stopped, seconds (the end of the ledger for one still running).
        on_demand_price: Its type's on-demand price, USD per hour (for the list cost).
        labels: What totals group it by: pool, capacity type, type, zone...
    """

    usage: Usage
    start: float
    end: float
    on_demand_price: float
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Charge:
    """What one instance was billed.

    Attributes:
        run: The instance's life.
        billed_seconds: Its seconds, at least the minimum.
        cost: USD, commitments counted (what it added to the bill).
        list_cost: USD at the on-demand price for the same seconds.
        covered: Seconds-weighted shares by what paid for them (share-hours).
    """

    run: Run
    billed_seconds: float
    cost: float
    list_cost: float
    covered: Mapping[CoveredBy, float]


@dataclass(frozen=True, slots=True)
class Total:
    """A group's sums.

    Attributes:
        cost: USD billed.
        list_cost: USD at on-demand prices.
        instance_hours: Billed hours.
    """

    cost: float
    list_cost: float
    instance_hours: float

    @property
    def savings(self) -> float:
        """USD saved against on-demand."""
        return self.list_cost - self.cost


def ledger(
    runs: Sequence[Run],
    reserved: Sequence[ReservedInstance] = (),
    plans: Sequence[SavingsPlan] = (),
    minimum_seconds: float = MINIMUM_SECONDS,
) -> tuple[Charge, ...]:
    """Each run's charge (see the module's rules), in the order given."""
    cuts = sorted({t for r in runs for t in (r.start, r.end)})
    cost = [0.0] * len(runs)
    last_price = [r.usage.price for r in runs]
    covered: list[dict[CoveredBy, float]] = [defaultdict(float) for _ in runs]
    for begin, end in itertools.pairwise(cuts):
        running = [i for i, r in enumerate(runs) if r.start <= begin and r.end >= end]
        if not running:
            continue
        found, _ = attribute([runs[i].usage for i in running], reserved, plans)
        hours = (end - begin) / 3600
        for i, attribution in zip(running, found, strict=True):
            cost[i] += attribution.effective_price * hours
            last_price[i] = attribution.effective_price
            for c in attribution.coverage:
                covered[i][c.by] += c.share * hours
    charges = []
    for i, r in enumerate(runs):
        seconds = max(0.0, r.end - r.start)
        billed = max(seconds, minimum_seconds)
        extra = (billed - seconds) / 3600 * last_price[i]
        charges.append(
            Charge(
                r,
                billed,
                cost[i] + extra,
                r.on_demand_price * billed / 3600,
                dict(covered[i]),
            )
        )
    return tuple(charges)


def totals(charges: Sequence[Charge], key: Callable[[Charge], str]) -> dict[str, Total]:
    """The charges summed by ``key`` (a label, the capacity type...), sorted by key."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for c in charges:
        row = sums[key(c)]
        row[0] += c.cost
        row[1] += c.list_cost
        row[2] += c.billed_seconds / 3600
    return {k: Total(*v) for k, v in sorted(sums.items())}
