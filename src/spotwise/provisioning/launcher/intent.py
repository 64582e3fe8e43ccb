"""What is launched: a planned node, what its pods accept, and how its pool launches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from spotwise.config.nodepool import NodePool
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.scheduling_terms import Taint
from spotwise.scheduling.plan import NewNode

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class LaunchIntent:
    """A planned node and what its pods accept.

    Attributes:
        node: The packer's node.
        allows_on_demand: Whether every pod of the node may run on on-demand capacity.
        allows_spot: Whether every pod of the node may run on spot capacity.
        attempt: How many times the node was tried before; part of the client token,
            because EC2 answers a reused token with its first answer, failure included.
    """

    node: NewNode
    allows_on_demand: bool
    allows_spot: bool = True
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class LaunchSettings:
    """How a pool's nodes are launched.

    Attributes:
        spot_strategy: How EC2 picks among spot overrides.
        on_demand_strategy: How EC2 picks among on-demand overrides.
        labels: The pool's own node labels.
        taints: The pool's node taints.
        tags: Extra instance tags.
        capacity_reservations: The pool's capacity reservation ids, tried first (as
            on-demand) for nodes whose pods run on on-demand.
    """

    spot_strategy: SpotAllocationStrategy = SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    on_demand_strategy: OnDemandAllocationStrategy = OnDemandAllocationStrategy.LOWEST_PRICE
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    taints: tuple[Taint, ...] = ()
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    capacity_reservations: tuple[str, ...] = ()


def settings_for(nodepool: NodePool) -> LaunchSettings:
    """The launch settings a NodePool document asks for."""
    spec = nodepool.spec
    return LaunchSettings(
        spot_strategy=spec.spot_allocation_strategy,
        on_demand_strategy=spec.on_demand_allocation_strategy,
        labels=MappingProxyType(dict(spec.labels)),
        taints=tuple(Taint(t.key, t.value, t.effect) for t in spec.taints),
        capacity_reservations=() if spec.launch is None else spec.launch.reserved_capacity,
    )
