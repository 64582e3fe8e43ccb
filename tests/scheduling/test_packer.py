"""The packer's decisions, one Kubernetes rule or packing goal per test."""

import dataclasses
from collections import Counter

from scheduling.builders import node, pod_list, pool, pool_from_spec, spec
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import (
    EKS_CAPACITY_TYPE,
    HOSTNAME,
    KARPENTER_CAPACITY_TYPE,
    LIFECYCLE,
    OCEAN_LIFECYCLE,
    ZONE,
)
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import Pod
from spotwise.model.scheduling_terms import (
    HostPort,
    LabelSelector,
    NodeSelectorTerm,
    Operator,
    PodAffinityTerm,
    PreferredTerm,
    Requirement,
    Toleration,
    TolerationOperator,
    TopologySpreadConstraint,
    WhenUnsatisfiable,
    with_extended_resource_tolerations,
)

WEB = LabelSelector((("app", "web"),))
ZONES_OF_US_EAST_1 = [f"us-east-1{z}" for z in "abcdef"]


def plan_for(pods, pools=None, nodes=(), daemonsets=()):
    return pack(PackInput(tuple(pods), tuple(nodes), tuple(pools or (pool(),)), tuple(daemonsets)))


def zones_of(plan):
    return Counter(n.zones[0] for n in plan.nodes for _ in n.pods)


def test_unconstrained_pods_share_nodes_on_spot():
    plan = plan_for(pod_list(spec("500m", "1Gi"), 12))
    assert not plan.unschedulable
    assert sum(len(n.pods) for n in plan.nodes) == 12
    assert len(plan.nodes) < 12
    assert all(n.capacity_type is CapacityType.SPOT for n in plan.nodes)
    assert plan.cost_per_hour < plan.on_demand_cost_per_hour


def test_existing_nodes_are_filled_first():
    existing = node("n1", "m5.2xlarge")
    plan = plan_for(pod_list(spec("1", "2Gi"), 10), nodes=[existing])
    on_existing = [p for p in plan.existing if p.node == "n1"]
    assert len(on_existing) == 7  # 8 vCPU minus kube-reserved holds 7 one-CPU pods
    assert sum(len(n.pods) for n in plan.nodes) == 3


def test_each_node_is_the_cheapest_type_that_holds_its_pods():
    plan = plan_for(pod_list(spec("100m", "128Mi"), 1))
    (only,) = plan.nodes
    prices = {o.price for s in pool().shapes for o in s.offers if s.name == only.instance_types[0]}
    assert only.price_per_hour == min(prices)
    assert only.instance_types[0] == "m5.large"  # the smallest type of the pool


def test_launch_list_is_diversified_within_the_price_ceiling():
    p = pool(price_ceiling=1.0)
    plan = plan_for(pod_list(spec("100m", "128Mi"), 1), pools=[p])
    (only,) = plan.nodes
    assert len(only.instance_types) > 1
    prices = {
        s.name: min(o.price for o in s.offers if o.capacity_type is CapacityType.SPOT)
        for s in p.shapes
    }
    assert all(prices[t] <= only.price_per_hour * 2 + 1e-9 for t in only.instance_types)
    assert list(only.instance_types) == sorted(only.instance_types, key=lambda t: prices[t])


def test_every_on_demand_convention_is_honoured():
    asks = [
        {KARPENTER_CAPACITY_TYPE: "on-demand"},
        {EKS_CAPACITY_TYPE: "ON_DEMAND"},
        {LIFECYCLE: "OnDemand"},
        {OCEAN_LIFECYCLE: "od"},
    ]
    for ask in asks:
        plan = plan_for(pod_list(spec(node_selector=LabelSet(ask)), 2))
        assert {n.capacity_type for n in plan.nodes} == {CapacityType.ON_DEMAND}, ask


def test_on_demand_by_node_affinity():
    term = NodeSelectorTerm((Requirement(KARPENTER_CAPACITY_TYPE, Operator.IN, ("on-demand",)),))
    plan = plan_for(pod_list(spec(required_node_terms=(term,)), 2))
    assert {n.capacity_type for n in plan.nodes} == {CapacityType.ON_DEMAND}


def test_pool_split_puts_the_base_on_demand():
    p = pool(onDemandBase=1, onDemandPercentageAboveBase=50)
    anti = PodAffinityTerm(WEB, HOSTNAME)
    plan = plan_for(pod_list(spec(anti_affinity=(anti,)), 5), pools=[p])
    kinds = Counter(n.capacity_type for n in plan.nodes)
    # 5 nodes: 1 base + ceil(50% of 4) = 3 on-demand, 2 spot.
    assert kinds == {CapacityType.ON_DEMAND: 3, CapacityType.SPOT: 2}
    assert any("split" in note for note in plan.notes)


