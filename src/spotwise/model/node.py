"""Nodes that exist (or are being launched) and the pods bound to them."""

from __future__ import annotations

from dataclasses import dataclass

from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME, INSTANCE_TYPE, ZONE
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import Pod
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import Taint


@dataclass(frozen=True, slots=True)
class Node:
    """A node of the cluster as the scheduler sees it.

    Attributes:
        name: The node name (its ``kubernetes.io/hostname`` label, too).
        labels: Node labels.
        taints: Node taints.
        allocatable: What pods may use (capacity minus system reservations).
        pods: Pods bound to it, DaemonSet pods included.
        capacity_type: Spot or on-demand, when known.
        price: USD per hour, when known.
        unschedulable: Cordoned (``spec.unschedulable``).
    """

    name: str
    labels: LabelSet
    taints: tuple[Taint, ...]
    allocatable: Resources
    pods: tuple[Pod, ...] = ()
    capacity_type: CapacityType | None = None
    price: float | None = None
    unschedulable: bool = False

    @property
    def zone(self) -> str | None:
        """The node's zone label."""
        return self.labels.get(ZONE)

    @property
    def instance_type(self) -> str | None:
        """The node's instance-type label."""
        return self.labels.get(INSTANCE_TYPE)

    @property
    def hostname(self) -> str:
        """The hostname label, or the name when the label is missing."""
        return self.labels.get(HOSTNAME) or self.name

    @property
    def requested(self) -> Resources:
        """The sum of the requests of the pods bound to it."""
        total = Resources()
        for pod in self.pods:
            total = total + pod.spec.requests
        return total
