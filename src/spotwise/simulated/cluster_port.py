"""The Cluster port over the simulated cluster, in virtual time.

What the interruption handler and consolidation will call in the simulator, the same
calls they make on a real cluster: cordon and taint through ``patch_node``, drain through
``evict`` (PodDisruptionBudgets honoured, as the eviction API does), ``delete_pod``,
``delete_node``, and Events. Time and workload facts (grace periods, how many replicas a
controller wants) come from the engine through the `Workloads` it passes in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Protocol

from spotwise.decisions.disruption.budgets import (
    Coverage,
    PodState,
    Verdict,
    disruptions_allowed,
    eviction_verdict,
)
from spotwise.kubernetes.manifests.pdbs import PodDisruptionBudget
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import PodSpec
from spotwise.model.scheduling_terms import Taint
from spotwise.ports.cluster import ClusterEvent, ClusterSnapshot, Eviction, NodePatch
from spotwise.simulated.cluster import Phase, SimCluster, SimNode, SimPod

_STATES = {
    Phase.PENDING: PodState.PENDING,
    # Bound with containers being created: the API's phase is still Pending. (The
    # simulator has no running-but-unready state; PodState.STARTING is for real clusters.)
    Phase.STARTING: PodState.PENDING,
    Phase.RUNNING: PodState.READY,
    Phase.TERMINATING: PodState.TERMINATING,
    Phase.SUCCEEDED: PodState.FINISHED,
    Phase.GONE: PodState.FINISHED,
}


class Workloads(Protocol):
    """What the engine knows of the pods' owners."""

    def now(self) -> float:
        """The virtual time."""
        ...

    def grace_seconds(self, owner: str) -> float:
        """``terminationGracePeriodSeconds`` of the owner's pods."""
        ...

    def expected(self, owner: str) -> int | None:
        """The replicas the owner's controller wants; None without a scale (Jobs, bare pods)."""
        ...


