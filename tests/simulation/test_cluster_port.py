"""The Cluster port of the simulator: eviction through budgets, node patches, deletions."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from spotwise.catalog.bundled import load_catalog
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import Pod
from spotwise.model.scheduling_terms import Taint, TaintEffect
from spotwise.ports.cluster import ClusterEvent, Eviction, NodePatch
from spotwise.simulated.cluster import Phase, SimPod
from spotwise.simulator.engine import Simulation
from spotwise.simulator.scenario import load_scenario
from spotwise.simulator.strategies import spotwise

SMALL = Path(__file__).parent / "small.yaml"


@pytest.fixture
def sim() -> Simulation:
    """Half an hour of the small scenario in a calm market, stopped with its pods running."""
    scenario = load_scenario(SMALL).with_hours(0.5)
    calm = dataclasses.replace(scenario.market, interruption_scale=0.0)
    scenario = dataclasses.replace(scenario, market=calm)
    simulation = Simulation(scenario, spotwise(scenario.nodepools), load_catalog("us-east-1", None))
    simulation.run()
    return simulation


def running(sim: Simulation, owner: str) -> list[str]:
    return sorted(
        k for k, p in sim.cluster.pods.items() if p.owner == owner and p.phase is Phase.RUNNING
    )


def test_a_min_available_budget_lets_one_of_three_go(sim: Simulation) -> None:
    first, second, third = running(sim, "Deployment/payments")  # minAvailable: 2
    assert sim.port.evict(first) is Eviction.EVICTED
    assert sim.cluster.pods[first].phase is Phase.TERMINATING
    assert sim.port.evict(second) is Eviction.BLOCKED
    assert sim.port.evict(third) is Eviction.BLOCKED
    assert sim.cluster.pods[second].phase is Phase.RUNNING
    assert sim.port.evict(first) is Eviction.EVICTED  # already going: nothing to ask


def test_a_percentage_budget_allows_what_the_disruption_controller_computes(
    sim: Simulation,
) -> None:
    pods = running(sim, "Deployment/web")  # maxUnavailable: 25% of the replicas wanted now
    assert (len(pods), sim.expected("Deployment/web")) == (39, 39)
    allowed = math.ceil(39 / 4)  # 9.75 rounds up: 10 may go
    outcomes = [sim.port.evict(key) for key in pods]
    assert outcomes == [Eviction.EVICTED] * allowed + [Eviction.BLOCKED] * (39 - allowed)


def test_pending_pods_go_at_once_and_unknown_pods_are_gone(sim: Simulation) -> None:
    ready = running(sim, "Deployment/payments")
    assert sim.port.evict(ready[0]) is Eviction.EVICTED  # the budget allows nothing more now
    spec = sim.cluster.pods[ready[1]].pod.spec
    sim.cluster.add_pod(SimPod(Pod("extra", spec, owner="Deployment/payments"), 0.0, "x"))
    assert sim.port.evict(ready[1]) is Eviction.BLOCKED
    assert sim.port.evict("payments/extra") is Eviction.EVICTED
    assert sim.cluster.pods["payments/extra"].phase is Phase.GONE
    assert sim.port.evict("payments/nobody") is Eviction.GONE
    assert sim.port.evict("payments/extra") is Eviction.GONE


def test_delete_pod_ignores_budgets_and_keeps_the_grace_period(sim: Simulation) -> None:
    keys = running(sim, "Deployment/worker")  # terminationGracePeriodSeconds: 60
    for key in keys:
        sim.port.delete_pod(key)
    assert {sim.cluster.pods[k].ends_at for k in keys} == {sim.now() + 60}


def test_patches_cordon_taint_and_label_a_node(sim: Simulation) -> None:
    name = sorted(sim.cluster.nodes)[0]
    foreign = Taint("team", "ml", TaintEffect.PREFER_NO_SCHEDULE)
    old = Taint("spotwise.io/disrupting", "soon", TaintEffect.NO_SCHEDULE)
    sim.port.patch_node(name, NodePatch(add_taints=(foreign, old)))
    taint = Taint("spotwise.io/disrupting", "", TaintEffect.NO_SCHEDULE)
    sim.port.patch_node(
        name,
        NodePatch(
            labels={"drain": "yes"},
            annotations={"why": "test"},
            add_taints=(taint,),
            unschedulable=True,
        ),
    )
    (node,) = [n for n in sim.port.snapshot().nodes if n.name == name]
    assert node.unschedulable and node.labels["drain"] == "yes"
    assert node.annotations == {"why": "test"}
    assert node.taints == (foreign, taint)  # replaced by key and effect; others kept
    sim.port.patch_node(
        name,
        NodePatch(
            labels={"drain": None},
            annotations={"why": None},
            remove_taints=(taint,),
            unschedulable=False,
        ),
    )
    (node,) = [n for n in sim.port.snapshot().nodes if n.name == name]
    assert node.annotations == {}
    assert not node.unschedulable and node.taints == (foreign,) and "drain" not in node.labels
    assert isinstance(node.labels, LabelSet)


def test_deleting_a_node_takes_its_pods_and_jobs_recreate_theirs(sim: Simulation) -> None:
    def jobs_on(node: str) -> set[str]:
        owners = (sim.cluster.pods[k].owner for k in sim.cluster.nodes[node].pods)
        return {o for o in owners if o.startswith("Job/")}

    name = min((n for n in sim.cluster.nodes if jobs_on(n)), default=None)
    assert name is not None, "the small scenario's half hour should have a Job pod running"
    keys = sorted(sim.cluster.nodes[name].pods)
    job_owners = jobs_on(name)
    sim.port.delete_node(name)
    assert name not in {n.name for n in sim.port.snapshot().nodes}
    assert {sim.cluster.pods[k].phase for k in keys} == {Phase.GONE}
    for owner in job_owners:
        assert any(p.owner == owner and p.phase is Phase.PENDING for p in sim.cluster.pods.values())
    sim.port.delete_node(name)  # already gone: not an error


def test_events_are_kept_with_the_virtual_time(sim: Simulation) -> None:
    event = ClusterEvent("Node", "n1", "SpotInterrupted", "reclaimed in two minutes", True)
    before = len(sim.port.events)  # consolidation's, from the run
    sim.port.emit(event)
    assert sim.port.events[before:] == [(sim.now(), event)]
