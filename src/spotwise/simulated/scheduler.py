"""kube-scheduler's part in the simulated cluster: pending pods are bound to ready nodes.

The decision is the packer with no pools, that is Kubernetes' scheduling predicates over
the ready nodes; a pod that fits none stays pending for the provisioner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from spotwise.decisions.scheduling.packer import PackInput, PackMemo, pack
from spotwise.model.pod import PodSpec
from spotwise.simulated.cluster import SimCluster


class SimScheduler:
    """Binds pending pods of a simulated cluster.

    Args:
        cluster: The simulated cluster.
        startup_seconds: How long a pod of an owner takes from binding to ready.
    """

    def __init__(self, cluster: SimCluster, startup_seconds: Callable[[str], float]) -> None:
        self.cluster = cluster
        self.startup_seconds = startup_seconds
        self._memo = PackMemo()

    def bind_pending(self, now: float, daemonsets: Sequence[PodSpec]) -> int:
        """Bind the pending pods that fit on ready nodes; returns how many were bound."""
        pending = self.cluster.pending()
        ready = self.cluster.ready_nodes(now)
        if not pending or not ready:
            return 0
        pods = tuple(p.pod for p in pending)
        plan = pack(PackInput(pods, ready, (), tuple(daemonsets), self._memo))
        for placement in plan.existing:
            owner = self.cluster.pods[placement.pod].owner
            self.cluster.bind(placement.pod, placement.node, now + self.startup_seconds(owner))
        return len(plan.existing)
