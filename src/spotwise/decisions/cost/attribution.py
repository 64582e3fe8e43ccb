"""Which commitment covers each instance's usage in one clock hour, in AWS's order (pure).

AWS applies commitments to each clock hour's usage: a reserved instance's benefit is up
to 3600 instance-seconds an hour, pooled over the instances that ran in it (four
matching instances of 15 minutes each use one RI's hour); a Savings Plan's commitment is
dollars an hour at its rate. The order is fixed, and this follows it:

1. Zonal reserved instances: the same type in the same zone.
2. Regional reserved instances: any zone of the region and, for Linux with default
   tenancy, any size of the family by normalization factors
   (`spotwise.decisions.cost.normalization`), the smallest sizes first.
3. EC2 Instance Savings Plans (the family in the region), then Compute Savings Plans (any
   family, any region); within a kind, the highest discount first.
4. What is left is billed on-demand. Spot usage is never covered.

Within one commitment instances are taken in id order, so the answer is the same on
every run (AWS does not say which of two equal usages it covers first). A usage that
would overrun what is left of a commitment is covered in part.

Two prices come out of it. The *added* price is what an instance adds to the bill: its
uncovered seconds at its price, since a commitment is paid whether or not it is used (so
on-demand capacity under an unused commitment costs nothing more, and a planner should
fill it before buying spot). The *amortized* price counts the commitments' own cost too:
covered seconds at the plan's rate, or at the reserved instance's hourly price when the
commitments file gives it (unknown otherwise). Savings against on-demand are only honest
on the amortized price.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from spotwise.decisions.cost.normalization import factor
from spotwise.model.instance_type import CapacityType

HOUR = 3600.0
# Amounts closer than this to 0 are 0: prices and seconds are floats.
_EPSILON = 1e-9


class CoveredBy(enum.StrEnum):
    """What pays for (part of) an instance's usage."""

    ZONAL_RI = "zonal-ri"
    REGIONAL_RI = "regional-ri"
    EC2_INSTANCE_SP = "ec2-instance-sp"
    COMPUTE_SP = "compute-sp"
    ON_DEMAND = "on-demand"
    SPOT = "spot"


class PlanKind(enum.StrEnum):
    """The two kinds of Savings Plans that cover EC2."""

    EC2_INSTANCE = "ec2-instance"
    COMPUTE = "compute"


@dataclass(frozen=True, slots=True)
class Usage:
    """One instance's usage in the hour attributed.

    Attributes:
        instance_id: The instance.
        instance_type: Its type.
        zone: Its availability zone.
        region: Its region.
        capacity_type: Spot or on-demand.
        price: USD per hour: the on-demand price, or the spot price for spot.
        seconds: How long it ran in the hour (a running instance: all of it).
    """

    instance_id: str
    instance_type: str
    zone: str
    region: str
    capacity_type: CapacityType
    price: float
    seconds: float = HOUR

    @property
    def family(self) -> str:
        """The family (``m5`` of ``m5.large``)."""
        return self.instance_type.partition(".")[0]


@dataclass(frozen=True, slots=True)
class ReservedInstance:
    """Reserved instances of one type: zonal with a zone, regional without.

    Attributes:
        id: How reports name it.
        instance_type: The reserved type.
        count: How many.
        region: The region.
        zone: The zone of a zonal RI; None for a regional one.
        hourly_price: What one of them costs an hour, upfront fees spread over its term;
            None when unknown (its amortized cost and fee are then unknown too).
    """

    id: str
    instance_type: str
    count: int
    region: str
    zone: str | None = None
    hourly_price: float | None = None

    @property
    def fee(self) -> float | None:
        """USD an hour, used or not."""
        return None if self.hourly_price is None else self.count * self.hourly_price


@dataclass(frozen=True, slots=True)
class SavingsPlan:
    """A Savings Plan: a commitment in USD per hour at the plan's rate.

    Attributes:
        id: How reports name it.
        kind: EC2 Instance (one family in one region) or Compute (any).
        commitment: USD per hour at the plan's rate.
        discount: The plan's discount off on-demand, 0 to 1 (one rate per plan).
        family: The family of an EC2 Instance Savings Plan.
        region: The region of an EC2 Instance Savings Plan.
    """

    id: str
    kind: PlanKind
    commitment: float
    discount: float
    family: str | None = None
    region: str | None = None

    @property
    def fee(self) -> float:
        """USD an hour, used or not."""
        return self.commitment


