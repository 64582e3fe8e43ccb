"""Free commitments as pools the packer fills first: hand-computed cases for each kind."""

import dataclasses

import pytest

from scheduling.builders import node, pod_list, pool, spec
from spotwise.decisions.cost.attribution import PlanKind, ReservedInstance, SavingsPlan
from spotwise.decisions.interruption.node_state import DISRUPTED_TAINT_KEY
from spotwise.decisions.scheduling.commitments import (
    Commitments,
    committed_pools,
    covered_shares,
)
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.model.labelset import LabelSet
from spotwise.model.scheduling_terms import Taint, TaintEffect

REGION = "us-east-1"
OD, SPOT = CapacityType.ON_DEMAND, CapacityType.SPOT
BASE = pool("default", minInstanceTypes=1)


def zonal(count: int, instance_type="m5.xlarge", zone="us-east-1a") -> ReservedInstance:
    return ReservedInstance("ri-zonal", instance_type, count, REGION, zone)


def plan_with(commitments: Commitments, pods, nodes=(), base=BASE):
    pools = (base, *committed_pools((base,), nodes, commitments))
    return pack(PackInput(tuple(pods), tuple(nodes), pools))


def pods(n: int, cpu: str = "3", **labels):
    return pod_list(spec(cpu, "4Gi", **labels), n, prefix="web", owner="Deployment/web")


def running(name: str, instance_type="m5.xlarge", zone="us-east-1a", capacity_type=OD):
    n = node(name, instance_type, zone, capacity_type)
    return dataclasses.replace(n, labels=n.labels.merged({NODE_POOL: "default"}))


def test_without_commitments_the_pods_go_to_spot():
    plan = plan_with(Commitments(REGION), pods(2))
    assert {n.capacity_type for n in plan.nodes} == {SPOT}


def test_a_free_zonal_ri_takes_one_node_of_its_type_in_its_zone_and_adds_nothing():
    # Two reserved m5.xlarge in us-east-1a, one used by a running node: one is free.
    plan = plan_with(Commitments(REGION, (zonal(2),)), pods(3), nodes=[running("busy")])
    committed = [n for n in plan.nodes if n.capacity_type is OD]
    (reserved,) = committed
    assert reserved.pool == "default"  # launched as the pool's own node
    assert reserved.instance_types == ("m5.xlarge",) and reserved.zones == ("us-east-1a",)
    assert reserved.price_per_hour == pytest.approx(0.192e-6)
    assert {n.capacity_type for n in plan.nodes if n is not reserved} == {SPOT}


def test_a_used_up_ri_offers_nothing():
    used = [running("a"), running("b")]
    assert committed_pools((BASE,), used, Commitments(REGION, (zonal(2),))) == ()


def test_a_regional_ri_flexes_over_its_familys_sizes_by_normalization_factor():
    # Three m5.large reserved: 12 units. An m5.xlarge takes 8, so one node fits, and the
    # 4 units left hold no m5.xlarge: the second node is spot.
    ri = ReservedInstance("ri-regional", "m5.large", 3, REGION)
    (view,) = committed_pools((BASE,), (), Commitments(REGION, (ri,)))
    assert view.units == {"m5.large": 4.0, "m5.xlarge": 8.0, "m5.2xlarge": 16.0}
    assert view.limits.units == 12.0
    plan = plan_with(Commitments(REGION, (ri,)), pods(2))
    reserved = [n for n in plan.nodes if n.capacity_type is OD]
    assert [n.expected_instance_type for n in reserved] == ["m5.xlarge"]
    assert [n.capacity_type for n in plan.nodes if n not in reserved] == [SPOT]


def test_a_savings_plan_covers_nodes_worth_its_commitment_at_its_rate():
    # $0.45/h at 20% off: an m5.xlarge ($0.192) takes $0.1536 of it; two fit ($0.3072),
    # a third would not ($0.4608).
    plan_ = SavingsPlan("sp-compute", PlanKind.COMPUTE, 0.45, 0.20)
    base = pool("default", types=("m5.xlarge",), minInstanceTypes=1)
    plan = plan_with(Commitments(REGION, (), (plan_,)), pods(4), base=base)
    by_capacity = sorted(n.capacity_type.value for n in plan.nodes)
    assert by_capacity == ["on-demand", "on-demand", "spot", "spot"]


def test_an_ec2_instance_plan_covers_its_family_only():
    plan_ = SavingsPlan("sp-c5", PlanKind.EC2_INSTANCE, 1.0, 0.3, family="c5", region=REGION)
    (view,) = committed_pools((BASE,), (), Commitments(REGION, (), (plan_,)))
    assert set(view.units) == {"c5.xlarge"}
    assert view.units["c5.xlarge"] == pytest.approx(0.17 * 0.7)


def test_pods_that_want_spot_and_pools_that_buy_no_on_demand_are_left_out():
    commitments = Commitments(REGION, (zonal(4),))
    wants_spot = LabelSet({"karpenter.sh/capacity-type": "spot"})
    plan = plan_with(commitments, pods(2, node_selector=wants_spot))
    assert {n.capacity_type for n in plan.nodes} == {SPOT}
    spot_only = pool("default", capacity_types=("spot",))
    assert committed_pools((spot_only,), (), commitments) == ()


def test_a_commitment_view_keeps_its_pools_node_cap():
    capped = pool("default", minInstanceTypes=1, limits={"nodes": 1})
    plan = plan_with(Commitments(REGION, (zonal(4),)), pods(3), base=capped)
    assert len(plan.nodes) == 1 and plan.nodes[0].capacity_type is OD
    assert len(plan.unschedulable) == 2


def test_running_nodes_are_priced_at_what_they_add_to_the_bill():
    commitments = Commitments(REGION, (zonal(1),))
    nodes = [running("a"), running("b"), running("s", capacity_type=SPOT)]
    # One reservation covers "a" (ids in order); "b" is billed whole, spot is never covered.
    assert covered_shares((BASE,), nodes, commitments) == {"a": 1.0}


def test_one_commitments_free_part_is_spent_once_across_every_pools_view():
    # Two pools, two reserved m5.xlarge free: two nodes on them at most, not two per pool.
    other = pool("other", minInstanceTypes=1)
    commitments = Commitments(REGION, (zonal(2),))
    views = committed_pools((BASE, other), (), commitments)
    assert len(views) == 2 and {v.commitment for v in views} == {"ri-zonal"}
    plan = pack(PackInput(tuple(pods(6)), (), (BASE, other, *views)))
    assert sum(n.capacity_type is OD for n in plan.nodes) == 2


def test_a_node_drained_to_go_leaves_its_reservation_to_its_pods_new_home():
    leaving = running("old")
    marked = dataclasses.replace(
        leaving, taints=(Taint(DISRUPTED_TAINT_KEY, "expired", TaintEffect.NO_SCHEDULE),)
    )
    commitments = Commitments(REGION, (zonal(1),))
    assert committed_pools((BASE,), [leaving], commitments) == ()
    (view,) = committed_pools((BASE,), [marked], commitments)
    assert view.limits.units == 1.0
