"""Packing invariants over random pods, nodes and pools (hypothesis).

Existing nodes come busy in the ways that constrain them: some of their CPU, memory or
pod slots taken, a taint, pods that bind a host port, carry the label of a pending group
whose pods keep apart, or keep that group's pods away themselves. Every placement on them
must be legal for all of these at once.
"""

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.builders import node, pool, spec
from spotwise.catalog.bundled import load_bundled
from spotwise.decisions.scheduling.overhead import allocatable
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME, KARPENTER_CAPACITY_TYPE, ZONE
from spotwise.model.labelset import LabelSet
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.scheduling_terms import (
    HostPort,
    LabelSelector,
    PodAffinityTerm,
    Taint,
    TaintEffect,
    Toleration,
    TolerationOperator,
)
from spotwise.provisioning.pools import without

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
GROUPS = 6  # at most this many distinct pending pod specs, app0 to app5
BATCH = Taint("dedicated", "batch", TaintEffect.NO_SCHEDULE)
HARD = (TaintEffect.NO_SCHEDULE, TaintEffect.NO_EXECUTE)
TAINTED = pool(
    "tainted",
    types=("m5.4xlarge", "g4dn.xlarge"),
    zones=ZONES[:2],
    taints=[{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}],
    weight=10,
)
POOLS = (
    pool("general", types=("m5.large", "m5.xlarge", "c5.2xlarge", "r5.large"), zones=ZONES),
    TAINTED,
    pool("on-demand", types=("m5.2xlarge",), capacity_types=("on-demand",), zones=ZONES[1:]),
    # An on-demand base, and larger types EC2 lately refused on-demand (as the controller
    # and the simulator leave refused offerings out of pools): a node may outgrow every
    # type it could be bought on-demand as.
    *without(
        (pool("split", types=("m5.large", "m5.xlarge", "m5.2xlarge"), onDemandBase=2),),
        {(t, z, CapacityType.ON_DEMAND) for t in ("m5.xlarge", "m5.2xlarge") for z in ZONES},
    ),
)


@st.composite
def pod_specs(draw, index, cpus=("100m", "250m", "500m", "1", "1500m", "3", "20")):
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
    cpu = draw(st.sampled_from(cpus))
    memory = draw(st.sampled_from(["128Mi", "512Mi", "1Gi", "2Gi", "6Gi"]))
    return spec(cpu, memory, **fields)


@st.composite
def bound_pods(draw, n, instance_type, odds):
    """What runs on existing node ``n``: pods that take room, ports, labels and affinity.

    Together they always fit the node (an m5.large at least): a node over-committed before
    the plan would make the capacity checks fail whatever the packer does.

    Args:
        draw: Hypothesis' draw.
        n: The node's index, for unique pod names.
        instance_type: The node's type, whose pod slots a filler may nearly exhaust.
        odds: Each kind of pod is there one time in ``odds``.
    """

    def sometimes() -> bool:
        return draw(st.integers(1, odds)) == 1

    pods = []
    if draw(st.booleans()):
        cpu, memory = draw(st.sampled_from([("500m", "1Gi"), ("100m", "5Gi"), ("1500m", "256Mi")]))
        pods.append(Pod(f"old-{n}", spec(cpu, memory, labels={"app": "old"})))
    if sometimes():
        port = HostPort(draw(st.sampled_from([80, 443])))
        pods.append(
            Pod(f"port-{n}", spec("100m", "128Mi", labels={"app": "daemon"}, host_ports=(port,)))
        )
    if sometimes():
        # A pod of a pending group's app: that group's anti-affinity keeps its pods away.
        app = f"app{draw(st.integers(0, GROUPS - 1))}"
        pods.append(Pod(f"same-{n}", spec("100m", "128Mi", labels={"app": app})))
    if sometimes():
        # A pod that keeps a pending group's pods off its node (anti-affinity is symmetric).
        app = f"app{draw(st.integers(0, GROUPS - 1))}"
        term = PodAffinityTerm(LabelSelector((("app", app),)), HOSTNAME)
        pods.append(
            Pod(f"loner-{n}", spec("100m", "128Mi", labels={"app": "loner"}, anti_affinity=(term,)))
        )
    if sometimes():
        # Tiny pods that leave a few pod slots, fewer than a group may want.
        slots = allocatable(load_bundled().instance_type(instance_type)).pods
        filler = spec("1m", "16Mi", labels={"app": "filler"})
        left = draw(st.integers(1, 3))
        pods += [Pod(f"filler-{n}-{i}", filler) for i in range(slots - len(pods) - left)]
    return tuple(pods)


@st.composite
def existing_nodes(draw, low, odds):
    """``low`` to 3 existing nodes, some tainted, with what `bound_pods` puts on them."""
    nodes = []
    for n in range(draw(st.integers(low, 3))):
        instance_type = draw(st.sampled_from(["m5.large", "m5.xlarge"]))
        nodes.append(
            node(
                f"n{n}",
                instance_type,
                draw(st.sampled_from(ZONES)),
                bound=draw(bound_pods(n, instance_type, odds)),
                taints=(BATCH,) if draw(st.integers(1, odds + 1)) == 1 else (),
            )
        )
    return tuple(nodes)


