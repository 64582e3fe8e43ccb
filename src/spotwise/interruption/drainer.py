"""The drain loop: carries out `drain_step` on every node marked as interrupted.

State is on the nodes (`spotwise.decisions.interruption.node_state`), so this loop needs
no memory beyond budget backoffs: any replica, or the same one after a restart, picks up
where the last run stopped. Replacement first: a node's pods are evicted once they fit
on Ready nodes that are not going away (the provisioner counts them as pending from the
moment the node is marked, so that capacity is being launched already), or when the
deadline allows no more waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from spotwise.decisions.interruption.drain import Backoff, DrainPod, DrainStep, Role, drain_step
from spotwise.decisions.interruption.node_state import InProgress, in_progress
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.interruption.metrics import InterruptionMetrics
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.provider_id import instance_id
from spotwise.ports.clock import Clock
from spotwise.ports.cloud import Cloud
from spotwise.ports.cluster import Cluster, ClusterEvent, Eviction

log = logging.getLogger(__name__)

# Taints of nodes that take no pods now, whatever the pods tolerate.
_NOT_READY = frozenset({"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"})


@dataclass(slots=True)
class DrainReport:
    """What one run did.

    Attributes:
        evicted: Pods evicted, with whether their replacement capacity was Ready.
        deleted: Pods deleted at the deadline, budgets aside, with whether their
            replacement capacity was Ready.
        blocked: Evictions a budget refused (tried again after a backoff).
        finished: Nodes drained and removed (spotwise's: instance terminated too).
        waiting: Nodes still waiting, with why.
    """

    evicted: list[tuple[str, bool]] = field(default_factory=list)
    deleted: list[tuple[str, bool]] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    waiting: dict[str, str] = field(default_factory=dict)


class Drainer:
    """Drains interrupted nodes through the Cluster port, and retires spotwise's.

    Args:
        cluster: The cluster.
        cloud: The cloud, to terminate a drained node's instance.
        clock: Time.
        dry_run: Decide and log, change nothing.
        metrics: Where pods moved and drain durations are counted; None counts nothing.
    """

    def __init__(
        self,
        cluster: Cluster,
        cloud: Cloud,
        clock: Clock,
        *,
        dry_run: bool = False,
        metrics: InterruptionMetrics | None = None,
    ):
        self.metrics = metrics
        self.cluster = cluster
        self.cloud = cloud
        self.clock = clock
        self.dry_run = dry_run
        self.backoff = Backoff()

    def run(self) -> DrainReport:
        """One pass over every marked node."""
        report = DrainReport()
        snapshot = self.cluster.snapshot()
        marked = [(n, p) for n in snapshot.nodes if (p := in_progress(n)) is not None]
        if not marked:
            return report
        ready = replacement_ready([n for n, _ in marked], snapshot.nodes, snapshot.daemonsets)
        now = self.clock.now()
        for node, progress in marked:
            pods = [drain_pod(p) for p in node.pods]
            step = drain_step(pods, now, progress.deadline, ready[node.name], self.backoff.retry_at)
            self._carry_out(node, progress, step, ready[node.name], report)
        return report

    def _carry_out(
        self,
        node: Node,
        progress: InProgress,
        step: DrainStep,
        ready: bool,
        report: DrainReport,
    ) -> None:
        if step.waiting:
            report.waiting[node.name] = step.waiting
        if self.dry_run:
            for key in (*step.delete, *step.evict):
                log.info("would move pod %s off %s", key, node.name)
            return
        now = self.clock.now()
        for key in step.delete:
            self.cluster.delete_pod(key)
            report.deleted.append((key, ready))
            if self.metrics is not None:
                self.metrics.pods_deleted.inc()
            log.warning(
                "deleted pod %s on %s: its grace period would outlast the deadline",
                key,
                node.name,
                extra={"fields": {"pod": key, "node": node.name, "kind": progress.kind}},
            )
        for key in step.evict:
            verdict = self.cluster.evict(key)
            if verdict is Eviction.BLOCKED:
                self.backoff.refused(key, now)
                report.blocked.append(key)
                continue
            self.backoff.forget(key)
            if verdict is Eviction.EVICTED:
                report.evicted.append((key, ready))
                if self.metrics is not None:
                    self.metrics.pods_evicted.labels(str(ready).lower()).inc()
                log.info(
                    "evicted pod %s from %s",
                    key,
                    node.name,
                    extra={"fields": {"pod": key, "node": node.name, "replacement_ready": ready}},
                )
        if step.done:
            self._finish(node, progress, report)

    def _finish(self, node: Node, progress: InProgress, report: DrainReport) -> None:
        """Drained: spotwise's own node goes (instance, then Node); others stay cordoned."""
        report.finished.append(node.name)
        if self.metrics is not None and progress.marked_at is not None:
            self.metrics.drain_seconds.observe(max(0.0, self.clock.now() - progress.marked_at))
        if NODE_POOL not in node.labels or not node.provider_id:
            return  # an Auto Scaling or other group's node: its owner terminates it
        self.cloud.terminate([instance_id(node.provider_id)])
        self.cluster.emit(
            ClusterEvent(
                "Node",
                node.name,
                "InterruptionDrained",
                f"Drained for {progress.kind}; its instance is terminated.",
            )
        )
        self.cluster.delete_node(node.name)


def drain_pod(pod: Pod) -> DrainPod:
    """What the drain needs of a pod."""
    role = Role.STAYS if pod.per_node else Role.CRITICAL if pod.critical else Role.ORDINARY
    return DrainPod(pod.key, pod.grace_seconds, role, pod.terminating)


def replacement_ready(
    leaving: Sequence[Node], nodes: Sequence[Node], daemonsets: Sequence[PodSpec]
) -> dict[str, bool]:
    """For each node going away, whether all its pods fit on Ready nodes that stay, now.

    The pods of every node going away are placed together, so that two nodes' pods are
    not both counted into the same free room.
    """
    going = {n.name for n in leaving}
    staying = tuple(
        n for n in nodes if n.name not in going and not any(t.key in _NOT_READY for t in n.taints)
    )
    moving = {n.name: [p for p in n.pods if not p.per_node and not p.terminating] for n in leaving}
    pods = tuple(p for group in moving.values() for p in group)
    if not pods:
        return dict.fromkeys(going, True)
    placed = {p.pod for p in pack(PackInput(pods, staying, (), tuple(daemonsets))).existing}
    return {name: all(p.key in placed for p in group) for name, group in moving.items()}
