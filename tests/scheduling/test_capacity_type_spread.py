"""A spread over capacity types, and headroom that follows what a pool already runs."""

from __future__ import annotations

from collections import Counter

from scheduling.builders import node, pod_list, pool, spec
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL, ZONE
from spotwise.model.scheduling_terms import (
    LabelSelector,
    TopologySpreadConstraint,
    WhenUnsatisfiable,
)

CAPACITY_TYPE = "karpenter.sh/capacity-type"
WEB = LabelSelector((("app", "web"),))


def test_a_capacity_type_spread_splits_pods_between_spot_and_on_demand() -> None:
    spread = TopologySpreadConstraint(1, CAPACITY_TYPE, WhenUnsatisfiable.DO_NOT_SCHEDULE, WEB)
    pods = pod_list(spec("1500m", "1Gi", spread=(spread,)), 4)
    plan = pack(PackInput(tuple(pods), (), (pool(),)))
    assert not plan.unschedulable
    per_type = Counter(n.capacity_type for n in plan.nodes for _ in n.pods)
    assert per_type == {CapacityType.SPOT: 2, CapacityType.ON_DEMAND: 2}


def test_a_capacity_type_spread_counts_the_pods_already_running() -> None:
    spread = TopologySpreadConstraint(1, CAPACITY_TYPE, WhenUnsatisfiable.DO_NOT_SCHEDULE, WEB)
    running = node(
        "od-1",
        "m5.2xlarge",
        capacity_type=CapacityType.ON_DEMAND,
        bound=tuple(pod_list(spec("1500m", "1Gi"), 2, prefix="old")),
    )
    pods = pod_list(spec("1500m", "1Gi", spread=(spread,)), 2)
    plan = pack(PackInput(tuple(pods), (running,), (pool(),)))
    assert not plan.unschedulable
    # Two web pods run on-demand: the next two go to spot.
    assert Counter(n.capacity_type for n in plan.nodes for _ in n.pods) == {CapacityType.SPOT: 2}


def test_headroom_percent_counts_what_the_pools_running_nodes_hold() -> None:
    p = pool(headroom={"percent": 50, "unit": {"cpu": "1", "memory": "1Gi"}})
    full = tuple(pod_list(spec("3500m", "2Gi"), 2, prefix="old"))
    mine = node("n1", "m5.2xlarge", labels={NODE_POOL: p.name}, bound=full)
    other = node("n2", "m5.2xlarge", bound=tuple(pod_list(spec("3500m", "2Gi"), 2, prefix="x")))
    plan = pack(PackInput(tuple(pod_list(spec("1", "1Gi"), 2)), (mine, other), (p,)))
    # The pool's pods request 7 CPU on n1 and 2 on the new node: 50% is 4.5, so five
    # one-CPU units; n2 is not the pool's and does not count.
    assert sum(n.headroom for n in plan.nodes) == 5


def test_two_spreads_at_once_zone_and_capacity_type() -> None:
    by_type = TopologySpreadConstraint(1, CAPACITY_TYPE, WhenUnsatisfiable.DO_NOT_SCHEDULE, WEB)
    by_zone = TopologySpreadConstraint(1, ZONE, WhenUnsatisfiable.DO_NOT_SCHEDULE, WEB)
    pods = pod_list(spec("1500m", "1Gi", spread=(by_zone, by_type)), 6)
    plan = pack(PackInput(tuple(pods), (), (pool(),)))
    assert not plan.unschedulable
    per_type = Counter(n.capacity_type for n in plan.nodes for _ in n.pods)
    per_zone = Counter(n.zones[0] for n in plan.nodes for _ in n.pods)
    assert per_type == {CapacityType.SPOT: 3, CapacityType.ON_DEMAND: 3}
    assert max(per_zone.values()) - min(per_zone.values()) <= 1 and len(per_zone) == 3