@st.composite
def groups_of_pods(draw, most, **spec_choices):
    """1 to ``most`` groups of 1 to 8 equal pods, one `pod_specs` each."""
    pods = []
    for g in range(draw(st.integers(1, most))):
        s = draw(pod_specs(g, **spec_choices))
        pods += [
            Pod(f"g{g}-{i}", s, owner=f"Deployment/app{g}") for i in range(draw(st.integers(1, 8)))
        ]
    return tuple(pods)


@st.composite
def inputs(draw):
    pods = draw(groups_of_pods(GROUPS))
    nodes = draw(existing_nodes(0, odds=3))
    chosen = draw(
        st.lists(st.sampled_from(POOLS), min_size=0, max_size=3, unique_by=lambda p: p.name)
    )
    return PackInput(pods, nodes, tuple(chosen))


@st.composite
def crowded(draw):
    """Small pods that have little but the existing nodes to go to, busy ones at that.

    No pool, or only the tainted one, so that most groups fill the existing nodes and are
    tried on them again after relaxing their preferences.
    """
    pods = draw(groups_of_pods(4, cpus=("100m", "250m", "500m")))
    nodes = draw(existing_nodes(1, odds=2))
    chosen = draw(st.sampled_from([(), (TAINTED,)]))
    return PackInput(pods, nodes, chosen)


def on_existing(request: PackInput, plan) -> list[tuple[Node, list[PodSpec]]]:
    """Each existing node with the specs of the pending pods the plan puts on it."""
    by_key = {p.key: p for p in request.pods}
    placed = defaultdict(list)
    for placement in plan.existing:
        placed[placement.node].append(by_key[placement.pod].spec)
    return [(n, placed[n.name]) for n in request.nodes]


def keeps_apart(a: PodSpec, b: PodSpec) -> bool:
    """Whether ``a``'s required hostname anti-affinity forbids ``b`` on its node."""
    return any(
        t.topology_key == HOSTNAME
        and b.namespace in (t.namespaces or (a.namespace,))
        and t.selector.matches(b.labels)
        for t in a.anti_affinity
    )


def existing_over_capacity(request: PackInput, plan) -> list[tuple[str, str]]:
    """(node, resource) for each existing node the plan fills past its allocatable."""
    found = []
    for existing, placed in on_existing(request, plan):
        assert existing.requested.fits_in(existing.allocatable)  # as generated
        total = existing.requested
        for s in placed:
            total = total + s.requests
        room = existing.allocatable
        if total.cpu_milli > room.cpu_milli:
            found.append((existing.name, "CPU"))
        if total.memory_bytes > room.memory_bytes:
            found.append((existing.name, "memory"))
        if total.pods > room.pods:
            found.append((existing.name, "pod slots"))
    return found


def existing_breaches(request: PackInput, plan) -> list[tuple[str, str]]:
    """(node, rule) for each predicate a placement on an existing node breaks.

    Node affinity and hard taints for each pod placed; host ports and hostname
    anti-affinity (both ways) between each pod placed and every other pod on the node.
    """
    found = []
    for existing, placed in on_existing(request, plan):
        name = existing.name
        bound = [p.spec for p in existing.pods]
        for s in placed:
            if not s.matches_node_affinity(existing.labels):
                found.append((name, "node affinity"))
            for taint in existing.taints:
                if taint.effect in HARD and not any(t.tolerates(taint) for t in s.tolerations):
                    found.append((name, str(taint)))
        ports = [port for s in placed for port in s.host_ports]
        taken = [port for s in bound for port in s.host_ports]
        for i, mine in enumerate(ports):
            if any(mine.conflicts(other) for other in ports[i + 1 :] + taken):
                found.append((name, f"host port {mine.port}"))
        for i, mine in enumerate(placed):
            others = placed[:i] + placed[i + 1 :] + bound
            if any(keeps_apart(mine, o) or keeps_apart(o, mine) for o in others):
                found.append((name, f"pod anti-affinity of {mine.labels['app']}"))
    return found


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
    pools = {p.name: p for p in request.pools}
    for new in plan.nodes:
        shapes = {s.name: s for s in pools[new.pool].shapes}
        for name in new.instance_types:
            assert new.requested.fits_in(allocatable(shapes[name].instance_type)), (new, name)
    assert not existing_over_capacity(request, plan)


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
    assert not existing_breaches(request, plan)


@SETTINGS
@given(inputs())
def test_the_plan_is_deterministic(request):
    assert pack(request) == pack(request)


@settings(SETTINGS, max_examples=150)
@given(crowded())
def test_crowded_existing_nodes_take_only_legal_placements(request):
    plan = pack(request)
    assert not existing_over_capacity(request, plan)
    assert not existing_breaches(request, plan)
