"""The Cluster port: what the decision code reads from and asks of Kubernetes.

Assumptions every implementation honours:

* ``snapshot`` is consistent for one decision: nodes with their bound pods, pending pods,
  budgets and DaemonSet overhead, all as of one moment.
* ``evict`` is the eviction subresource, never a plain delete: it honours every
  PodDisruptionBudget (`spotwise.decisions.disruption.budgets.eviction_verdict`) and starts the
  pod's graceful termination when allowed. A refused eviction changes nothing.
* ``delete_pod`` and ``delete_node`` are idempotent: what is already gone is not an error.
* ``patch_node`` changes only what the patch names; taints are added and removed by key
  and effect, so a taint someone else put on the node stays.
* ``emit`` never fails the caller: an Event that cannot be written is dropped and logged.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from spotwise.kubernetes.manifests.pdbs import PodDisruptionBudget
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.scheduling_terms import Taint


class Eviction(enum.Enum):
    """What came of an eviction."""

    EVICTED = "evicted"  # terminating now, with its grace period
    BLOCKED = "blocked-by-pdb"  # a budget allows no disruption now: try again later
    REFUSED = "refused"  # the API will not evict it (more than one budget covers it)
    GONE = "gone"  # no such pod, or it has finished


@dataclass(frozen=True, slots=True)
class NodePatch:
    """A change to one node; fields left at their defaults are not touched.

    Attributes:
        labels: Labels to set; a value of None removes the label.
        annotations: Annotations to set; a value of None removes the annotation.
        add_taints: Taints to add (a taint with the same key and effect is replaced).
        remove_taints: Taints to remove, matched by key and effect.
        unschedulable: Cordon (True) or uncordon (False).
    """

    labels: Mapping[str, str | None] = field(default_factory=dict)
    annotations: Mapping[str, str | None] = field(default_factory=dict)
    add_taints: tuple[Taint, ...] = ()
    remove_taints: tuple[Taint, ...] = ()
    unschedulable: bool | None = None


@dataclass(frozen=True, slots=True)
class ClusterEvent:
    """A Kubernetes Event about a node or a pod.

    Attributes:
        kind: ``Node`` or ``Pod``.
        name: The object's name (``namespace/name`` for a pod).
        reason: A CamelCase reason, such as ``SpotInterrupted``.
        message: One sentence for people.
        warning: A ``Warning`` event rather than ``Normal``.
    """

    kind: str
    name: str
    reason: str
    message: str
    warning: bool = False


@dataclass(frozen=True, slots=True)
class ClusterSnapshot:
    """The cluster as the decision code sees it at one moment.

    Attributes:
        nodes: Every node with its bound pods, cordons and taints.
        pending: Pods waiting for a node.
        budgets: Every PodDisruptionBudget.
        daemonsets: The pod spec of each DaemonSet, which every new node will run.
    """

    nodes: tuple[Node, ...]
    pending: tuple[Pod, ...]
    budgets: tuple[PodDisruptionBudget, ...] = ()
    daemonsets: tuple[PodSpec, ...] = ()


class Cluster(Protocol):
    """Kubernetes, as the controller, the handlers and the simulator use it."""

    def snapshot(self) -> ClusterSnapshot:
        """Nodes, pending pods, budgets and DaemonSets now."""
        ...

    def patch_node(self, name: str, patch: NodePatch) -> None:
        """Change a node's labels, taints or cordon."""
        ...

    def evict(self, pod: str) -> Eviction:
        """Evict pod ``namespace/name`` through the eviction API."""
        ...

    def delete_pod(self, pod: str) -> None:
        """Delete pod ``namespace/name`` with its grace period, budgets aside."""
        ...

    def delete_node(self, name: str) -> None:
        """Delete the Node object (its pods go with it).

        The instance is not terminated: the caller does that through the Cloud port,
        first, or the kubelet registers the node again.
        """
        ...

    def emit(self, event: ClusterEvent) -> None:
        """Record an Event."""
        ...

    def attached_volumes(self, node: str) -> tuple[str, ...]:
        """The PersistentVolumes still attached to ``node`` (its VolumeAttachments)."""
        ...
