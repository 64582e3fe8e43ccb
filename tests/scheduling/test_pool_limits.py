"""NodePool limits: no new node may take the pool over its CPU, memory or price cap.

Most tests ask for three nodes (hostname anti-affinity keeps the pods one to a node) of a
pool that has room for two under one cap and no other: the third pod must stay pending.
The pool's running nodes count against the caps as new ones do: by their type's vCPUs and
memory, and at the price they were bought at.
"""

import dataclasses

from scheduling.builders import node, pod_list, pool, spec
from spotwise.catalog.bundled import load_bundled
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.decisions.scheduling.plan import Plan
from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME, NODE_POOL
from spotwise.model.labels import ZONE as ZONE_LABEL
from spotwise.model.node import Node
from spotwise.model.scheduling_terms import LabelSelector, PodAffinityTerm

WEB = LabelSelector((("app", "web"),))
TYPE = "m5.large"  # 2 vCPUs, 8 GiB
ZONE = "us-east-1a"


def limited(**limits: object) -> Pool:
    """A pool of spot m5.large in one zone, with ``limits`` as NodePool ``spec.limits``."""
    return pool(types=(TYPE,), capacity_types=("spot",), zones=(ZONE,), limits=limits)


def three_nodes_wanted(p: Pool) -> Plan:
    """The plan for three web pods that each need a node of their own."""
    anti = PodAffinityTerm(WEB, HOSTNAME)
    return pack(PackInput(tuple(pod_list(spec("500m", "1Gi", anti_affinity=(anti,)), 3)), (), (p,)))


def assert_two_nodes_and_one_pod_pending(plan: Plan) -> None:
    assert len(plan.nodes) == 2, f"{len(plan.nodes)} new nodes, where the cap allows 2"
    (pending,) = plan.unschedulable
    assert "limits" in pending.reason


def test_the_cpu_cap_stops_the_third_node():
    plan = three_nodes_wanted(limited(cpu="5"))  # two 2-vCPU nodes fit, three do not
    assert_two_nodes_and_one_pod_pending(plan)


def test_the_memory_cap_stops_the_third_node():
    plan = three_nodes_wanted(limited(memory="20Gi"))  # two 8 GiB nodes fit, three do not
    assert_two_nodes_and_one_pod_pending(plan)


def test_the_price_cap_stops_the_third_node():
    (offering,) = load_bundled().offerings_of(TYPE, CapacityType.SPOT, (ZONE,))
    cap = 2.5 * offering.price  # two nodes fit, three do not
    plan = three_nodes_wanted(limited(pricePerHour=cap))
    assert_two_nodes_and_one_pod_pending(plan)
    assert sum(n.price_per_hour for n in plan.nodes) <= cap


def test_a_pool_within_its_caps_gets_every_node():
    (offering,) = load_bundled().offerings_of(TYPE, CapacityType.SPOT, (ZONE,))
    roomy = limited(cpu="6", memory="24Gi", pricePerHour=3 * offering.price + 1e-9)
    plan = three_nodes_wanted(roomy)
    assert len(plan.nodes) == 3 and not plan.unschedulable


def running(p: Pool, n: int) -> tuple[Node, ...]:
    """``n`` running spot m5.large of pool ``p``, too full for another web pod.

    Args:
        p: The pool they belong to (by their node-pool label).
        n: How many.
    """
    (offering,) = load_bundled().offerings_of(TYPE, CapacityType.SPOT, (ZONE,))
    db = spec("1800m", "1Gi", labels={"app": "db"})
    return tuple(
        dataclasses.replace(
            node(
                f"running-{i}",
                TYPE,
                ZONE,
                CapacityType.SPOT,
                bound=tuple(pod_list(db, 1, prefix=f"db-{i}")),
                labels={NODE_POOL: p.name},
            ),
            price=offering.price,
        )
        for i in range(n)
    )


def test_running_nodes_count_against_the_price_cap():
    (offering,) = load_bundled().offerings_of(TYPE, CapacityType.SPOT, (ZONE,))
    p = limited(pricePerHour=2.5 * offering.price)
    # One node runs, at the price it was bought at: one more fits under the cap, not two.
    pods = pod_list(spec("500m", "1Gi", anti_affinity=(PodAffinityTerm(WEB, HOSTNAME),)), 2)
    plan = pack(PackInput(tuple(pods), running(p, 1), (p,)))
    assert len(plan.nodes) == 1 and len(plan.unschedulable) == 1


def test_a_running_node_of_unknown_price_counts_at_its_offers_price():
    (offering,) = load_bundled().offerings_of(TYPE, CapacityType.SPOT, (ZONE,))
    p = limited(pricePerHour=2.5 * offering.price)
    # A node read from the cluster carries no price: it is not free for the cap.
    unpriced = tuple(dataclasses.replace(n, price=None) for n in running(p, 1))
    pods = pod_list(spec("500m", "1Gi", anti_affinity=(PodAffinityTerm(WEB, HOSTNAME),)), 2)
    plan = pack(PackInput(tuple(pods), unpriced, (p,)))
    assert len(plan.nodes) == 1 and len(plan.unschedulable) == 1


def test_an_unpriced_node_the_pool_does_not_offer_there_counts_at_on_demand():
    (offering,) = load_bundled().offerings_of(TYPE, CapacityType.SPOT, (ZONE,))
    on_demand = load_bundled().economics[TYPE].on_demand_price
    assert on_demand is not None and on_demand > 2.5 * offering.price
    p = limited(pricePerHour=2.5 * offering.price)
    # In a zone the pool has no offer in, the most it can cost: over the cap on its own.
    elsewhere = tuple(
        dataclasses.replace(n, price=None, labels=n.labels.merged({ZONE_LABEL: "us-east-1f"}))
        for n in running(p, 1)
    )
    pods = pod_list(spec("500m", "1Gi"), 1)
    plan = pack(PackInput(tuple(pods), elsewhere, (p,)))
    assert not plan.nodes and len(plan.unschedulable) == 1


def test_running_nodes_count_against_the_memory_cap_with_all_their_memory():
    # Eight m5.large run: 64 GiB, the whole cap, though pods may use only ~54 GiB of it.
    p = limited(memory="64Gi")
    pods = pod_list(spec("500m", "1Gi"), 1)
    plan = pack(PackInput(tuple(pods), running(p, 8), (p,)))
    assert not plan.nodes and len(plan.unschedulable) == 1
