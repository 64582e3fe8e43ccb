"""What is launched: a planned node, what its pods accept, and how its pool launches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from spotwise.catalog.catalog import Catalog
from spotwise.config.nodepool import NodePool
from spotwise.decisions.scheduling.plan import NewNode
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture
from spotwise.model.scheduling_terms import Taint

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
        labels: The pool's own node labels and its settings' hash (drift).
        taints: The pool's node taints.
        tags: Extra instance tags.
        capacity_reservations: The pool's capacity reservation ids, tried first (as
            on-demand) for nodes whose pods run on on-demand.
        architectures: For a pool with an image per architecture: instance type -> its
            architecture, for the types whose architecture has an image. Overrides
            carry it (the cloud launches each from its architecture's image), and a
            type not in it is left out. None: one image for every type.
    """

    spot_strategy: SpotAllocationStrategy = SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    on_demand_strategy: OnDemandAllocationStrategy = OnDemandAllocationStrategy.LOWEST_PRICE
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    taints: tuple[Taint, ...] = ()
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    capacity_reservations: tuple[str, ...] = ()
    architectures: Mapping[str, Architecture] | None = None


def settings_for(nodepool: NodePool, catalog: Catalog | None = None) -> LaunchSettings:
    """The launch settings a NodePool document asks for.

    With the catalog, a pool with an image per architecture (``amiByArchitecture``)
    gets `LaunchSettings.architectures`, so that each type launches with its
    architecture's image and types without one are left out. Launches on EC2 need it:
    without, overrides name no architecture, and EC2 finds no template of the pool's
    one image (and so launches nothing). The simulated cloud has no images.
    """
    spec = nodepool.spec
    launch = spec.launch
    architectures = None
    if catalog is not None and launch is not None and launch.ami_by_architecture is not None:
        imaged = set(launch.ami_by_architecture)
        architectures = MappingProxyType(
            {
                name: t.architecture
                for name, t in catalog.instance_types.items()
                if t.architecture in imaged
            }
        )
    return LaunchSettings(
        spot_strategy=spec.spot_allocation_strategy,
        on_demand_strategy=spec.on_demand_allocation_strategy,
        labels=MappingProxyType(spec.node_labels),
        taints=tuple(Taint(t.key, t.value, t.effect) for t in spec.taints),
        capacity_reservations=() if launch is None else launch.reserved_capacity,
        architectures=architectures,
    )
