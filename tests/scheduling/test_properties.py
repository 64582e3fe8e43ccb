"""Packing invariants over random pods, nodes and pools (hypothesis)."""

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.builders import node, pool, spec
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME, KARPENTER_CAPACITY_TYPE, ZONE
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import Pod
from spotwise.model.scheduling_terms import (
    HostPort,
    LabelSelector,
    PodAffinityTerm,
    TaintEffect,
    Toleration,
    TolerationOperator,
)
from spotwise.scheduling.overhead import allocatable
from spotwise.scheduling.packer import PackInput, pack

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
POOLS = (
    pool("general", types=("m5.large", "m5.xlarge", "c5.2xlarge", "r5.large"), zones=ZONES),
    pool(
        "tainted",
        types=("m5.4xlarge", "g4dn.xlarge"),
        zones=ZONES[:2],
        taints=[{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}],
        weight=10,
    ),
    pool("on-demand", types=("m5.2xlarge",), capacity_types=("on-demand",), zones=ZONES[1:]),
)


@st.composite
def pod_specs(draw, index):
    app = f"app{index}"
    fields = {"labels": {"app": app}}
    if draw(st.booleans()):
        fields["node_selector"] = LabelSet({ZONE: draw(st.sampled_from(ZONES))})
    if draw(st.integers(0, 4)) == 0:
        fields["node_selector"] = LabelSet({KARPENTER_CAPACITY_TYPE: "on-demand"})
    if draw(st.booleans()):
        fields["tolerations"] = (Toleration("dedicated", TolerationOperator.EQUAL, "batch"),)
    if draw(st.integers(0, 5)) == 0:
        fields["host_ports"] = (HostPort(draw(st.sampled_from([80, 443]))),)
    if draw(st.integers(0, 4)) == 0:
        term = PodAffinityTerm(LabelSelector((("app", app),)), HOSTNAME)
        fields["anti_affinity"] = (term,)
    if draw(st.integers(0, 8)) == 0:
        fields["extended"] = {"nvidia.com/gpu": "1"}
    cpu = draw(st.sampled_from(["100m", "250m", "500m", "1", "1500m", "3", "20"]))
    memory = draw(st.sampled_from(["128Mi", "512Mi", "1Gi", "2Gi", "6Gi"]))
    return spec(cpu, memory, **fields)


@st.composite
def inputs(draw):
    groups = draw(st.integers(1, 6))
    pods = []
    for g in range(groups):
        s = draw(pod_specs(g))
        pods += [
            Pod(f"g{g}-{i}", s, owner=f"Deployment/app{g}") for i in range(draw(st.integers(1, 8)))
        ]
    nodes = []
    for n in range(draw(st.integers(0, 3))):
        bound = ()
        if draw(st.booleans()):
            bound = (Pod(f"old-{n}", spec("500m", "1Gi", labels={"app": "old"})),)
        nodes.append(
            node(
                f"n{n}",
                draw(st.sampled_from(["m5.large", "m5.xlarge"])),
                draw(st.sampled_from(ZONES)),
                bound=bound,
            )
        )
    chosen = draw(
        st.lists(st.sampled_from(POOLS), min_size=0, max_size=3, unique_by=lambda p: p.name)
    )
    return PackInput(tuple(pods), tuple(nodes), tuple(chosen))


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(inputs())
def test_every_pod_is_placed_once_or_has_a_reason(request):
    plan = pack(request)
    placed = [p for n in plan.nodes for p in n.pods] + [p.pod for p in plan.existing]
    reasons = {u.pod: u.reason for u in plan.unschedulable}
    assert len(placed) == len(set(placed))
    assert set(placed) | set(reasons) == {p.key for p in request.pods}
    assert not set(placed) & set(reasons)
    assert all(reason for reason in reasons.values())


@SETTINGS
@given(inputs())
def test_no_node_is_over_capacity(request):
    plan = pack(request)
    by_key = {p.key: p for p in request.pods}
    pools = {p.name: p for p in request.pools}
    for new in plan.nodes:
        shapes = {s.name: s for s in pools[new.pool].shapes}
        for name in new.instance_types:
            assert new.requested.fits_in(allocatable(shapes[name].instance_type)), (new, name)
    used = defaultdict(int)
    for placement in plan.existing:
        used[placement.node] += by_key[placement.pod].spec.requests.cpu_milli
    for existing in request.nodes:
        total = used[existing.name] + existing.requested.cpu_milli
        assert total <= existing.allocatable.cpu_milli


@SETTINGS
@given(inputs())
def test_every_placement_satisfies_every_predicate(request):
    plan = pack(request)
    by_key = {p.key: p for p in request.pods}
    pools = {p.name: p for p in request.pools}
    for new in plan.nodes:
        pool_ = pools[new.pool]
        shapes = {s.name: s for s in pool_.shapes}
        offers = [
            o
            for name in new.instance_types
            for o in shapes[name].offers
            if o.capacity_type is new.capacity_type and o.zone in new.zones
        ]
        assert offers
        pods = [by_key[k] for k in new.pods]
        for pod in pods:
            hard = [t for t in pool_.taints if t.effect is not TaintEffect.PREFER_NO_SCHEDULE]
            assert all(any(tol.tolerates(t) for tol in pod.spec.tolerations) for t in hard)
            for offer in offers:
                assert pod.spec.matches_node_affinity(offer.labels), (pod.key, offer)
        ports = [port for pod in pods for port in pod.spec.host_ports]
        assert all(not a.conflicts(b) for i, a in enumerate(ports) for b in ports[i + 1 :])
        apps = [pod.spec.labels["app"] for pod in pods if pod.spec.anti_affinity]
        assert len(apps) == len(set(apps))
        if any(pod.spec.node_selector.get(KARPENTER_CAPACITY_TYPE) for pod in pods):
            assert new.capacity_type is CapacityType.ON_DEMAND
    nodes = {n.name: n for n in request.nodes}
    for placement in plan.existing:
        pod, target = by_key[placement.pod], nodes[placement.node]
        assert pod.spec.matches_node_affinity(target.labels)


@SETTINGS
@given(inputs())
def test_the_plan_is_deterministic(request):
    assert pack(request) == pack(request)