@dataclass(frozen=True, slots=True)
class Coverage:
    """Part of an instance's usage and what pays for it.

    Attributes:
        by: What pays.
        seconds: The seconds covered.
        commitment: The commitment's id; None for on-demand and spot.
        amortized: USD of the commitment's own cost these seconds use (None: unknown).
    """

    by: CoveredBy
    seconds: float
    commitment: str | None = None
    amortized: float | None = 0.0


@dataclass(frozen=True, slots=True)
class Attribution:
    """How one instance's usage in the hour is paid for.

    Attributes:
        usage: The instance.
        coverage: Its parts, in the order they were applied; their seconds add up to the
            usage's.
    """

    usage: Usage
    coverage: tuple[Coverage, ...]

    def share(self, part: Coverage) -> float:
        """``part``'s share of the usage, 0 to 1."""
        return part.seconds / self.usage.seconds if self.usage.seconds else 0.0

    @property
    def covered_by(self) -> CoveredBy:
        """What pays for the largest part (the first of equal parts)."""
        return max(self.coverage, key=lambda c: c.seconds).by

    @property
    def added_price(self) -> float:
        """USD per hour the instance adds to the bill, its commitments paid anyway."""
        paid = (CoveredBy.ON_DEMAND, CoveredBy.SPOT)
        return self.usage.price * sum(self.share(c) for c in self.coverage if c.by in paid)

    @property
    def amortized_price(self) -> float | None:
        """USD per hour with the commitments' cost of its covered part; None if unknown."""
        parts = [c.amortized for c in self.coverage if c.commitment is not None]
        if any(p is None for p in parts):
            return None
        scale = HOUR / self.usage.seconds if self.usage.seconds else 0.0
        return self.added_price + scale * sum(p for p in parts if p is not None)


@dataclass(frozen=True, slots=True)
class Utilization:
    """How much of one commitment was used: in one hour, or summed over a ledger's hours.

    Attributes:
        id: The commitment.
        kind: Zonal RI, regional RI, or a kind of Savings Plan.
        used: Used: instance-hours (zonal RI, or a metal regional RI), normalized
            unit-hours (regional RI) or USD at the plan's rate (Savings Plans).
        total: What the commitment offered, in the same unit.
        unit: ``instance-hours``, ``unit-hours`` or ``usd``.
        fee: What the commitment cost, used or not (None: unknown).
    """

    id: str
    kind: CoveredBy
    used: float
    total: float
    unit: str
    fee: float | None

    @property
    def percent(self) -> float:
        """``used`` as a percentage of ``total``."""
        return 100.0 * self.used / self.total if self.total else 0.0


@dataclass(slots=True)
class _Open:
    """An instance's usage being attributed."""

    usage: Usage
    left: float
    coverage: list[Coverage] = field(default_factory=list)

    def cover(
        self, by: CoveredBy, seconds: float, commitment: str | None, per_second: float | None
    ) -> float:
        """Cover up to ``seconds`` at ``per_second`` amortized USD; returns what it took."""
        seconds = min(seconds, self.left)
        if seconds <= _EPSILON:
            return 0.0
        amortized = None if per_second is None else per_second * seconds
        self.coverage.append(Coverage(by, seconds, commitment, amortized))
        self.left = max(0.0, self.left - seconds)
        return seconds


def attribute(
    usages: Sequence[Usage],
    reserved: Sequence[ReservedInstance] = (),
    plans: Sequence[SavingsPlan] = (),
) -> tuple[tuple[Attribution, ...], tuple[Utilization, ...]]:
    """Attribute one clock hour's usage to commitments, in AWS's order (module docstring).

    Args:
        usages: The instances that ran in the hour, each with its seconds in it.
        reserved: Reserved instances, zonal and regional.
        plans: Savings Plans.

    Returns:
        Each instance's attribution, in the order given, and each commitment's use:
        reserved instances in the order given, then plans.
    """
    open_ = [_Open(u, u.seconds) for u in usages]
    on_demand = sorted(
        (o for o in open_ if o.usage.capacity_type is CapacityType.ON_DEMAND),
        key=lambda o: o.usage.instance_id,
    )
    used = {ri.id: _zonal(ri, on_demand) for ri in reserved if ri.zone is not None}
    used |= {ri.id: _regional(ri, on_demand) for ri in reserved if ri.zone is None}
    ordered = sorted(
        enumerate(plans),
        key=lambda p: (p[1].kind is not PlanKind.EC2_INSTANCE, -p[1].discount, p[0]),
    )
    plan_used = {plan.id: _plan(plan, on_demand) for _, plan in ordered}
    for o in open_:
        rest = CoveredBy.SPOT if o.usage.capacity_type is CapacityType.SPOT else CoveredBy.ON_DEMAND
        o.cover(rest, o.left, None, 0.0)
    attributions = tuple(Attribution(o.usage, tuple(o.coverage)) for o in open_)
    utilization = tuple(_ri_utilization(ri, used[ri.id]) for ri in reserved) + tuple(
        Utilization(p.id, _plan_kind(p), plan_used[p.id], p.commitment, "usd", p.fee) for p in plans
    )
    return attributions, utilization


