"""The provisioning loop over a Cluster port and the simulated Cloud port."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from provisioning.builders import FakeCluster, pods, setup
from spotwise.catalog.bundled import load_bundled
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME
from spotwise.model.node import Node
from spotwise.model.scheduling_terms import Taint, TaintEffect
from spotwise.ports.cloud import InstanceState
from spotwise.provisioning.launcher import Launched
from spotwise.provisioning.provisioner import (
    REGISTRATION_TIMEOUT_SECONDS,
    Provisioner,
)
from spotwise.simulated.cloud import SimulatedCloud
from spotwise.simulator.engine import Simulation
from spotwise.simulator.scenario import load_scenario
from spotwise.simulator.strategies import spotwise

SMALL = Path(__file__).parents[1] / "simulation" / "small.yaml"
SRC = Path(__file__).parents[2] / "src" / "spotwise"
ICE = "InsufficientInstanceCapacity"
GI = 2**30


def register(cluster: FakeCluster, cloud: SimulatedCloud, provisioner: Provisioner) -> Node:
    """What a kubelet does: the in-flight node registers, not ready yet, and tainted so."""
    (record,) = provisioner.inflight.records()
    assert record.instance is not None and record.node is not None
    instance = cloud.describe([record.instance.instance_id])[0]
    not_ready = Taint("node.kubernetes.io/not-ready", "", TaintEffect.NO_SCHEDULE)
    node = dataclasses.replace(
        record.node,
        name=instance.private_dns_name,
        labels=record.node.labels.merged({HOSTNAME: instance.private_dns_name}),
        taints=(*record.node.taints, not_ready),
        pods=(),
    )
    cluster.nodes.append(node)
    return node


def test_pending_pods_launch_once_and_wait_for_their_node() -> None:
    provisioner, cluster, cloud, _ = setup()
    cluster.pending = pods(3)
    first = provisioner.reconcile()
    assert first.pending == first.planned == 3
    (launch,) = first.launches
    assert isinstance(launch.outcome, Launched)
    assert set(launch.node.pods) == {"shop/web-0", "shop/web-1", "shop/web-2"}
    # The node boots: the pods are nominated to it and nothing is launched again.
    again = provisioner.reconcile()
    assert again.launches == () and again.planned == 0
    assert len(cloud.owned_instances("test")) == 1


def test_a_registered_node_still_starting_is_capacity_not_a_reason_to_launch() -> None:
    provisioner, cluster, cloud, _ = setup()
    cluster.pending = pods(2)
    (launch,) = provisioner.reconcile().launches
    assert isinstance(launch.outcome, Launched)
    register(cluster, cloud, provisioner)
    later = provisioner.reconcile()
    assert [r.instance for r in later.registered] == [launch.outcome.instance]
    assert len(provisioner.inflight) == 0
    # The pods are planned again, onto the registered node despite its not-ready taint.
    assert later.planned == 2 and later.launches == ()


def test_more_pods_fill_the_in_flight_node_before_anything_new() -> None:
    provisioner, cluster, cloud, _ = setup()
    cluster.pending = pods(1, cpu=500)
    (launch,) = provisioner.reconcile().launches
    assert isinstance(launch.outcome, Launched)
    # A second small pod fits on the node that is booting.
    cluster.pending = [*cluster.pending, *pods(1, cpu=100, prefix="small")]
    assert provisioner.reconcile().launches == ()
    assert len(cloud.owned_instances("test")) == 1


def test_a_refused_launch_is_planned_again_at_once_without_the_refused_offerings() -> None:
    provisioner, cluster, cloud, clock = setup()
    cluster.pending = pods(2)
    # Every spot offering of the types the first plan picks has no capacity.
    probe, _, _, _ = setup()
    probe.cluster.pending = cluster.pending  # type: ignore[attr-defined]
    planned = probe.reconcile().launches[0].node
    for t in planned.instance_types:
        for zone in planned.zones:
            cloud.inject(t, zone, CapacityType.SPOT, ICE, until=clock.now() + 3600)
    round_ = provisioner.reconcile()
    assert round_.plans >= 2
    launched = [r for r in round_.launches if isinstance(r.outcome, Launched)]
    assert len(launched) == 1
    assert launched[0].outcome.instance.instance_type not in planned.instance_types  # type: ignore[union-attr]


def test_a_node_that_never_registers_is_terminated_and_its_offering_marked() -> None:
    provisioner, cluster, cloud, clock = setup()
    cluster.pending = pods(2)
    (launch,) = provisioner.reconcile().launches
    assert isinstance(launch.outcome, Launched)
    instance = launch.outcome.instance
    clock.advance(REGISTRATION_TIMEOUT_SECONDS - 1)
    assert provisioner.reconcile().timed_out == ()
    clock.advance(1)
    round_ = provisioner.reconcile()
    assert [r.instance.instance_id for r in round_.timed_out if r.instance] == [
        instance.instance_id
    ]
    assert cloud.describe([instance.instance_id])[0].state is InstanceState.TERMINATED
    unavailable = provisioner.launcher.unavailable
    assert unavailable.is_unavailable(
        instance.instance_type, instance.zone, instance.capacity_type, clock.now()
    )
    # The pods are planned again at once, elsewhere.
    (relaunch,) = round_.launches
    assert isinstance(relaunch.outcome, Launched)
    assert (relaunch.outcome.instance.instance_type, relaunch.outcome.instance.zone) != (
        instance.instance_type,
        instance.zone,
    )


def test_a_lost_in_flight_instance_frees_its_pods_at_once() -> None:
    provisioner, cluster, cloud, _ = setup()
    cluster.pending = pods(2)
    (launch,) = provisioner.reconcile().launches
    assert isinstance(launch.outcome, Launched)
    cloud.terminate([launch.outcome.instance.instance_id])
    round_ = provisioner.reconcile()
    (relaunch,) = round_.launches
    assert isinstance(relaunch.outcome, Launched)
    assert relaunch.outcome.instance.instance_id != launch.outcome.instance.instance_id


def test_a_new_leader_adopts_booting_instances_instead_of_launching_again() -> None:
    first, cluster, cloud, clock = setup()
    cluster.pending = pods(3)
    first.reconcile()
    second, _, _, _ = setup(cloud=cloud)
    second.cluster = cluster
    second.clock = clock
    assert second.adopt(cloud.owned_instances("test"), cluster.nodes) == 1
    assert second.reconcile().launches == ()
    assert len(cloud.owned_instances("test")) == 1


def test_the_same_pods_planned_by_another_replica_reuse_the_client_token() -> None:
    # Without adoption (the instance not visible yet), the client token still holds.
    first, cluster, cloud, clock = setup()
    cluster.pending = pods(3)
    (launch,) = first.reconcile().launches
    second, _, _, _ = setup(cloud=cloud)
    second.cluster = cluster
    second.clock = clock
    (again,) = second.reconcile().launches
    assert isinstance(launch.outcome, Launched) and isinstance(again.outcome, Launched)
    assert again.node.name == launch.node.name
    assert again.outcome.instance.instance_id == launch.outcome.instance.instance_id
    assert len(cloud.owned_instances("test")) == 1


def test_a_token_answered_with_a_dead_instance_launches_a_new_one() -> None:
    provisioner, cluster, cloud, _ = setup()
    cluster.pending = pods(2)
    (launch,) = provisioner.reconcile().launches
    assert isinstance(launch.outcome, Launched)
    cloud.terminate([launch.outcome.instance.instance_id])
    provisioner.inflight.drop([launch.outcome.instance.instance_id])
    (relaunch,) = provisioner.reconcile().launches
    assert relaunch.node.name == launch.node.name  # the same pods: the same name
    assert isinstance(relaunch.outcome, Launched)
    assert relaunch.outcome.instance.state is not InstanceState.TERMINATED


def test_a_dry_run_decides_and_launches_nothing() -> None:
    provisioner, cluster, cloud, _ = setup(dry_run=True)
    cluster.pending = pods(3)
    (decision,) = provisioner.reconcile().launches
    assert decision.outcome is None
    assert set(decision.node.pods) == {"shop/web-0", "shop/web-1", "shop/web-2"}
    assert cloud.owned_instances("test") == ()
    # Decided once: not logged again every round while the decision stands.
    assert provisioner.reconcile().launches == ()


@pytest.mark.parametrize(
    "module",
    ["simulator/engine.py", "simulator/runner.py", "simulated/cluster_port.py"],
)
def test_the_simulator_has_no_planning_or_launching_of_its_own(module: str) -> None:
    """One decision core: the simulator runs the controller's provisioning loop."""
    tree = ast.parse((SRC / module).read_text())
    imported = {
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    forbidden = {
        "spotwise.decisions.scheduling.packer.pack",
        "spotwise.provisioning.launcher.Launcher",
        "spotwise.provisioning.launcher.LaunchIntent",
        "spotwise.provisioning.pools.build_pools",
        "spotwise.provisioning.provisioner.Provisioner",
    }
    assert not imported & forbidden
    if module.endswith("engine.py"):
        assert "spotwise.provisioning.assembly.build_provisioner" in imported


def test_the_engine_runs_the_provisioner_the_controller_runs() -> None:
    scenario = load_scenario(SMALL)
    simulation = Simulation(scenario, spotwise(scenario.nodepools), load_bundled())
    assert type(simulation.provisioner) is Provisioner
    assert simulation.provisioner.cluster is simulation.port
    assert simulation.provisioner.launcher.cloud is simulation.cloud
