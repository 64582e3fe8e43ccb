"""Launch lists: diverse enough for EC2 to find capacity, priced at what it will pick.

A spot node may launch as at least ``minInstanceTypes`` types that all hold its pods,
unless the plan names it in a note; its price is the pool its allocation strategy is
expected to pick, inside the range of its list; types that already make up
``maxTypeShare`` of the pool's spot nodes are left out while other types hold the node.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.builders import node, pod_list, pool, spec
from spotwise.catalog.bundled import load_bundled
from spotwise.decisions.scheduling.overhead import allocatable
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.decisions.scheduling.pricing import size_prices
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import KARPENTER_CAPACITY_TYPE, NODE_POOL, ZONE
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import Pod
from spotwise.model.scheduling_terms import HostPort

SPOT = CapacityType.SPOT
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
# Every general-purpose type of the bundled catalog in three zones, as a default pool has.
WIDE = pool("wide", types=(), zones=ZONES, minInstanceTypes=10, minFamilies=3)
CATALOG = load_bundled()


def holds(instance_type: str, requested) -> bool:
    return requested.fits_in(allocatable(CATALOG.instance_type(instance_type)))


def noted(plan, name: str) -> bool:
    return any(name in note and "fewer than" in note for note in plan.notes)


def list_prices(p, new) -> list[float]:
    shapes = {s.name: s for s in p.shapes}
    return [
        o.price
        for t in new.instance_types
        for o in shapes[t].offers
        if o.capacity_type is new.capacity_type and o.zone in new.zones
    ]


@st.composite
def workloads(draw):
    pods = []
    for g in range(draw(st.integers(1, 4))):
        cpu = draw(st.sampled_from(["100m", "500m", "1", "2", "3500m", "7"]))
        memory = draw(st.sampled_from(["256Mi", "1Gi", "3Gi", "7Gi", "30Gi"]))
        fields = {"labels": {"app": f"app{g}"}}
        if draw(st.integers(0, 3)) == 0:
            fields["node_selector"] = LabelSet({ZONE: draw(st.sampled_from(ZONES))})
        if draw(st.integers(0, 5)) == 0:
            fields["node_selector"] = LabelSet({KARPENTER_CAPACITY_TYPE: "on-demand"})
        pods += pod_list(spec(cpu, memory, **fields), draw(st.integers(1, 40)), prefix=f"g{g}")
    return tuple(pods)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workloads())
def test_every_spot_list_holds_its_pods_is_diverse_unless_noted_and_prices_its_pick(pods):
    plan = pack(PackInput(pods, (), (WIDE,)))
    assert not plan.unschedulable
    for new in plan.nodes:
        assert all(holds(t, new.requested) for t in new.instance_types), new.name
        prices = list_prices(WIDE, new)
        low, high = new.price_range_per_hour
        assert (low, high) == (min(prices), max(prices))
        assert low <= new.price_per_hour <= high
        assert new.expected_instance_type in new.instance_types
        if new.capacity_type is not SPOT:
            assert new.price_per_hour == low  # on-demand: lowest-price
            continue
        families = {CATALOG.instance_type(t).family for t in new.instance_types}
        if len(new.instance_types) < 10 or len(families) < 3:
            assert noted(plan, new.name), (new.name, new.instance_types)


def test_a_pool_that_names_three_types_launches_narrow_and_says_which_nodes():
    narrow = pool("named", types=("m5.large", "m5.xlarge", "m5.2xlarge"), minInstanceTypes=10)
    alone = pool("named", types=("m5.large", "m5.xlarge", "m5.2xlarge"), minInstanceTypes=1)
    pods = tuple(pod_list(spec("1", "1Gi"), 12))
    plan = pack(PackInput(pods, (), (narrow,)))
    # The node is not held back for diversity it cannot have: as many nodes as without.
    assert len(plan.nodes) == len(pack(PackInput(pods, (), (alone,))).nodes)
    names = ", ".join(n.name for n in plan.nodes)
    (note,) = [n for n in plan.notes if "fewer than 10 types" in n]
    assert note == (
        f"pool named: {len(plan.nodes)} spot nodes ({names}) may launch as fewer than 10"
        " types: only 1 of the pool's types (1 family) hold their pods and accept them"
    )


def test_the_note_names_every_narrow_node_with_its_reason():
    types = ("m5.large", "m5.xlarge", "m5.2xlarge")
    one_per_node = spec("1500m", "1Gi", host_ports=(HostPort(80),))
    plan = pack(PackInput(tuple(pod_list(one_per_node, 5)), (), (pool("n", types=types),)))
    (note,) = plan.notes[1:]  # after the host-port note
    assert all(n.name in note for n in plan.nodes) and len(plan.nodes) == 5
    assert note.endswith("only 3 of the pool's types (1 family) hold their pods and accept them")


def test_a_spot_node_stops_taking_pods_before_its_list_gets_short():
    # A t4g.large or t3a.large holds 35 pods, the other three of this size 29. Packed to
    # the brim, tiny pods would leave two types to launch as; the node stops at 29, where
    # three (minInstanceTypes) still hold it, as Karpenter's minValues does.
    types = ("t4g.large", "t3a.large", "m7g.large", "m7i-flex.large", "m6g.large")
    pods = tuple(pod_list(spec("10m", "16Mi"), 70))
    plan = pack(PackInput(pods, (), (pool("m", types=types, minInstanceTypes=3),)))
    assert [len(n.pods) for n in plan.nodes] == [29, 29, 12]
    assert all(len(n.instance_types) >= 3 for n in plan.nodes) and not plan.notes
    brim = pack(PackInput(pods, (), (pool("m", types=types, minInstanceTypes=1),)))
    assert [len(n.pods) for n in brim.nodes] == [35, 35]  # without the rule
    # Two types of two families hold 35; three families hold only 29.
    two = pack(PackInput(pods, (), (pool("m", types=types, minInstanceTypes=2),)))
    assert [len(n.pods) for n in two.nodes] == [35, 35]
    three = pool("m", types=types, minInstanceTypes=2, minFamilies=3)
    assert [len(n.pods) for n in pack(PackInput(pods, (), (three,))).nodes] == [29, 29, 12]


def spot_nodes_of(p, instance_type: str, count: int):
    """``count`` full spot nodes of the pool (a pod takes all their CPU)."""
    cpu = allocatable(CATALOG.instance_type(instance_type)).cpu_milli
    full = spec(f"{cpu}m", "64Mi", labels={"app": "old"})
    return tuple(
        node(
            f"old-{i}",
            instance_type,
            ZONES[i % 3],
            SPOT,
            bound=(Pod(f"old-{i}", full),),
            labels={NODE_POOL: p.name},
        )
        for i in range(count)
    )


def test_a_type_that_holds_a_quarter_of_the_pools_spot_nodes_is_left_out_of_new_lists():
    p = pool("c", types=(), zones=ZONES, minInstanceTypes=5, maxTypeShare=25)
    pods = tuple(pod_list(spec("3", "6Gi"), 2))
    first = pack(PackInput(pods, (), (p,))).nodes[0]
    favourite = first.expected_instance_type
    crowd = spot_nodes_of(p, favourite, 4)
    later = pack(PackInput(pods, crowd, (p,))).nodes[0]
    assert favourite in first.instance_types and favourite not in later.instance_types
    assert later.expected_instance_type != favourite
    assert len(later.instance_types) >= 5
    anyone = pool("c", types=(), zones=ZONES, minInstanceTypes=5, maxTypeShare=100)
    assert favourite in pack(PackInput(pods, crowd, (anyone,))).nodes[0].instance_types


def test_one_plan_spreads_its_own_new_nodes_over_types():
    p = pool("c", types=(), zones=ZONES, minInstanceTypes=5, maxTypeShare=25)
    one_per_node = spec("3", "6Gi", host_ports=(HostPort(80),))
    plan = pack(PackInput(tuple(pod_list(one_per_node, 16)), (), (p,)))
    picks = [n.expected_instance_type for n in plan.nodes]
    assert len(picks) == 16
    assert max(picks.count(t) for t in set(picks)) <= max(1, len(picks) // 4)


def test_a_size_is_priced_at_the_pool_price_capacity_optimized_will_pick():
    # c6gd.2xlarge is the cheapest 8-vCPU type by far, in the advisor's >20% bucket; the
    # calm 8-vCPU types cost more, and those are what the strategy launches.
    p = pool("c", types=("c6gd.2xlarge", "c6g.2xlarge", "c7g.2xlarge"), minInstanceTypes=2)
    shapes = {s.name: i for i, s in enumerate(p.shapes)}
    options = {
        i: frozenset((o.zone, o.capacity_type) for o in s.offers) for i, s in enumerate(p.shapes)
    }
    prices = size_prices(p, options)
    spot = {s.name: min(o.price for o in s.offers if o.capacity_type is SPOT) for s in p.shapes}
    stormy = prices.price[shapes["c6gd.2xlarge"]]
    assert stormy > spot["c6gd.2xlarge"] * 1.2
    assert stormy >= min(spot["c6g.2xlarge"], spot["c7g.2xlarge"])
    assert prices.price[shapes["c6g.2xlarge"]] == stormy  # one size, one expected price
    assert not prices.thin
    lone = pool("c", types=("c6gd.2xlarge", "c6g.4xlarge"), minInstanceTypes=2)
    lone_options = {
        i: frozenset((o.zone, o.capacity_type) for o in s.offers) for i, s in enumerate(lone.shapes)
    }
    assert size_prices(lone, lone_options).thin == frozenset(lone_options)


def test_the_plan_prices_a_node_at_its_expected_pick_not_its_cheapest_type():
    p = pool("c", types=("c6gd.2xlarge", "c6g.2xlarge", "c7g.2xlarge"), minInstanceTypes=2)
    (new,) = pack(PackInput(tuple(pod_list(spec("6", "8Gi"), 1)), (), (p,))).nodes
    assert new.instance_types[0] == "c6gd.2xlarge"  # the list, cheapest first
    assert new.expected_instance_type in ("c6g.2xlarge", "c7g.2xlarge")
    assert new.price_per_hour > new.price_range_per_hour[0]
    assert new.interruption_cost_per_hour > 0


def test_a_cheap_stormy_outlier_does_not_cut_the_list_short():
    # c6gd.2xlarge costs two thirds of the next 8-vCPU type: twice its price holds only
    # eight types. The guard is then taken from the pool the list is expected to launch.
    c = [{"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": ["c"]}]
    p = pool("c", types=(), zones=ZONES, minInstanceTypes=10, requirements=c)
    (new,) = pack(PackInput(tuple(pod_list(spec("6", "8Gi"), 1)), (), (p,))).nodes
    assert new.instance_types[0] == "c6gd.2xlarge"
    assert len(new.instance_types) >= 10
    low, high = new.price_range_per_hour
    assert high > 2 * low


def test_min_families_widens_the_list_and_crowding_never_takes_a_family_away():
    # Three families asked for. Two m6g.large and r6g.large nodes already run, so both
    # types are crowded; leaving them out would leave c-family types only.
    types = ("c6g.large", "c6g.xlarge", "c7g.large", "c7g.xlarge", "m6g.large", "r6g.large")
    rules = {"minInstanceTypes": 3, "minFamilies": 3, "priceCeiling": 1.0, "maxTypeShare": 25}
    p = pool("f", types=types, zones=ZONES[:1], **rules)
    (new,) = pack(PackInput(tuple(pod_list(spec("1", "2Gi"), 1)), (), (p,))).nodes
    families = {CATALOG.instance_type(t).family for t in new.instance_types}
    assert len(families) >= 3
    running = (
        node("old-m", "m6g.large", ZONES[0], SPOT, bound=(Pod("m", spec("1900m")),),
             labels={NODE_POOL: "f"}),
        node("old-r", "r6g.large", ZONES[0], SPOT, bound=(Pod("r", spec("1900m")),),
             labels={NODE_POOL: "f"}),
    )  # fmt: skip
    plan = pack(PackInput(tuple(pod_list(spec("1", "2Gi"), 1)), running, (p,)))
    (later,) = plan.nodes
    families = {CATALOG.instance_type(t).family for t in later.instance_types}
    assert len(families) >= 3 and not plan.notes


def test_on_demand_lists_keep_the_price_ceiling():
    p = pool("c", types=(), zones=ZONES, minInstanceTypes=10)
    selector = LabelSet({KARPENTER_CAPACITY_TYPE: "on-demand"})
    (new,) = pack(
        PackInput(tuple(pod_list(spec("1", "2Gi", node_selector=selector), 1)), (), (p,))
    ).nodes
    assert new.capacity_type is CapacityType.ON_DEMAND
    low, high = new.price_range_per_hour
    assert high <= low * (1 + 0.25) + 1e-9 and new.price_per_hour == low


def test_a_gpu_size_is_priced_by_types_that_hold_its_gpus():
    # The whole default pool: a GPU size is held only by types with as many GPUs, never
    # by a CPU type with the same vCPUs and memory (g5.xlarge is not worth a m6g.xlarge).
    p = pool("all", types=(), zones=ZONES)
    options = {
        i: frozenset((o.zone, o.capacity_type) for o in s.offers) for i, s in enumerate(p.shapes)
    }
    prices = size_prices(p, options).price

    def cheapest_spot(shape):
        return min((o.price for o in shape.offers if o.capacity_type is SPOT), default=None)

    for i, shape in enumerate(p.shapes):
        gpus = shape.instance_type.gpu_count
        if not gpus or cheapest_spot(shape) is None:
            continue
        floor = min(
            cheapest_spot(s)
            for s in p.shapes
            if s.instance_type.gpu_count >= gpus and cheapest_spot(s) is not None
        )
        assert prices[i] >= floor * 0.999, shape.name