def _zonal(ri: ReservedInstance, on_demand: list[_Open]) -> float:
    """Spend the RI's instance-seconds on its type in its zone; returns seconds used."""
    per_second = None if ri.hourly_price is None else ri.hourly_price / HOUR
    left = ri.count * HOUR
    for o in on_demand:
        if left <= _EPSILON:
            break
        u = o.usage
        if (u.instance_type, u.zone) == (ri.instance_type, ri.zone):
            left -= o.cover(CoveredBy.ZONAL_RI, left, ri.id, per_second)
    return ri.count * HOUR - max(0.0, left)


def _regional(ri: ReservedInstance, on_demand: list[_Open]) -> float:
    """Spend the RI's unit-seconds on its family in the region, smallest sizes first.

    Without a normalization factor (metal sizes, families AWS keeps out of size
    flexibility), instance-seconds of its own type only. Returns what was used.
    """
    unit = factor(ri.instance_type)
    if unit is None:
        exact = [o for o in on_demand if o.usage.instance_type == ri.instance_type]
        return _spend(ri, exact, lambda _: 1.0, ri.count * HOUR)
    family = ri.instance_type.partition(".")[0]
    flexible = [
        o
        for o in on_demand
        if o.usage.family == family and factor(o.usage.instance_type) is not None
    ]
    flexible.sort(key=lambda o: factor(o.usage.instance_type) or 0.0)  # stable: ids within
    return _spend(ri, flexible, lambda t: factor(t) or 0.0, ri.count * unit * HOUR)


def _spend(
    ri: ReservedInstance, candidates: list[_Open], size: Callable[[str], float], total: float
) -> float:
    """Spend ``total`` unit-seconds; a second of a type takes ``size(type)`` of them."""
    reserved_size = size(ri.instance_type)
    left = total
    for o in candidates:
        if left <= _EPSILON:
            break
        if o.usage.region != ri.region:
            continue
        weight = size(o.usage.instance_type)
        # The RI's hourly price buys reserved_size units a second.
        per_second = (
            None if ri.hourly_price is None else ri.hourly_price / HOUR * weight / reserved_size
        )
        left -= weight * o.cover(CoveredBy.REGIONAL_RI, left / weight, ri.id, per_second)
    return total - max(0.0, left)


def _plan(plan: SavingsPlan, on_demand: list[_Open]) -> float:
    """Spend the plan's hourly commitment at its rate; returns USD used."""
    by = _plan_kind(plan)
    left = plan.commitment
    for o in on_demand:
        if left <= _EPSILON:
            break
        u = o.usage
        if not _eligible(plan, u):
            continue
        rate = u.price * (1.0 - plan.discount) / HOUR  # USD a second at the plan's rate
        if rate <= 0:
            continue
        left -= rate * o.cover(by, left / rate, plan.id, rate)
    return plan.commitment - max(0.0, left)


def _plan_kind(plan: SavingsPlan) -> CoveredBy:
    if plan.kind is PlanKind.EC2_INSTANCE:
        return CoveredBy.EC2_INSTANCE_SP
    return CoveredBy.COMPUTE_SP


def _eligible(plan: SavingsPlan, usage: Usage) -> bool:
    if plan.kind is PlanKind.COMPUTE:
        return True
    return usage.family == plan.family and (plan.region is None or usage.region == plan.region)


def _ri_utilization(ri: ReservedInstance, seconds: float) -> Utilization:
    kind = CoveredBy.ZONAL_RI if ri.zone is not None else CoveredBy.REGIONAL_RI
    unit = factor(ri.instance_type) if ri.zone is None else None
    if unit is None:
        return Utilization(ri.id, kind, seconds / HOUR, float(ri.count), "instance-hours", ri.fee)
    return Utilization(ri.id, kind, seconds / HOUR, ri.count * unit, "unit-hours", ri.fee)