def test_taints_keep_pods_off_unless_tolerated():
    gpu = pool(
        "gpu", types=("g4dn.xlarge",), taints=[{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]
    )
    plan = plan_for(pod_list(spec(), 1), pools=[gpu])
    assert plan.unschedulable and "tolerates no taint" in plan.unschedulable[0].reason
    tolerant = spec(tolerations=(Toleration("nvidia.com/gpu", TolerationOperator.EXISTS),))
    assert not plan_for(pod_list(tolerant, 1), pools=[gpu]).unschedulable


def test_prefer_no_schedule_is_avoided_while_another_pool_can_take_the_pod():
    spot = pool(
        "spot",
        capacity_types=("spot",),
        taints=[{"key": "spotInstance", "value": "true", "effect": "PreferNoSchedule"}],
    )
    on_demand = pool("od", capacity_types=("on-demand",))
    plan = plan_for(pod_list(spec(), 2), pools=[spot, on_demand])
    assert {n.pool for n in plan.nodes} == {"od"}
    alone = plan_for(pod_list(spec(), 2), pools=[spot])
    assert {n.pool for n in alone.nodes} == {"spot"}
    assert any("PreferNoSchedule" in note for note in alone.notes)


def test_gpu_pods_explain_the_largest_type():
    plan = plan_for(
        pod_list(spec(extended={"nvidia.com/gpu": "8"}), 1), pools=[pool(types=("g4dn.12xlarge",))]
    )
    assert (
        plan.unschedulable[0].reason
        == "pool default: needs 8 nvidia.com/gpu; the largest allowed type has 4"
    )


def test_pods_without_accelerators_stay_off_exotic_types_while_another_fits():
    exotic = ("g4dn.xlarge", "inf2.xlarge", "m5.metal")
    p = pool(types=("m5.large", "c5.xlarge", *exotic), price_ceiling=10.0)
    plan = plan_for(pod_list(spec("500m", "1Gi"), 3), pools=[p])
    launchable = {t for n in plan.nodes for t in n.instance_types}
    assert launchable == {"m5.large", "c5.xlarge"}


def test_exotic_types_still_carry_ordinary_pods_when_nothing_else_fits():
    p = pool(types=("m5.large", "g4dn.xlarge"))
    plan = plan_for(pod_list(spec("3", "8Gi"), 1), pools=[p])
    assert [n.instance_types for n in plan.nodes] == [("g4dn.xlarge",)]


def test_gpu_pods_get_gpu_types():
    p = pool(types=("m5.large", "g4dn.xlarge", "g4dn.2xlarge"), price_ceiling=10.0)
    plan = plan_for(pod_list(spec(extended={"nvidia.com/gpu": "1"}), 1), pools=[p])
    assert set(plan.nodes[0].instance_types) == {"g4dn.xlarge", "g4dn.2xlarge"}


def test_a_spread_domain_only_a_second_pool_reaches_gets_a_spot_node_there():
    # us-east-1e has no c/m/r type of 8-32 vCPUs, so the zone spread's sixth domain comes
    # from the untainted GPU pool, whose cheapest shapes there are on-demand only; spot
    # pods must still get a spot node in it rather than stay pending.
    general = pool_from_spec(
        "general",
        weight=10,
        requirements=[
            {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": ["c", "m"]},
            {"key": "karpenter.k8s.aws/instance-cpu", "operator": "In", "values": ["8", "16"]},
        ],
    )
    gpu = pool_from_spec(
        "gpu",
        requirements=[
            {
                "key": "karpenter.k8s.aws/instance-gpu-manufacturer",
                "operator": "In",
                "values": ["nvidia"],
            },
        ],
    )
    spread = TopologySpreadConstraint(1, ZONE, WhenUnsatisfiable.DO_NOT_SCHEDULE, WEB)
    plan = plan_for(pod_list(spec(spread=(spread,)), 12), pools=[general, gpu])
    assert not plan.unschedulable
    assert zones_of(plan) == {z: 2 for z in ZONES_OF_US_EAST_1}
    assert {n.capacity_type for n in plan.nodes} == {CapacityType.SPOT}


def test_a_gpu_pool_tainted_with_its_resource_takes_only_gpu_pods():
    taint = {"key": "nvidia.com/gpu", "effect": "NoSchedule"}
    gpu = pool("gpu", types=("g4dn.xlarge", "g4dn.2xlarge"), weight=50, taints=[taint])
    trainer = spec("2", "8Gi", extended={"nvidia.com/gpu": "1"}, labels={"app": "train"})
    trainer = dataclasses.replace(
        trainer,
        tolerations=with_extended_resource_tolerations((), ["nvidia.com/gpu"]),
    )
    pods = pod_list(spec(), 4) + pod_list(trainer, 1, prefix="t")
    plan = plan_for(pods, pools=[gpu, pool()])
    by_pool = {n.pool: sorted(n.pods) for n in plan.nodes}
    assert by_pool["gpu"] == ["default/t-0"]
    assert sum(len(n.pods) for n in plan.nodes if n.pool == "default") == 4


def test_host_ports_force_one_pod_per_node_and_say_so():
    plan = plan_for(pod_list(spec("100m", "100Mi", host_ports=(HostPort(80),)), 3))
    assert len(plan.nodes) == 3 and all(len(n.pods) == 1 for n in plan.nodes)
    assert any("hostPort 80/TCP" in note for note in plan.notes)


def test_hostname_anti_affinity_puts_one_replica_per_node():
    plan = plan_for(pod_list(spec(anti_affinity=(PodAffinityTerm(WEB, HOSTNAME),)), 4))
    assert len(plan.nodes) == 4


def test_anti_affinity_of_existing_pods_is_symmetric():
    loner = spec(labels={"app": "loner"}, anti_affinity=(PodAffinityTerm(WEB, HOSTNAME),))
    existing = node("n1", "m5.4xlarge", bound=(Pod("loner-0", loner),))
    plan = plan_for(pod_list(spec(), 1), nodes=[existing])
    assert not plan.existing and len(plan.nodes) == 1


def test_zone_spread_balances_replicas_counting_existing_pods():
    spread = TopologySpreadConstraint(1, ZONE, WhenUnsatisfiable.DO_NOT_SCHEDULE, WEB)
    s = spec(spread=(spread,))
    existing = node("n1", "m5.large", "us-east-1a", bound=tuple(pod_list(s, 2, prefix="old")))
    full = dataclasses.replace(existing, unschedulable=True)
    plan = plan_for(pod_list(s, 7), nodes=[full])
    counts = zones_of(plan)
    counts["us-east-1a"] += 2
    assert max(counts.values()) - min(counts.values()) <= 1
    assert sum(counts.values()) == 9


def test_zonal_self_affinity_keeps_replicas_in_one_zone():
    plan = plan_for(pod_list(spec("2", "2Gi", affinity=(PodAffinityTerm(WEB, ZONE),)), 6))
    assert not plan.unschedulable and len({n.zones for n in plan.nodes}) == 1


def test_hostname_spread_caps_replicas_per_node():
    spread = TopologySpreadConstraint(2, HOSTNAME, WhenUnsatisfiable.DO_NOT_SCHEDULE, WEB)
    plan = plan_for(pod_list(spec("100m", "100Mi", spread=(spread,)), 7))
    assert max(len(n.pods) for n in plan.nodes) <= 2 and len(plan.nodes) == 4


def test_volume_zone_pins_the_pod():
    plan = plan_for([Pod("db-0", spec(zones=frozenset({"us-east-1b"})), volumes=("data-db-0",))])
    assert plan.nodes[0].zones == ("us-east-1b",)
    elsewhere = plan_for(
        [Pod("db-0", spec(zones=frozenset({"us-east-1e"})), volumes=("data-db-0",))]
    )
    assert elsewhere.unschedulable[0].reason == (
        "pool default: data-db-0 is in us-east-1e; "
        "the pool allows only us-east-1a, us-east-1b, us-east-1c"
    )


def test_volume_on_a_full_node_is_reported_not_launched_for():
    full = node("n1", "m5.large", bound=tuple(pod_list(spec("1500m", "1Gi"), 1, prefix="big")))
    pinned = Pod("db-0", spec("1", "1Gi", node="n1"), volumes=("data-db-0",))
    plan = plan_for([pinned], nodes=[full])
    assert not plan.nodes
    assert plan.unschedulable[0].reason.startswith(
        "data-db-0 is attached to node n1, which has no room"
    )


def test_preferred_node_affinity_is_tried_first_then_relaxed():
    heavy = PreferredTerm(80, NodeSelectorTerm((Requirement(ZONE, Operator.IN, ("us-east-1c",)),)))
    plan = plan_for(pod_list(spec(preferred_node_terms=(heavy,)), 2))
    assert {n.zones for n in plan.nodes} == {("us-east-1c",)}
    impossible = PreferredTerm(50, NodeSelectorTerm((Requirement("rack", Operator.IN, ("r9",)),)))
    plan = plan_for(pod_list(spec(preferred_node_terms=(impossible,)), 2))
    assert not plan.unschedulable and any("preferred node affinity" in n for n in plan.notes)


def test_schedule_anyway_spread_is_relaxed_when_it_cannot_hold():
    spread = TopologySpreadConstraint(1, "rack", WhenUnsatisfiable.SCHEDULE_ANYWAY, WEB)
    plan = plan_for(pod_list(spec(spread=(spread,)), 3))
    assert not plan.unschedulable
    hard = TopologySpreadConstraint(1, "rack", WhenUnsatisfiable.DO_NOT_SCHEDULE, WEB)
    assert len(plan_for(pod_list(spec(spread=(hard,)), 3)).unschedulable) == 3


def test_daemonsets_take_room_on_every_new_node():
    agent = spec("1", "1Gi", labels={"app": "agent"})
    without = plan_for(pod_list(spec("1", "1Gi"), 1))
    with_ds = plan_for(pod_list(spec("1", "1Gi"), 1), daemonsets=[agent])
    assert without.nodes[0].instance_types[0] == "m5.large"
    assert with_ds.nodes[0].instance_types[0] != "m5.large"


def test_pool_limits_stop_new_nodes():
    p = pool(limits={"nodes": 2})
    plan = plan_for(pod_list(spec(anti_affinity=(PodAffinityTerm(WEB, HOSTNAME),)), 3), pools=[p])
    assert len(plan.nodes) == 2 and len(plan.unschedulable) == 1


def test_pool_weight_decides_which_pool_is_tried_first():
    heavy = pool("preferred", types=("r5.xlarge",), weight=50)
    light = pool("cheap", types=("m5.large",))
    plan = plan_for(pod_list(spec(), 1), pools=[light, heavy])
    assert plan.nodes[0].pool == "preferred"


def test_every_pod_is_placed_or_has_a_reason():
    pods = pod_list(spec(), 3) + pod_list(spec(extended={"nvidia.com/gpu": "1"}), 2, prefix="g")
    plan = plan_for(pods)
    placed = {p for n in plan.nodes for p in n.pods} | {p.pod for p in plan.existing}
    reasons = {u.pod for u in plan.unschedulable}
    assert placed | reasons == {p.key for p in pods} and not placed & reasons


def test_headroom_units_are_kept_free_on_the_pool():
    p = pool(headroom={"units": 3, "unit": {"cpu": "1", "memory": "2Gi"}})
    plan = plan_for(pod_list(spec("500m", "1Gi"), 2), pools=[p])
    assert sum(n.headroom for n in plan.nodes) == 3
    assert sum(len(n.pods) for n in plan.nodes) == 2
    cpu = sum(n.requested.cpu_milli for n in plan.nodes)
    assert cpu == 2 * 500 + 3 * 1000


def test_headroom_percent_follows_what_the_pool_runs():
    p = pool(headroom={"percent": 50, "unit": {"cpu": "1", "memory": "1Gi"}})
    plan = plan_for(pod_list(spec("1", "1Gi"), 4), pools=[p])
    assert sum(n.headroom for n in plan.nodes) == 2  # 50% of 4 CPU in 1-CPU units


def test_capacity_type_spread_splits_spot_and_on_demand():
    spread = TopologySpreadConstraint(
        1, KARPENTER_CAPACITY_TYPE, WhenUnsatisfiable.DO_NOT_SCHEDULE, WEB
    )
    plan = plan_for(pod_list(spec("1", "1Gi", spread=(spread,)), 6))
    by_type = Counter(n.capacity_type for n in plan.nodes for _ in n.pods)
    assert by_type == {CapacityType.SPOT: 3, CapacityType.ON_DEMAND: 3}


def test_required_affinity_to_other_pods_follows_them():
    cache = spec("500m", "1Gi", labels={"app": "cache"}, zones=frozenset({"us-east-1b"}))
    follower = spec(
        "500m", "1Gi", labels={"app": "api"},
        affinity=(PodAffinityTerm(LabelSelector((("app", "cache"),)), ZONE),),
    )  # fmt: skip
    plan = plan_for(pod_list(follower, 3, prefix="api") + pod_list(cache, 1, prefix="cache"))
    assert not plan.unschedulable
    assert {n.zones for n in plan.nodes} == {("us-east-1b",)}
    lonely = plan_for(pod_list(follower, 1, prefix="api"))
    assert lonely.unschedulable and "topology" in lonely.unschedulable[0].reason
