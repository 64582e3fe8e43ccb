"""A pool's spot/on-demand split: onDemandBase, then onDemandPercentageAboveBase of the rest.

EC2 Auto Scaling's rule, which the NodePool fields copy: a fractional share of on-demand
nodes rounds up, in favour of on-demand, and the split is over all the pool's nodes, the
running ones included.
"""

from collections import Counter

from scheduling.builders import node, pod_list, pool, spec
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.decisions.scheduling.plan import Plan
from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME, NODE_POOL
from spotwise.model.labelset import LabelSet
from spotwise.model.node import Node
from spotwise.model.pod import Pod
from spotwise.model.scheduling_terms import LabelSelector, PodAffinityTerm
from spotwise.provisioning.pools import without

SPOT = CapacityType.SPOT
ON_DEMAND = CapacityType.ON_DEMAND
WEB = LabelSelector((("app", "web"),))


def one_per_node(n: int) -> list[Pod]:
    """``n`` web pods that hostname anti-affinity keeps one to a node: ``n`` new nodes."""
    return pod_list(spec("500m", "1Gi", anti_affinity=(PodAffinityTerm(WEB, HOSTNAME),)), n)


def busy_nodes(p: Pool, capacity_type: CapacityType, n: int) -> list[Node]:
    """``n`` running nodes of pool ``p``, each too full to take a web pod.

    Args:
        p: The pool they belong to (by their node-pool label).
        capacity_type: How they were bought.
        n: How many.
    """
    db = spec("1800m", "1Gi", labels={"app": "db"})
    return [
        node(
            f"running-{i}",
            "m5.large",
            capacity_type=capacity_type,
            bound=tuple(pod_list(db, 1, prefix=f"db{i}")),
            labels={NODE_POOL: p.name},
        )
        for i in range(n)
    ]


def plan_for(p: Pool, new: int, running: list[Node] | None = None) -> Plan:
    """The plan for ``new`` one-per-node pods on pool ``p`` beside ``running`` nodes."""
    plan = pack(PackInput(tuple(one_per_node(new)), tuple(running or ()), (p,)))
    assert not plan.existing and not plan.unschedulable
    assert len(plan.nodes) == new
    return plan


def capacity_types(plan: Plan) -> Counter[CapacityType]:
    return Counter(n.capacity_type for n in plan.nodes)


def test_a_fractional_on_demand_share_rounds_up():
    p = pool(onDemandBase=0, onDemandPercentageAboveBase=50)
    # 50% of 3 nodes is 1.5: two on-demand, as EC2 rounds in favour of on-demand.
    assert capacity_types(plan_for(p, 3)) == {ON_DEMAND: 2, SPOT: 1}


def test_a_small_percentage_still_buys_one_on_demand_node():
    p = pool(onDemandBase=0, onDemandPercentageAboveBase=10)
    assert capacity_types(plan_for(p, 2)) == {ON_DEMAND: 1, SPOT: 1}


def test_running_on_demand_nodes_count_towards_the_base():
    p = pool(onDemandBase=1, onDemandPercentageAboveBase=0)
    plan = plan_for(p, 2, busy_nodes(p, ON_DEMAND, 1))
    assert capacity_types(plan) == {SPOT: 2}


def test_running_on_demand_nodes_count_towards_the_percentage():
    p = pool(onDemandBase=0, onDemandPercentageAboveBase=50)
    # Four nodes in all, half on-demand: the two running ones already are.
    plan = plan_for(p, 2, busy_nodes(p, ON_DEMAND, 2))
    assert capacity_types(plan) == {SPOT: 2}


def test_running_spot_nodes_count_in_the_nodes_the_percentage_is_of():
    p = pool(onDemandBase=0, onDemandPercentageAboveBase=50)
    # Four nodes in all, half on-demand: the two running ones are spot, so both new ones
    # are on-demand.
    plan = plan_for(p, 2, busy_nodes(p, SPOT, 2))
    assert capacity_types(plan) == {ON_DEMAND: 2}


def test_nodes_of_other_pools_do_not_count():
    p = pool(onDemandBase=1, onDemandPercentageAboveBase=0)
    elsewhere = busy_nodes(pool("other"), ON_DEMAND, 1)
    plan = plan_for(p, 2, elsewhere)
    assert capacity_types(plan) == {ON_DEMAND: 1, SPOT: 1}


def test_a_node_only_spot_types_can_hold_is_not_made_on_demand_for_the_base():
    # EC2 refused on-demand m5.2xlarge lately, so the pool offers it as spot only (as the
    # controller and the simulator build pools). Four 1-CPU pods outgrow an m5.xlarge:
    # their node can only be a spot m5.2xlarge, even though the base asks for on-demand
    # and the smaller type, still in the node's options, could be bought on-demand.
    zones = ("us-east-1a",)
    (p,) = without(
        (pool(types=("m5.xlarge", "m5.2xlarge"), zones=zones, onDemandBase=1),),
        {("m5.2xlarge", zone, ON_DEMAND) for zone in zones},
    )
    plan = pack(PackInput(tuple(pod_list(spec("1", "1Gi"), 4)), (), (p,)))
    assert not plan.unschedulable
    (only,) = plan.nodes
    assert (only.capacity_type, only.instance_types, len(only.pods)) == (SPOT, ("m5.2xlarge",), 4)


def test_pods_that_need_on_demand_do_not_turn_a_spot_node_on_demand():
    # Web pods may run on spot; the proxy pods need on-demand. Sharing a node would make
    # it on-demand and the web pods on it pay on-demand prices for nothing.
    web = pod_list(spec("1", "1Gi", labels={"app": "web"}), 6, prefix="web")
    proxy = pod_list(
        spec(
            "1",
            "1Gi",
            labels={"app": "proxy"},
            node_selector=LabelSet({"karpenter.sh/capacity-type": "on-demand"}),
        ),
        2,
        prefix="proxy",
    )
    plan = pack(PackInput(tuple(web + proxy), (), (pool(types=("m5.2xlarge",)),)))
    assert not plan.unschedulable
    for new in plan.nodes:
        kinds = {p.split("/")[1].split("-")[0] for p in new.pods}
        assert kinds == ({"proxy"} if new.capacity_type is ON_DEMAND else {"web"}), new
