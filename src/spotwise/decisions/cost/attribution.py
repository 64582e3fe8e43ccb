"""Which commitment covers each running instance, in the order AWS applies them (pure).

AWS bills on-demand usage against commitments in a fixed order, and so does this:

1. Zonal reserved instances: the same type in the same zone, one instance per RI.
2. Regional reserved instances: any zone of the region and, for Linux with default
   tenancy, any size of the family by normalization factors
   (`spotwise.decisions.cost.normalization`), the smallest sizes first. An instance
   larger than the units left is covered in part.
3. EC2 Instance Savings Plans (the family in the region), then Compute Savings Plans (any
   family, any region); within a kind, the highest discount first. A plan's commitment
   is dollars per hour at the plan's rate (on-demand less the discount); an instance that
   would overrun it is covered in part.
4. What is left is billed on-demand.

Within one commitment instances are taken in id order, so the answer is the same on
every run (AWS does not say which of two equal usages it covers first). Spot instances
are never covered.

A commitment is paid whether or not it is used, so the price an instance *adds* to the
bill is only its uncovered share at the on-demand price (`Attribution.effective_price`):
on-demand capacity under an unused commitment costs nothing more, which is why a planner
should fill it before buying spot. Re-attributing after every start and stop gives each
instance's effective price over its life.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from spotwise.decisions.cost.normalization import factor
from spotwise.model.instance_type import CapacityType

# Shares closer than this to 0 or 1 are 0 or 1: prices are floats.
_EPSILON = 1e-9


class CoveredBy(enum.StrEnum):
    """What pays for (part of) an instance's hour."""

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
    """One running instance.

    Attributes:
        instance_id: The instance.
        instance_type: Its type.
        zone: Its availability zone.
        region: Its region.
        capacity_type: Spot or on-demand.
        price: USD per hour: the on-demand price, or the spot price for spot.
    """

    instance_id: str
    instance_type: str
    zone: str
    region: str
    capacity_type: CapacityType
    price: float

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
    """

    id: str
    instance_type: str
    count: int
    region: str
    zone: str | None = None


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


@dataclass(frozen=True, slots=True)
class Coverage:
    """A share of an instance's hour and what pays for it.

    Attributes:
        by: What pays.
        share: The share of the hour, 0 to 1.
        commitment: The commitment's id; None for on-demand and spot.
    """

    by: CoveredBy
    share: float
    commitment: str | None = None


@dataclass(frozen=True, slots=True)
class Attribution:
    """How one instance's hour is paid for.

    Attributes:
        usage: The instance.
        coverage: Its shares, in the order they were applied; they add up to 1.
    """

    usage: Usage
    coverage: tuple[Coverage, ...]

    @property
    def covered_by(self) -> CoveredBy:
        """What pays for the largest share (the first of equal shares)."""
        return max(self.coverage, key=lambda c: c.share).by

    @property
    def effective_price(self) -> float:
        """USD per hour the instance adds to the bill, its commitments paid anyway."""
        if self.usage.capacity_type is CapacityType.SPOT:
            return self.usage.price
        uncovered = sum(c.share for c in self.coverage if c.by is CoveredBy.ON_DEMAND)
        return uncovered * self.usage.price


@dataclass(frozen=True, slots=True)
class Utilization:
    """How much of one commitment is used.

    Attributes:
        id: The commitment.
        kind: Zonal RI, regional RI, or a kind of Savings Plan.
        used: Used: instances (zonal RI), normalized units (regional RI) or USD per hour
            at the plan's rate (Savings Plans).
        total: What the commitment offers, in the same unit.
        unit: ``instances``, ``units`` or ``usd_per_hour``.
    """

    id: str
    kind: CoveredBy
    used: float
    total: float
    unit: str

    @property
    def percent(self) -> float:
        """``used`` as a percentage of ``total``."""
        return 100.0 * self.used / self.total if self.total else 0.0


@dataclass(slots=True)
class _Open:
    """An instance's hour being attributed."""

    usage: Usage
    left: float = 1.0
    coverage: list[Coverage] = field(default_factory=list)

    def cover(self, by: CoveredBy, share: float, commitment: str | None) -> None:
        share = min(share, self.left)
        if share > _EPSILON:
            self.coverage.append(Coverage(by, share, commitment))
            self.left = max(0.0, self.left - share)


