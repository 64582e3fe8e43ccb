"""Garbage collection: orphaned instances and Nodes whose instance is gone."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from provisioning.builders import FakeCluster, pods, setup
from spotwise.controller.garbage import GarbageCollector, find_garbage
from spotwise.controller.metrics import ControllerMetrics
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.model.labelset import LabelSet
from spotwise.model.node import Node
from spotwise.model.resources import Resources
from spotwise.ports.cloud import Instance, InstanceState

TIMEOUT = 900.0


def instance(i: str, launched: float) -> Instance:
    return Instance(i, "m5.large", "us-east-1a", CapacityType.SPOT, InstanceState.RUNNING, launched)


def node(name: str, instance_id: str, pool: str | None = "web") -> Node:
    labels = LabelSet({NODE_POOL: pool} if pool else {})
    return Node(
        name, labels, (), Resources(2000, 2**33, 29), provider_id=f"aws:///us-east-1a/{instance_id}"
    )


def test_an_instance_without_a_node_after_the_timeout_is_an_orphan() -> None:
    instances = [instance("i-old", 0.0), instance("i-young", 500.0), instance("i-joined", 0.0)]
    found = find_garbage(instances, [node("n", "i-joined")], set(), 1000.0, TIMEOUT)
    assert [i.instance_id for i in found.orphans] == ["i-old"]
    # One the provisioner still waits for is not garbage yet (its own timeout handles it).
    assert find_garbage(instances, [], {"i-old"}, 1000.0, TIMEOUT).orphans == (instances[2],)


def test_only_nodes_of_spotwise_pools_are_suspects() -> None:
    nodes = [node("ours", "i-gone"), node("theirs", "i-other", pool=None), node("live", "i-1")]
    found = find_garbage([instance("i-1", 0.0)], nodes, set(), 10.0, TIMEOUT)
    assert [n.name for n in found.suspects] == ["ours"]


class DeletingCluster(FakeCluster):
    def __init__(self) -> None:
        super().__init__()
        self.deleted: list[str] = []

    def delete_node(self, name: str) -> None:
        self.deleted.append(name)
        self.nodes = [n for n in self.nodes if n.name != name]


def collector(dry_run: bool = False):
    provisioner, _, cloud, clock = setup()
    cluster = DeletingCluster()
    provisioner.cluster = cluster
    gc = GarbageCollector(
        cluster,
        cloud,
        provisioner,
        clock,
        cluster_name="test",
        metrics=ControllerMetrics(CollectorRegistry()),
        dry_run=dry_run,
    )
    return gc, provisioner, cluster, cloud, clock


def test_a_node_is_deleted_only_once_the_cloud_says_its_instance_is_gone() -> None:
    gc, provisioner, cluster, cloud, _ = collector()
    cluster.pending = pods(2)
    (launch,) = provisioner.reconcile().launches
    live = launch.outcome.instance  # type: ignore[union-attr]
    cluster.nodes = [node("n1", live.instance_id), node("n2", "i-0000000000000dead")]
    cluster.pending = []
    result = gc.run()
    assert [n.name for n in result.suspects] == ["n2"] and cluster.deleted == ["n2"]
    cloud.terminate([live.instance_id])
    gc.run()
    assert cluster.deleted == ["n2", "n1"]


def test_an_orphan_is_terminated_unless_dry_run() -> None:
    for dry_run in (True, False):
        gc, provisioner, cluster, cloud, clock = collector(dry_run)
        cluster.pending = pods(2)
        (launch,) = provisioner.reconcile().launches
        orphan = launch.outcome.instance  # type: ignore[union-attr]
        provisioner.inflight.drop([orphan.instance_id])  # a replica that crashed
        clock.advance(TIMEOUT)
        result = gc.run()
        assert [i.instance_id for i in result.orphans] == [orphan.instance_id]
        state = cloud.describe([orphan.instance_id])[0].state
        assert (state is InstanceState.TERMINATED) is not dry_run


def test_a_booting_instance_is_adopted_not_collected() -> None:
    gc, provisioner, cluster, _, _ = collector()
    cluster.pending = pods(2)
    (launch,) = provisioner.reconcile().launches
    booting = launch.outcome.instance  # type: ignore[union-attr]
    provisioner.inflight.drop([booting.instance_id])  # as a new leader knows nothing
    result = gc.run()
    assert result.orphans == () and booting.instance_id in provisioner.inflight
