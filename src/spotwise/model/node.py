"""Nodes that exist (or are being launched) and the pods bound to them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME, INSTANCE_TYPE, ZONE
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import Pod, PodSpec
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
        provider_id: ``spec.providerID`` (``aws:///<zone>/<instance-id>`` on EC2); empty
            when unknown. It ties the node to its instance.
        annotations: Node annotations (where handlers keep what is in progress).
        boot_id: ``status.nodeInfo.bootID``: the kubelet reports a new one after each
            reboot; empty when unknown.
        created_at: ``metadata.creationTimestamp``, seconds since the epoch (None:
            unknown, as in exported manifests without it).
    """

    name: str
    labels: LabelSet
    taints: tuple[Taint, ...]
    allocatable: Resources
    pods: tuple[Pod, ...] = ()
    capacity_type: CapacityType | None = None
    price: float | None = None
    unschedulable: bool = False
    provider_id: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)
    boot_id: str = ""
    created_at: float | None = None
    _requested: Resources = field(default=Resources(), init=False, repr=False, compare=False)
    _specs: tuple[tuple[PodSpec, int], ...] = field(
        default=(), init=False, repr=False, compare=False
    )
    _free: Resources = field(default=Resources(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Summed once: the packer asks for every node's usage and pod kinds on every plan.
        total = Resources()
        counts: dict[PodSpec, int] = {}
        for pod in self.pods:
            total = total + pod.spec.requests
            counts[pod.spec] = counts.get(pod.spec, 0) + 1
        object.__setattr__(self, "_requested", total)
        object.__setattr__(self, "_specs", tuple(counts.items()))
        object.__setattr__(self, "_free", _minus(self.allocatable, total))

    @property
    def free(self) -> Resources:
        """What is left of its allocatable (may be negative when over-committed)."""
        return self._free

    @property
    def pod_specs(self) -> tuple[tuple[PodSpec, int], ...]:
        """The distinct specs of its pods, with how many pods have each."""
        return self._specs

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
        return self._requested


def _minus(a: Resources, b: Resources) -> Resources:
    return Resources(
        a.cpu_milli - b.cpu_milli,
        a.memory_bytes - b.memory_bytes,
        a.pods - b.pods,
        tuple((n, c - b.get(n)) for n, c in a.extended),
        a.ephemeral_bytes - b.ephemeral_bytes,
    )
