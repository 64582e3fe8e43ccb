"""Nodes cut from the assignment LP's columns: the arithmetic, the plans, and when they win."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.builders import node, pod_list, pool, spec
from spotwise.catalog.bundled import load_bundled
from spotwise.decisions.scheduling import slicing
from spotwise.decisions.scheduling.overhead import allocatable
from spotwise.decisions.scheduling.packer import (
    SLICING_MIN_SAVING,
    PackInput,
    pack,
    pack_greedy,
    pack_sliced,
)
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME, ZONE
from spotwise.model.labelset import LabelSet
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import (
    LabelSelector,
    TopologySpreadConstraint,
    WhenUnsatisfiable,
)

GIB = 2**30
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
WIDE = pool("wide", types=(), zones=ZONES, minInstanceTypes=10, minFamilies=3)
CATALOG = load_bundled()


def workload(*groups: tuple[str, str, int]) -> PackInput:
    """Deployments of (cpu, memory, replicas) with nothing else asked, on the wide pool."""
    pods = []
    for g, (cpu, memory, n) in enumerate(groups):
        s = spec(cpu, memory, labels={"app": f"a{g}"})
        pods += pod_list(s, n, prefix=f"g{g}", owner=f"Deployment/a{g}")
    return PackInput(tuple(pods), (), (WIDE,))


def hourly(plan) -> float:
    return sum(n.price_per_hour + n.interruption_cost_per_hour for n in plan.nodes)


# -- the arithmetic -------------------------------------------------------------------


def test_shares_are_rounded_by_largest_remainder_to_each_groups_count():
    # Group 0: 10 pods as 2.6 / 4.3 / 3.1 -> floors 2, 4, 3 and the one left to column 0.
    # Group 1's shares add up to 4 for 8 pods: scaled to 3 and 5 first.
    found = slicing.round_assignment({0: {0: 2.6, 1: 4.3, 2: 3.1}, 1: {1: 2.0, 2: 2.0}}, [10, 8])
    assert found == {0: {0: 3}, 1: {0: 4, 1: 4}, 2: {0: 3, 1: 4}}


def test_nodes_needed_is_the_busiest_dimension():
    requests = [Resources(1000, GIB, 1), Resources(250, 4 * GIB, 1)]
    capacity = Resources(4000, 16 * GIB, 110)
    # 6 CPU-heavy + 2 memory-heavy: 6.5 CPUs of 4 and 14 GiB of 16 -> 1.625 nodes.
    assert slicing.nodes_needed({0: 6, 1: 2}, requests, capacity) == 6.5 / 4
    # Pod slots count too: 300 tiny pods need 300/110 nodes.
    tiny = [Resources(1, 1, 1)]
    assert slicing.nodes_needed({0: 300}, tiny, capacity) == 300 / 110


def test_a_slice_takes_an_even_share_then_the_last_takes_the_rest():
    requests = [Resources(1000, GIB, 1), Resources(250, 4 * GIB, 1)]
    capacity = Resources(4000, 16 * GIB, 110)
    # 13 CPUs of 4 -> 3.25 nodes: floor(12 / 3.25) = 3 and floor(4 / 3.25) = 1.
    assert slicing.slice_quotas({0: 12, 1: 4}, requests, capacity) == {0: 3, 1: 1}
    assert slicing.slice_quotas({0: 3, 1: 1}, requests, capacity) == {0: 3, 1: 1}


# -- which plan is kept ------------------------------------------------------------------


def test_complementary_pods_share_nodes_and_the_cut_plan_is_kept():
    # CPU-heavy and memory-heavy Deployments: the greedy sizes a node for each; the LP
    # mixes them so both dimensions fill.
    request = workload(("2", "1Gi", 60), ("250m", "8Gi", 60))
    sliced, greedy = pack_sliced(request), pack_greedy(request)
    assert hourly(sliced) <= hourly(greedy) * (1 - SLICING_MIN_SAVING)
    assert pack(request) == sliced
    groups = {"default/g0", "default/g1"}
    mixed = [n for n in sliced.nodes if {p[: p.index("-")] for p in n.pods} == groups]
    assert mixed


def test_a_cut_that_saves_little_gives_way_to_the_greedy():
    request = workload(("3", "4Gi", 40), ("2", "4Gi", 40), ("3", "4Gi", 20))
    sliced, greedy = pack_sliced(request), pack_greedy(request)
    assert hourly(greedy) * (1 - SLICING_MIN_SAVING) < hourly(sliced) < hourly(greedy)
    assert pack(request) == greedy


def test_a_cut_that_costs_more_gives_way_to_the_greedy():
    request = workload(("4", "1Gi", 30), ("250m", "16Gi", 30), ("1", "3Gi", 40))
    sliced, greedy = pack_sliced(request), pack_greedy(request)
    assert hourly(sliced) > hourly(greedy)
    assert pack(request) == greedy


def test_existing_room_is_filled_before_any_node_is_cut():
    existing = node("big", "r5.4xlarge", ZONES[0])
    pods = workload(("2", "1Gi", 60), ("250m", "8Gi", 60)).pods
    plan = pack_sliced(PackInput(pods, (existing,), (WIDE,)))
    room = existing.allocatable
    used = Resources()
    by_key = {p.key: p for p in pods}
    for placement in plan.existing:
        used = used + by_key[placement.pod].spec.requests
    # Full: no pod of either group would fit in what is left.
    left = Resources(room.cpu_milli - used.cpu_milli, room.memory_bytes - used.memory_bytes, 99)
    assert plan.existing
    assert not any(s.spec.requests.fits_in(left) for s in (pods[0], pods[-1]))


# -- invariants of the cut plan ------------------------------------------------------------


@st.composite
def mixes(draw):
    """2 to 5 groups, 50 to 200 pods: plain ones, and some a topology rule looks at."""
    pods = []
    for g in range(draw(st.integers(2, 5))):
        cpu = draw(st.sampled_from(["250m", "500m", "1", "2", "3500m"]))
        memory = draw(st.sampled_from(["512Mi", "1Gi", "3Gi", "7Gi", "15Gi"]))
        fields = {"labels": {"app": f"a{g}"}}
        kind = draw(st.integers(0, 5))
        if kind == 0:
            fields["node_selector"] = LabelSet({ZONE: draw(st.sampled_from(ZONES))})
        elif kind == 1:
            selector = LabelSelector((("app", f"a{g}"),))
            key = draw(st.sampled_from([ZONE, HOSTNAME]))
            fields["spread"] = (
                TopologySpreadConstraint(1, key, WhenUnsatisfiable.DO_NOT_SCHEDULE, selector),
            )
        n = draw(st.integers(10, 50))
        pods += pod_list(spec(cpu, memory, **fields), n, prefix=f"g{g}", owner=f"Deployment/a{g}")
    return tuple(pods)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixes())
def test_a_cut_plan_places_each_pod_once_on_a_node_every_listed_type_holds(pods):
    plan = pack_sliced(PackInput(pods, (), (WIDE,)))
    placed = [p for n in plan.nodes for p in n.pods] + [u.pod for u in plan.unschedulable]
    assert sorted(placed) == sorted(p.key for p in pods)
    by_key = {p.key: p for p in pods}
    for new in plan.nodes:
        requested = Resources()
        for key in new.pods:
            requested = requested + by_key[key].spec.requests
        assert requested == new.requested
        for t in new.instance_types:
            assert requested.fits_in(allocatable(CATALOG.instance_type(t))), (new.name, t)
        if new.capacity_type is CapacityType.SPOT and len(new.instance_types) < 10:
            assert any(new.name in note for note in plan.notes), new.name
    assert pack_sliced(PackInput(pods, (), (WIDE,))) == plan
