"""The strategies a simulation compares, named so that scripts can find them.

* ``on-demand``: spotwise's pools with every node on-demand (the cost reference); nodes left
  empty for 10 minutes are removed, as cluster-autoscaler does by default.
* ``node-groups``: the cluster-autoscaler style: groups of equal-size types made from the
  same pools (as kops instance-selector makes them), spot with capacity-optimized and an
  on-demand twin of each group; empty nodes removed after 10 minutes.
* ``spotwise``: spotwise's defaults: every general-purpose type, spot first with
  price-capacity-optimized, on-demand where pods require it or spot runs dry;
  consolidation on.
* ``spotwise-no-consolidation``: spotwise removing only nodes left empty for 10 minutes.
* ``spotwise-narrow``: spotwise without its diversity rules (``minInstanceTypes`` 1, no
  ``maxTypeShare``): launch lists only within the price ceiling; sizing and pricing are
  spotwise's.
* ``spotwise-<strategy>``: spotwise with another spot allocation strategy.
* ``spotwise-ignore-commitments`` (when the scenario has commitments): spotwise planning
  as if it had none; it is billed with them all the same, as every strategy is. The
  baselines plan without them too (cluster-autoscaler cannot aim at a reservation); only
  spotwise's strategies fill them first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spotwise.catalog.catalog import Catalog
from spotwise.config.disruption import Budget, Disruption
from spotwise.config.nodepool import NodePool
from spotwise.decisions.disruption.consolidation import Policy
from spotwise.model.allocation import SpotAllocationStrategy
from spotwise.model.instance_type import CapacityType, InstanceType
from spotwise.model.rebalance import RebalancePolicy
from spotwise.provisioning.pools import build_pool

SPOTWISE = "spotwise"
ON_DEMAND = "on-demand"
NODE_GROUPS = "node-groups"
NARROW = "spotwise-narrow"
# What the diversity rules are with none: one type is enough, any share of the pool.
NO_DIVERSITY = {"min_instance_types": 1, "min_families": 1, "max_type_share": 100}


@dataclass(frozen=True, slots=True)
class Strategy:
    """A named way of running the cluster: the node pools spotwise may launch from."""

    name: str
    nodepools: tuple[NodePool, ...]
    description: str
    handler: bool = True
    fill_commitments: bool = True


def _pool(name: str, **spec: Any) -> NodePool:
    return NodePool.model_validate(
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": name},
            "spec": spec,
        }
    )


# What the baselines do instead of consolidation: cluster-autoscaler's scale-down of
# nodes left empty for 10 minutes (its default scale-down-unneeded-time), all at once.
EMPTY_ONLY = Disruption(
    consolidation_policy=Policy.WHEN_EMPTY,
    consolidate_after="10m",
    min_node_age="0s",
    budgets=(Budget(nodes="100%"),),
)


def empty_only(nodepools: Sequence[NodePool]) -> tuple[NodePool, ...]:
    """The pools with consolidation off: empty nodes go after 10 minutes, as the baselines."""
    return _with_spec(nodepools, disruption=EMPTY_ONLY)


def ignoring_commitments(strategy: Strategy) -> Strategy:
    """The same strategy planning as if the account had no commitments."""
    return _variant(
        strategy,
        "ignore-commitments",
        "planning as if there were no commitments",
        fill_commitments=False,
    )


def without_consolidation(strategy: Strategy) -> Strategy:
    """The same strategy removing only nodes left empty for 10 minutes."""
    return _variant(
        strategy,
        "no-consolidation",
        "empty nodes removed but no consolidation",
        nodepools=empty_only(strategy.nodepools),
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


def _with_spec(nodepools: Sequence[NodePool], **changes: Any) -> tuple[NodePool, ...]:
    """The pools with some spec fields changed (snake_case names)."""
    return tuple(
        p.model_copy(update={"spec": p.spec.model_copy(update=changes)}) for p in nodepools
    )


def without_handler(strategy: Strategy) -> Strategy:
    """The same strategy with no interruption handler: instances vanish at their deadline."""
    return _variant(strategy, "no-handler", "without an interruption handler", handler=False)


def _variant(strategy: Strategy, suffix: str, words: str, **changes: Any) -> Strategy:
    """``strategy`` with ``changes``, named ``<name>-<suffix>`` and described by ``words``."""
    return dataclasses.replace(
        strategy,
        name=f"{strategy.name}-{suffix}",
        description=f"{strategy.description}, {words}",
        **changes,
    )


def narrow(nodepools: Sequence[NodePool] = ()) -> Strategy:
    """Spotwise without its diversity rules, to show what they buy."""
    pools = tuple(
        p.model_copy(update={"spec": p.spec.model_copy(update=NO_DIVERSITY)})
        for p in spotwise(nodepools).nodepools
    )
    return Strategy(NARROW, pools, "spotwise, launch lists within the price ceiling only")


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
    return Strategy(
        ON_DEMAND,
        empty_only(pools),
        "all on-demand, empty nodes removed",
        fill_commitments=False,
    )


# An Auto Scaling group's mixed-instances policy and kops instance-selector's default list
# hold at most this many types.
GROUP_TYPES = 20


def node_groups(catalog: Catalog, nodepools: Sequence[NodePool] = ()) -> Strategy:
    """Cluster-autoscaler node groups made from the same pools as spotwise, the kops way.

    For each pool (the scenario's, or spotwise's default), kops instance-selector's
    recipe: one node size (the middle vCPU count of the pool's general-purpose types, and
    of its types with the fewest GPUs for a GPU group), and at that size one group per
    exact shape (architecture, memory, GPUs: CA
    assumes every node of a group is alike), each of up to `GROUP_TYPES` of the pool's
    types, spot with capacity-optimized (as CA users configure it) and an on-demand twin.
    CA's price expander picks the cheapest group that fits the pending pods; the packer
    does just that among one pool's types, so each pool's groups are one pool here,
    restricted to the groups' types. Only the node size, the types and the allocation
    strategy differ from spotwise; the pools, requirements and taints are the same.
    """
    groups = []
    for nodepool in tuple(nodepools) or (_pool("default"),):
        types = [s.instance_type for s in build_pool(nodepool, catalog).shapes]
        members = [name for group in _shapes_of_one_size(catalog, types) for name in group]
        if not members:
            continue
        # A node launches from its group's types (the price ceiling keeps the types of
        # the group the expander picked); diversity rules are spotwise's, not CA's.
        spec = nodepool.spec.model_copy(
            update={
                "instance_types": tuple(members),
                "spot_allocation_strategy": SpotAllocationStrategy.CAPACITY_OPTIMIZED,
                "rebalance_policy": RebalancePolicy.IGNORE,
                "disruption": EMPTY_ONLY,
                **NO_DIVERSITY,
            }
        )
        groups.append(nodepool.model_copy(update={"spec": spec}))
    return Strategy(
        NODE_GROUPS,
        tuple(groups),
        "cluster-autoscaler node groups of one size from the same pools, capacity-optimized;"
        " interruption warnings drained, rebalance recommendations ignored (NTH's defaults)",
        fill_commitments=False,
    )


def _shapes_of_one_size(catalog: Catalog, types: Sequence[InstanceType]) -> list[list[str]]:
    """The pool's groups: types of one middle size by exact shape, cheapest first.

    General-purpose types make one set of groups; GPU types, when the pool has them,
    another, sized among the types with the fewest GPUs (one, usually), as a user adds a
    GPU group beside the general ones. Other accelerators get no group.
    """
    ordinary = [t for t in types if not t.exotic]
    with_gpus = [t for t in types if t.gpu_count]
    fewest = min((t.gpu_count for t in with_gpus), default=0)
    groups = _one_size(catalog, ordinary)
    groups += _one_size(catalog, [t for t in with_gpus if t.gpu_count == fewest])
    return groups


def _one_size(catalog: Catalog, types: Sequence[InstanceType]) -> list[list[str]]:
    """``types`` of their middle vCPU count, grouped by exact shape, cheapest first."""
    if not types:
        return []
    sizes = sorted({t.vcpus for t in types})
    size = sizes[(len(sizes) - 1) // 2]
    shapes: dict[tuple[str, int, int], list[str]] = {}
    for t in sorted(types, key=lambda t: (catalog.economics[t.name].on_demand_price or 0, t.name)):
        if t.vcpus == size:
            shapes.setdefault((t.architecture.value, t.memory_mib, t.gpu_count), []).append(t.name)
    return [names[:GROUP_TYPES] for _, names in sorted(shapes.items())]


def strategies(
    catalog: Catalog, nodepools: Sequence[NodePool], compare: bool, commitments: bool = False
) -> list[Strategy]:
    """The strategies of a run: spotwise alone, or every strategy with ``--compare``.

    With ``commitments`` (the scenario has some), ``--compare`` adds spotwise ignoring them.
    """
    if not compare:
        return [spotwise(nodepools)]
    variants = [
        spotwise(nodepools, s)
        for s in SpotAllocationStrategy
        if s is not SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    ]
    base = spotwise(nodepools)
    return [
        on_demand(nodepools),
        node_groups(catalog, nodepools),
        base,
        dataclasses.replace(
            base,
            name=f"{SPOTWISE}-rebalance-ignore",
            description="spotwise, rebalance recommendations ignored",
            nodepools=_with_spec(base.nodepools, rebalance_policy=RebalancePolicy.IGNORE),
        ),
        *([ignoring_commitments(base)] if commitments else []),
        without_handler(base),
        without_consolidation(base),
        narrow(nodepools),
        *variants,
    ]
