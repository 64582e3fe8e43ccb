"""Node pools as the packer sees them: the node shapes a pool may launch and its rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from spotwise.model.allocation import SpotAllocationStrategy
from spotwise.model.instance_type import CapacityType, InstanceType
from spotwise.model.labelset import LabelSet
from spotwise.model.offering import InterruptionBucket
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import Taint


@dataclass(frozen=True, slots=True)
class Offer:
    """Where and how a shape can be bought, with the labels its node would carry.

    Attributes:
        zone: The zone.
        capacity_type: Spot or on-demand.
        price: USD per hour.
        labels: The labels a node bought this way carries.
        interruption: The advisor's bucket for a spot offer (None: on-demand, or unlisted).
        observed: The spot pool's interruptions seen lately, decayed to the planning time
            (`spotwise.decisions.capacity.observed`); 0 when none.
    """

    zone: str
    capacity_type: CapacityType
    price: float
    labels: LabelSet
    interruption: InterruptionBucket | None = None
    observed: float = 0.0


@dataclass(frozen=True, slots=True)
class NodeShape:
    """An instance type as nodes of one pool get it.

    Attributes:
        instance_type: The EC2 type.
        allocatable: What pods may request, after kubelet reservations (DaemonSets are
            subtracted per pool by the packer, since which run depends on the pool).
        offers: The available offerings of the type in the pool's zones and capacity types.
        on_demand_price: The type's on-demand price, to show what spot saves.
    """

    instance_type: InstanceType
    allocatable: Resources
    offers: tuple[Offer, ...]
    on_demand_price: float | None = None

    @property
    def name(self) -> str:
        """The instance type's name."""
        return self.instance_type.name


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """Caps on a pool's total size; None is no cap.

    ``units`` caps what the pool's new nodes take of a budget of its own (a commitment's
    free part), each type taking `Pool.units` of it; nodes that run already count
    against the other caps only.
    """

    cpu_milli: int | None = None
    memory_bytes: int | None = None
    nodes: int | None = None
    price_per_hour: float | None = None
    units: float | None = None


@dataclass(frozen=True, slots=True)
class Headroom:
    """Spare capacity a pool keeps warm, as Spot Ocean offers it.

    Attributes:
        units: Fixed spare units, each of size ``unit``.
        unit: The size of one spare unit.
        percent: Spare capacity as a percentage of what the pool's pods request.
    """

    units: int = 0
    unit: Resources = Resources()
    percent: int = 0


@dataclass(frozen=True, slots=True)
class Pool:
    """One node pool: what it may launch, how its nodes look, and its limits.

    Attributes:
        name: The pool's name (label ``spotwise.io/node-pool`` on its nodes).
        weight: Higher weights are tried first.
        taints: Taints every node of the pool gets.
        shapes: The types it may launch, each with its offers.
        limits: Caps on the pool's total size.
        on_demand_base: Nodes that are on-demand before any spot.
        on_demand_percentage: Percent of nodes above the base that are on-demand.
        headroom: Spare capacity to keep.
        price_ceiling: A node's launch list holds types up to (1 + ceiling) x the cheapest;
            a spot list takes more until it is diverse enough, within the guard of
            `spotwise.decisions.scheduling.launch_list`.
        min_instance_types: How many types a spot node's launch list should hold.
        min_families: How many instance families a spot node's launch list should hold.
        max_type_share: The most of the pool's spot nodes one instance type may be, in
            percent, when a new node's list has other types to offer.
        spot_strategy: How EC2 picks among a spot launch's pools.
        nodepool: The pool whose nodes these are, when this one is a view of it (the
            capacity a commitment still has free): its nodes carry that pool's name and
            count against its limits. None: this pool's own name.
        units: Instance type -> what one new node takes of ``limits.units``.
        commitment: The commitment whose free part ``limits.units`` is: every view of
            one commitment (one per pool) spends the same free part.
        buys: The capacity types its NodePool's ``capacityTypes`` allows, as written
            (offers may have fewer: zones, requirements, ``maxInterruption``).
    """

    name: str
    shapes: tuple[NodeShape, ...]
    weight: int = 0
    taints: tuple[Taint, ...] = ()
    limits: PoolLimits = PoolLimits()
    on_demand_base: int = 0
    on_demand_percentage: int = 0
    headroom: Headroom = Headroom()
    price_ceiling: float = 0.25
    min_instance_types: int = 1
    min_families: int = 1
    max_type_share: int = 100
    spot_strategy: SpotAllocationStrategy = SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    nodepool: str | None = None
    units: Mapping[str, float] = field(default_factory=dict, compare=False, hash=False)
    commitment: str | None = None
    buys: tuple[CapacityType, ...] = (CapacityType.SPOT, CapacityType.ON_DEMAND)

    @property
    def nodes_of(self) -> str:
        """The ``spotwise.io/node-pool`` label its nodes carry."""
        return self.nodepool or self.name

    def shape(self, instance_type: str) -> NodeShape | None:
        """The pool's shape of that instance type, if it has one."""
        return next((s for s in self.shapes if s.name == instance_type), None)

    @property
    def capacity_types(self) -> frozenset[CapacityType]:
        """The capacity types any of its offers has."""
        return frozenset(o.capacity_type for s in self.shapes for o in s.offers)
