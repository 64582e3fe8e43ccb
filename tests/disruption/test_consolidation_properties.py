"""Consolidation over random clusters: what any decision must respect (hypothesis)."""

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.builders import node, pod_list, pool, spec
from spotwise.decisions.disruption.consolidation import (
    ConsolidationInput,
    MoveKind,
    Rules,
    consolidate,
)
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.model.disruption_hints import DisruptionHints
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL

NOW = 1_000_000.0
RULES = Rules()
POOL = pool("default", minInstanceTypes=1)
TYPES = ("m5.large", "m5.xlarge", "m5.2xlarge", "c5.xlarge", "r5.xlarge")


@st.composite
def clusters(draw):
    """2 to 6 nodes of the pool, each with 0 to 4 pods, some guarded, of random ages."""
    nodes, created = [], {}
    for i in range(draw(st.integers(2, 6))):
        instance_type = draw(st.sampled_from(TYPES))
        capacity = draw(st.sampled_from([CapacityType.SPOT, CapacityType.ON_DEMAND]))
        cpu = draw(st.sampled_from(["250m", "500m", "1"]))
        bound = pod_list(
            spec(cpu, "1Gi", labels={"app": f"a{i}"}),
            draw(st.integers(0, 4)),
            prefix=f"n{i}",
            owner=f"Deployment/a{i}",
        )
        if bound and draw(st.integers(0, 4)) == 0:
            guarded = DisruptionHints(do_not_disrupt="true")
            bound = [dataclasses.replace(p, hints=guarded) for p in bound]
        name = f"n{i}"
        n = node(name, instance_type, "us-east-1a", capacity, tuple(bound))
        nodes.append(dataclasses.replace(n, labels=n.labels.merged({NODE_POOL: "default"})))
        created[name] = NOW - draw(st.sampled_from([60.0, 3600.0]))
    return tuple(nodes), created


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_moves_take_each_node_once_only_when_allowed_and_always_save(cluster):
    nodes, created = cluster
    decision = consolidate(
        ConsolidationInput(
            nodes, (POOL,), {"default": RULES}, NOW, created=created, quiet_since=created
        )
    )
    by_name = {n.name: n for n in nodes}
    taken = [name for move in decision.moves for name in move.nodes]
    assert len(taken) == len(set(taken))  # no node in two moves
    assert not set(taken) & {k.node for k in decision.kept}
    for move in decision.moves:
        assert move.saving_per_hour > 0
        for name in move.nodes:
            n = by_name[name]
            # Never within the churn window after launch, never a guarded pod's node.
            assert NOW - created[name] >= RULES.min_node_age
            assert not any(p.hints.do_not_disrupt for p in n.pods)
            if move.kind is MoveKind.EMPTY:
                assert not n.pods
        assert bool(move.replacements) is (move.kind is MoveKind.REPLACE)
    # Every node of the pool is either taken or kept, with a reason.
    assert set(taken) | {k.node for k in decision.kept} == set(by_name)


def _carry_out(nodes, created, decision, now):
    """The cluster after the decision's moves: pods rebound as the packer places them."""
    going = {name for move in decision.moves for name in move.nodes}
    moved = [p for n in nodes if n.name in going for p in n.pods if not p.per_node]
    staying = [n for n in nodes if n.name not in going]
    plan = pack(PackInput(tuple(moved), tuple(staying), (POOL,)))
    assert not plan.unschedulable  # every move's pods have a home
    by_key = {p.key: p for p in moved}
    extra: dict[str, list] = {}
    for placed in plan.existing:
        extra.setdefault(placed.node, []).append(by_key[placed.pod])
    after = [dataclasses.replace(n, pods=(*n.pods, *extra.get(n.name, ()))) for n in staying]
    for new in plan.nodes:
        name = f"{new.name}-{now:.0f}"
        pods = tuple(by_key[k] for k in new.pods)
        made = node(name, new.expected_instance_type, "us-east-1a", new.capacity_type, pods)
        after.append(dataclasses.replace(made, labels=made.labels.merged({NODE_POOL: "default"})))
        created[name] = now
    return tuple(after)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_a_sequence_of_moves_never_moves_a_node_within_the_churn_window_and_always_saves(
    cluster,
):
    nodes, created = cluster
    created = dict(created)
    now = NOW
    for _ in range(4):  # passes five minutes apart: inside the ten-minute window
        request = ConsolidationInput(
            nodes, (POOL,), {"default": RULES}, now, created=created, quiet_since=created
        )
        decision = consolidate(request)
        for move in decision.moves:
            assert move.saving_per_hour > 0  # expected cost (price and risk) goes down
            for name in move.nodes:
                assert now - created[name] >= RULES.min_node_age, f"{name} moved again"
        nodes = _carry_out(nodes, created, decision, now)
        now += 300.0
