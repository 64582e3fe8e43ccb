"""Garbage collection: instances that never became Nodes, and Nodes whose instance is gone.

Karpenter's two garbage collectors, for spotwise's own capacity only: an instance tagged
for the cluster that has no Node after the registration timeout (and that the
provisioner is not waiting for) is terminated, so a crash between launch and
registration leaks nothing; a Node of a spotwise pool whose instance is terminated is
deleted, so its pods are recreated elsewhere rather than waiting for the node-lifecycle
controller. Nodes spotwise did not launch are never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from spotwise.controller.metrics import ControllerMetrics
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node
from spotwise.model.provider_id import instance_id
from spotwise.ports.clock import Clock
from spotwise.ports.cloud import Cloud, Instance
from spotwise.ports.cluster import Cluster, ClusterEvent
from spotwise.provisioning.provisioner import Provisioner

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Garbage:
    """What garbage collection removes.

    Attributes:
        orphans: Instances with no Node after the registration timeout.
        suspects: Nodes of spotwise pools whose instance is not among the live owned
            ones; deleted once the cloud confirms the instance is gone.
    """

    orphans: tuple[Instance, ...] = ()
    suspects: tuple[Node, ...] = ()


def find_garbage(
    instances: Sequence[Instance],
    nodes: Sequence[Node],
    in_flight: Collection[str],
    now: float,
    registration_timeout: float,
) -> Garbage:
    """Orphaned instances and suspect Nodes (pure; see the module's docstring).

    Args:
        instances: The cluster's live instances (`Cloud.owned_instances`).
        nodes: The cluster's Nodes.
        in_flight: Instance ids the provisioner still waits for.
        now: The time.
        registration_timeout: Seconds an instance has to register.
    """
    registered = {instance_id(n.provider_id) for n in nodes if n.provider_id}
    orphans = tuple(
        i
        for i in instances
        if i.instance_id not in registered
        and i.instance_id not in in_flight
        and now - i.launch_time >= registration_timeout
    )
    live = {i.instance_id for i in instances}
    suspects = tuple(
        n
        for n in nodes
        if n.provider_id and NODE_POOL in n.labels and instance_id(n.provider_id) not in live
    )
    return Garbage(orphans, suspects)


class GarbageCollector:
    """Runs garbage collection over the ports; also re-adopts booting instances.

    Args:
        cluster: The cluster.
        cloud: The cloud.
        provisioner: The provisioning loop, whose in-flight nodes are not garbage (and
            which adopts the booting instances it does not know, after a takeover).
        clock: Time.
        cluster_name: The name the cluster's instances are tagged with.
        metrics: Where decisions are counted.
        dry_run: Decide and log, remove nothing.
    """

    def __init__(
        self,
        cluster: Cluster,
        cloud: Cloud,
        provisioner: Provisioner,
        clock: Clock,
        *,
        cluster_name: str,
        metrics: ControllerMetrics,
        dry_run: bool = False,
    ) -> None:
        self.cluster = cluster
        self.cloud = cloud
        self.provisioner = provisioner
        self.clock = clock
        self.cluster_name = cluster_name
        self.metrics = metrics
        self.dry_run = dry_run

    def run(self) -> Garbage:
        """One pass: adopt, find, and remove (unless dry run); returns what was found."""
        instances = self.cloud.owned_instances(self.cluster_name)
        nodes = self.cluster.snapshot().nodes
        self.provisioner.adopt(instances, nodes)
        in_flight = {r.key for r in self.provisioner.inflight.records()}
        found = find_garbage(
            instances, nodes, in_flight, self.clock.now(), self.provisioner.registration_timeout
        )
        self._terminate(found.orphans)
        gone = self._confirmed_gone(found.suspects)
        for node in gone:
            self._delete(node)
        return Garbage(found.orphans, gone)

    def _terminate(self, orphans: Sequence[Instance]) -> None:
        for instance in orphans:
            self.metrics.decisions.labels("garbage", "terminate-orphan").inc()
            log.info(
                "%s instance %s: no Node registered in time",
                "would terminate" if self.dry_run else "terminating",
                instance.instance_id,
                extra={"fields": {"instance": instance.instance_id, "dry_run": self.dry_run}},
            )
        if orphans and not self.dry_run:
            self.cloud.terminate([i.instance_id for i in orphans])

    def _confirmed_gone(self, suspects: Sequence[Node]) -> tuple[Node, ...]:
        if not suspects:
            return ()
        ids = [instance_id(n.provider_id) for n in suspects]
        described = {i.instance_id: i for i in self.cloud.describe(ids)}
        return tuple(
            n
            for n in suspects
            if (i := described.get(instance_id(n.provider_id))) is None or i.state.gone
        )

    def _delete(self, node: Node) -> None:
        self.metrics.decisions.labels("garbage", "delete-node").inc()
        log.info(
            "%s node %s: its instance is gone",
            "would delete" if self.dry_run else "deleting",
            node.name,
            extra={"fields": {"node": node.name, "dry_run": self.dry_run}},
        )
        if self.dry_run:
            return
        self.cluster.emit(
            ClusterEvent("Node", node.name, "InstanceGone", "Its instance is terminated.", True)
        )
        self.cluster.delete_node(node.name)
