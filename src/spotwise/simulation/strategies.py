"""The strategies a simulation compares, named so that scripts can find them.

* ``on-demand``: spotwise's pools with every node on-demand (the cost reference).
* ``node-groups``: the cluster-autoscaler style: fixed groups of equal-size types (as
  kops instance groups are), spot with capacity-optimized, one on-demand group for pods
  that need it and one GPU group.
* ``spotwise``: spotwise's defaults: every general-purpose type, spot first with
  price-capacity-optimized, on-demand where pods require it or spot runs dry.
* ``spotwise-<strategy>``: spotwise with another spot allocation strategy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spotwise.catalog.catalog import Catalog
from spotwise.config.nodepool import NodePool
from spotwise.model.allocation import SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.selector.criteria import Criteria, Range
from spotwise.selector.emit_kops import group_types
from spotwise.selector.select import select

SPOTWISE = "spotwise"
ON_DEMAND = "on-demand"
NODE_GROUPS = "node-groups"


@dataclass(frozen=True, slots=True)
class Strategy:
    """A named way of running the cluster: the node pools spotwise may launch from."""

    name: str
    nodepools: tuple[NodePool, ...]
    description: str


def _pool(name: str, **spec: Any) -> NodePool:
    return NodePool.model_validate(
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": name},
            "spec": spec,
        }
    )


def spotwise(
    nodepools: Sequence[NodePool] = (),
    strategy: SpotAllocationStrategy = SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
) -> Strategy:
    """Spotwise with its defaults (or the scenario's pools), and a spot allocation strategy."""
    pools = tuple(nodepools) or (_pool("default"),)
    pools = tuple(
        p.model_copy(
            update={"spec": p.spec.model_copy(update={"spot_allocation_strategy": strategy})}
        )
        for p in pools
    )
    default = strategy is SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    name = SPOTWISE if default else f"{SPOTWISE}-{strategy.value}"
    return Strategy(name, pools, f"spotwise, spot {strategy.value}")


def on_demand(nodepools: Sequence[NodePool] = ()) -> Strategy:
    """Every node on-demand, from the same pools as spotwise so that only buying differs."""
    pools = tuple(nodepools) or (_pool("default"),)
    only = (CapacityType.ON_DEMAND,)
    pools = tuple(
        p.model_copy(
            update={
                "spec": p.spec.model_copy(
                    update={
                        "capacity_types": only,
                        "on_demand_base": 0,
                        "on_demand_percentage_above_base": None,
                    }
                )
            }
        )
        for p in pools
    )
    return Strategy(ON_DEMAND, pools, "all on-demand")


def node_groups(catalog: Catalog) -> Strategy:
    """Fixed groups of equal-size types, as cluster-autoscaler with kops instance groups."""
    general = list(
        select(
            catalog,
            Criteria(
                vcpus=Range.exactly(16),
                architecture=Architecture.X86_64,
                usage_class=CapacityType.SPOT,
                gpus=Range.exactly(0),
                bare_metal=False,
            ),
        )
    )
    pools = []
    for index, ratio in enumerate((4.0, 8.0)):
        types = [c.name for c in group_types(general, ratio, CapacityType.SPOT)][:10]
        if types:
            pools.append(
                _pool(
                    f"group-{index + 1}",
                    instanceTypes=types,
                    capacityTypes=["spot"],
                    spotAllocationStrategy="capacity-optimized",
                    weight=10,
                )
            )
    on_demand_types = [c.name for c in group_types(general, 4.0, CapacityType.ON_DEMAND)][:10]
    pools.append(
        _pool("on-demand", instanceTypes=on_demand_types, capacityTypes=["on-demand"], weight=0)
    )
    gpus = [
        c.name
        for c in select(
            catalog, Criteria(gpus=Range(1, 1), gpu_manufacturer="nvidia", vcpus=Range(4, 8))
        )
        if c.instance_type.architecture is Architecture.X86_64
    ][:6]
    if gpus:
        pools.append(
            _pool(
                "gpu",
                instanceTypes=gpus,
                capacityTypes=["spot", "on-demand"],
                spotAllocationStrategy="capacity-optimized",
                # Below the general groups: only pods that need a GPU should land here.
                weight=5,
            )
        )
    return Strategy(
        NODE_GROUPS, tuple(pools), "fixed node groups of equal-size types, capacity-optimized"
    )


def strategies(catalog: Catalog, nodepools: Sequence[NodePool], compare: bool) -> list[Strategy]:
    """The strategies of a run: spotwise alone, or every strategy with ``--compare``."""
    if not compare:
        return [spotwise(nodepools)]
    variants = [
        spotwise(nodepools, s)
        for s in SpotAllocationStrategy
        if s is not SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    ]
    return [on_demand(nodepools), node_groups(catalog), spotwise(nodepools), *variants]
