"""Builders for provisioning-loop tests: a Cluster port over plain lists, pods, a pool."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from sim.builders import sim_cloud
from spotwise.catalog.bundled import load_bundled
from spotwise.config.nodepool import NodePool
from spotwise.decisions.scheduling.commitments import Commitments
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.resources import Resources
from spotwise.ports.clock import ManualClock
from spotwise.ports.cluster import ClusterSnapshot, Eviction
from spotwise.provisioning.assembly import build_provisioner
from spotwise.provisioning.provisioner import Provisioner
from spotwise.simulated.cloud import SimulatedCloud

GI = 2**30


class FakeCluster:
    """A Cluster port over plain lists: the pods and nodes a test puts in."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.pending: list[Pod] = []

    def snapshot(self) -> ClusterSnapshot:
        return ClusterSnapshot(tuple(self.nodes), tuple(self.pending))

    def patch_node(self, name, patch) -> None:
        raise AssertionError("the provisioner patches no node")

    def evict(self, pod: str) -> Eviction:
        raise AssertionError("the provisioner evicts nothing")

    def delete_pod(self, pod: str) -> None:
        raise AssertionError("the provisioner deletes no pod")

    def delete_node(self, name: str) -> None:
        raise AssertionError("the provisioner deletes no node")

    def emit(self, event) -> None:
        pass

    def attached_volumes(self, node: str) -> tuple[str, ...]:
        return ()


def pods(n: int, cpu: int = 1000, prefix: str = "web") -> list[Pod]:
    spec = PodSpec("shop", requests=Resources(cpu, 2 * GI, 1))
    return [Pod(f"{prefix}-{i}", spec) for i in range(n)]


def nodepool(**spec: object) -> NodePool:
    return NodePool.model_validate(
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": "web"},
            "spec": {"zones": ["us-east-1a", "us-east-1b"], **spec},
        }
    )


def setup(
    *,
    dry_run: bool = False,
    cloud: SimulatedCloud | None = None,
    commitments: Commitments | None = None,
    **spec: object,
) -> tuple[Provisioner, FakeCluster, SimulatedCloud, ManualClock]:
    clock = ManualClock(1_000.0)
    cloud = cloud or sim_cloud(clock=clock)
    cluster = FakeCluster()
    provisioner = build_provisioner(
        cluster,
        cloud,
        [nodepool(**spec)],
        load_bundled(),
        clock,
        cluster_name="test",
        registry=CollectorRegistry(),
        dry_run=dry_run,
        commitments=commitments,
    )
    return provisioner, cluster, cloud, clock