class SimulatedCluster:
    """`spotwise.ports.cluster.Cluster` for the simulator.

    Args:
        cluster: The simulated cluster's state.
        workloads: Time and owner facts from the engine.
        drop_node: The engine's handling of a node that is gone (its pods die and their
            owners replace them); called by ``delete_node``.
        budgets: Every PodDisruptionBudget of the scenario.
        daemonsets: DaemonSet pod specs.
    """

    def __init__(
        self,
        cluster: SimCluster,
        workloads: Workloads,
        drop_node: Callable[[SimNode, float], None],
        budgets: Sequence[PodDisruptionBudget] = (),
        daemonsets: Sequence[PodSpec] = (),
    ) -> None:
        self.cluster = cluster
        self.workloads = workloads
        self.budgets = tuple(budgets)
        self.daemonsets = tuple(daemonsets)
        self._drop_node = drop_node
        self.events: list[tuple[float, ClusterEvent]] = []
        # Budget -> the owners whose pods it covers, for the owners alive when computed.
        self._covered: dict[str, tuple[str, ...]] = {}
        self._owners_seen: frozenset[str] = frozenset()

    def snapshot(self) -> ClusterSnapshot:
        """Nodes (ready first, then booting), pending pods, budgets and DaemonSets."""
        now = self.workloads.now()
        return ClusterSnapshot(
            nodes=self.cluster.scheduler_nodes(now),
            pending=tuple(p.pod for p in self.cluster.pending()),
            budgets=self._with_status(),
            daemonsets=self.daemonsets,
        )

    def patch_node(self, name: str, patch: NodePatch) -> None:
        """Change a node's labels, taints or cordon; an unknown node is ignored."""
        node = self.cluster.nodes.get(name)
        if node is None:
            return
        labels = dict(node.labels)
        for key, value in patch.labels.items():
            if value is None:
                labels.pop(key, None)
            else:
                labels[key] = value
        for key, value in patch.annotations.items():
            if value is None:
                node.annotations.pop(key, None)
            else:
                node.annotations[key] = value
        removed = {(t.key, t.effect) for t in (*patch.remove_taints, *patch.add_taints)}
        taints: tuple[Taint, ...] = (
            *(t for t in node.taints if (t.key, t.effect) not in removed),
            *patch.add_taints,
        )
        node.labels, node.taints = LabelSet(labels), taints
        if patch.unschedulable is not None:
            node.unschedulable = patch.unschedulable
        self.cluster.node_changed(name)

    def evict(self, pod: str) -> Eviction:
        """The eviction API: budgets first, then graceful termination."""
        found = self.cluster.pods.get(pod)
        if found is None or found.phase in (Phase.SUCCEEDED, Phase.GONE):
            return Eviction.GONE
        verdict = eviction_verdict(_STATES[found.phase], self._coverage(found))
        if verdict is Verdict.BLOCKED:
            return Eviction.BLOCKED
        if verdict is Verdict.MULTIPLE_BUDGETS:
            return Eviction.REFUSED
        self._terminate(found)
        return Eviction.EVICTED

    def delete_pod(self, pod: str) -> None:
        """Delete a pod with its grace period, whatever the budgets say."""
        found = self.cluster.pods.get(pod)
        if found is not None and found.phase not in (Phase.SUCCEEDED, Phase.GONE):
            self._terminate(found)

    def delete_node(self, name: str) -> None:
        """Delete a node: its pods go with it, and their owners replace them."""
        node = self.cluster.nodes.get(name)
        if node is not None:
            self._drop_node(node, self.workloads.now())

    def emit(self, event: ClusterEvent) -> None:
        """Keep the Event, stamped with the virtual time."""
        self.events.append((self.workloads.now(), event))

    def attached_volumes(self, node: str) -> tuple[str, ...]:
        """None: the simulated cluster does not model volume attachments."""
        return ()

    def _terminate(self, pod: SimPod) -> None:
        if pod.phase is Phase.PENDING:
            self.cluster.delete_pending(pod.pod.key)
        elif pod.phase is not Phase.TERMINATING:
            grace = self.workloads.grace_seconds(pod.owner)
            self.cluster.set_terminating(pod.pod.key, self.workloads.now() + grace)

    def _with_status(self) -> tuple[PodDisruptionBudget, ...]:
        """The budgets with ``disruptionsAllowed`` as the disruption controller would write it.

        Counted per owner (its pods share their labels), so that a snapshot costs what the
        owners are, not what the pods are.
        """
        if not self.budgets:
            return ()
        cluster = self.cluster
        owners = frozenset(o for o, keys in cluster.active.items() if keys)
        if owners != self._owners_seen:
            self._owners_seen = owners
            specs = {o: cluster.pods[next(iter(cluster.active[o]))].pod.spec for o in owners}
            self._covered = {
                pdb.key: tuple(
                    sorted(
                        o
                        for o, spec in specs.items()
                        if spec.namespace == pdb.namespace and pdb.selector.matches(spec.labels)
                    )
                )
                for pdb in self.budgets
            }
        found = []
        for pdb in self.budgets:
            covered = self._covered.get(pdb.key, ())
            healthy = sum(cluster.running[o] for o in covered)
            if isinstance(pdb.min_available, int):
                expected = sum(cluster.active_count(o) for o in covered)
            else:
                scales = [self.workloads.expected(o) for o in covered]
                jobs = any(
                    s is None and o.startswith("Job/") for s, o in zip(scales, covered, strict=True)
                )
                expected = 0 if jobs else sum(s or 0 for s in scales)
            allowed = disruptions_allowed(pdb, expected, healthy)
            found.append(dataclasses.replace(pdb, disruptions_allowed=allowed))
        return tuple(found)

    def _coverage(self, pod: SimPod) -> list[Coverage]:
        """Every budget over ``pod``, with its expected and healthy counts now."""
        spec = pod.pod.spec
        found = []
        for pdb in self.budgets:
            if pdb.namespace != spec.namespace or not pdb.selector.matches(spec.labels):
                continue
            covered = [
                self.cluster.pods[k]
                for k in self.cluster.live
                if self.cluster.pods[k].pod.spec.namespace == pdb.namespace
                and pdb.selector.matches(self.cluster.pods[k].pod.spec.labels)
            ]
            healthy = sum(p.phase is Phase.RUNNING for p in covered)
            found.append(Coverage(pdb, self._expected(pdb, covered), healthy))
        return found

    def _expected(self, pdb: PodDisruptionBudget, covered: list[SimPod]) -> int:
        """The disruption controller's expected count for ``pdb``.

        A count of pods for an integer ``minAvailable``, else the sum of the owners' scales.
        """
        active = [p for p in covered if p.phase is not Phase.TERMINATING]
        if isinstance(pdb.min_available, int):
            return len(active)
        total = 0
        for owner in sorted({p.owner for p in active}):
            scale = self.workloads.expected(owner)
            if scale is None and owner.startswith("Job/"):
                # A Job has no scale: the disruption controller fails to sync the budget,
                # which then allows nothing.
                return 0
            total += scale or 0  # pods without a controller count for nothing
        return total