def attribute(
    usages: Sequence[Usage],
    reserved: Sequence[ReservedInstance] = (),
    plans: Sequence[SavingsPlan] = (),
) -> tuple[tuple[Attribution, ...], tuple[Utilization, ...]]:
    """Attribute every instance's hour to commitments, in AWS's order (module docstring).

    Args:
        usages: The running instances.
        reserved: Reserved instances, zonal and regional.
        plans: Savings Plans.

    Returns:
        Each instance's attribution, in the order given, and each commitment's
        utilization: reserved instances in the order given, then plans.
    """
    open_ = [_Open(u) for u in usages]
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
        if o.usage.capacity_type is CapacityType.SPOT:
            o.cover(CoveredBy.SPOT, 1.0, None)
        else:
            o.cover(CoveredBy.ON_DEMAND, o.left, None)
    attributions = tuple(Attribution(o.usage, tuple(o.coverage)) for o in open_)
    utilization = tuple(_ri_utilization(ri, used[ri.id]) for ri in reserved) + tuple(
        Utilization(
            p.id,
            CoveredBy.EC2_INSTANCE_SP if p.kind is PlanKind.EC2_INSTANCE else CoveredBy.COMPUTE_SP,
            plan_used[p.id],
            p.commitment,
            "usd_per_hour",
        )
        for p in plans
    )
    return attributions, utilization


def _zonal(ri: ReservedInstance, on_demand: list[_Open]) -> float:
    """Cover whole instances of the RI's type in its zone; returns the instances used."""
    left = ri.count
    for o in on_demand:
        if left == 0:
            break
        u = o.usage
        if o.left > _EPSILON and (u.instance_type, u.zone) == (ri.instance_type, ri.zone):
            o.cover(CoveredBy.ZONAL_RI, 1.0, ri.id)
            left -= 1
    return float(ri.count - left)


def _regional(ri: ReservedInstance, on_demand: list[_Open]) -> float:
    """Cover the family's instances in the region, smallest first; returns units used.

    Without a normalization factor (metal sizes), whole instances of the type only.
    """
    unit = factor(ri.instance_type)
    family = ri.instance_type.partition(".")[0]
    if unit is None:
        exact = [o for o in on_demand if o.usage.instance_type == ri.instance_type]
        return _units(ri, exact, lambda _: 1.0, float(ri.count))
    flexible = [
        o
        for o in on_demand
        if o.usage.family == family
        and o.usage.region == ri.region
        and factor(o.usage.instance_type) is not None
    ]
    flexible.sort(key=lambda o: factor(o.usage.instance_type) or 0.0)  # stable: ids within
    return _units(ri, flexible, lambda t: factor(t) or 0.0, ri.count * unit)


def _units(
    ri: ReservedInstance, candidates: list[_Open], size: Callable[[str], float], total: float
) -> float:
    """Spend ``total`` units over ``candidates``, each needing ``size(type)`` for its hour."""
    left = total
    for o in candidates:
        if left <= _EPSILON:
            break
        if o.left <= _EPSILON or o.usage.region != ri.region:
            continue
        whole = size(o.usage.instance_type)
        share = min(o.left, left / whole)
        o.cover(CoveredBy.REGIONAL_RI, share, ri.id)
        left -= share * whole
    return total - max(0.0, left)


def _plan(plan: SavingsPlan, on_demand: list[_Open]) -> float:
    """Spend the plan's hourly commitment at its rate; returns USD per hour used."""
    by = CoveredBy.EC2_INSTANCE_SP if plan.kind is PlanKind.EC2_INSTANCE else CoveredBy.COMPUTE_SP
    left = plan.commitment
    for o in on_demand:
        if left <= _EPSILON:
            break
        u = o.usage
        if o.left <= _EPSILON or not _eligible(plan, u):
            continue
        rate = u.price * (1.0 - plan.discount)  # the plan's price of a whole hour
        if rate <= 0:
            continue
        share = min(o.left, left / rate)
        o.cover(by, share, plan.id)
        left -= share * rate
    return plan.commitment - max(0.0, left)


def _eligible(plan: SavingsPlan, usage: Usage) -> bool:
    if plan.kind is PlanKind.COMPUTE:
        return True
    return usage.family == plan.family and (plan.region is None or usage.region == plan.region)


def _ri_utilization(ri: ReservedInstance, used: float) -> Utilization:
    if ri.zone is not None:
        return Utilization(ri.id, CoveredBy.ZONAL_RI, used, float(ri.count), "instances")
    unit = factor(ri.instance_type)
    if unit is None:
        return Utilization(ri.id, CoveredBy.REGIONAL_RI, used, float(ri.count), "instances")
    return Utilization(ri.id, CoveredBy.REGIONAL_RI, used, ri.count * unit, "units")
