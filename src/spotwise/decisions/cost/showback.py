"""Showback: each node's price split among the pods on it, and what is left idle (pure).

After OpenCost's rule, on requests: a node's hourly price is split into CPU, memory and
GPU parts in the proportion of their default unit prices (`UNIT_PRICES`, OpenCost's
defaults), and each pod is charged its share of each part: its request over the node's
allocatable (OpenCost divides by capacity, which charges the kubelet's reservations to
idle; allocatable charges them to the pods, who cannot use them anyway). What no pod
requested is the node's idle cost, its own line, so the lines add up to the bill;
requests beyond allocatable share the part among them. Only ``nvidia.com/gpu`` counts
as a GPU, and commitments are not counted: a node is charged at its catalog price.
Usage is not known here (no metrics are read), so requests alone are charged, not
max(request, usage).

Lines are grouped by namespace, or by workload (namespace and owner, the Deployment of a
ReplicaSet's pods; a bare pod is its own workload).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from spotwise.model.pod import Pod
from spotwise.model.resources import NVIDIA_GPU, Resources

# OpenCost's default unit prices, USD per hour: a vCPU, a GiB of memory, a GPU. Only their
# ratios matter here: they split a node's real price into its parts.
UNIT_PRICES = {"cpu": 0.031611, "memory_gib": 0.004237, "gpu": 0.95}
IDLE = "__idle__"
GIB = 2**30


class GroupBy(enum.StrEnum):
    """How showback lines are grouped."""

    NAMESPACE = "namespace"
    WORKLOAD = "workload"


@dataclass(frozen=True, slots=True)
class PricedNode:
    """A node with its hourly price and the pods bound to it.

    Attributes:
        name: The node.
        price: USD per hour.
        allocatable: What pods may request on it.
        pods: The pods bound to it.
    """

    name: str
    price: float
    allocatable: Resources
    pods: tuple[Pod, ...]


@dataclass(frozen=True, slots=True)
class Line:
    """One group's cost per hour.

    Attributes:
        name: The namespace, ``namespace/Kind/name`` for a workload, or ``__idle__``.
        cpu: USD per hour of CPU.
        memory: USD per hour of memory.
        gpu: USD per hour of GPUs.
        pods: Pods counted (0 for the idle line).
    """

    name: str
    cpu: float
    memory: float
    gpu: float
    pods: int

    @property
    def total(self) -> float:
        """USD per hour."""
        return self.cpu + self.memory + self.gpu


def showback(nodes: Sequence[PricedNode], by: GroupBy) -> tuple[Line, ...]:
    """The lines, dearest first, the idle line last; they add up to the nodes' prices."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for node in nodes:
        parts = _parts(node)
        left = list(parts)
        # Requests beyond allocatable (a node overcommitted by hand) share what there is.
        room = _room(node)
        for pod in node.pods:
            shares = _shares(pod.spec.requests, room)
            charge = [part * share for part, share in zip(parts, shares, strict=True)]
            row = sums[_group(pod, by)]
            for k in range(3):
                row[k] += charge[k]
                left[k] -= charge[k]
            row[3] += 1
        idle = sums[IDLE]
        for k in range(3):
            idle[k] += max(0.0, left[k])
    lines = [_line(name, row) for name, row in sums.items() if name != IDLE]
    lines.sort(key=lambda line: (-line.total, line.name))
    if IDLE in sums:
        lines.append(_line(IDLE, sums[IDLE]))
    return tuple(lines)


def _line(name: str, row: list[float]) -> Line:
    cpu, memory, gpu, pods = row
    return Line(name, cpu, memory, gpu, int(pods))


def _parts(node: PricedNode) -> tuple[float, float, float]:
    """The node's price split into CPU, memory and GPU by the unit prices' proportions."""
    a = node.allocatable
    weights = (
        a.cpu_milli / 1000 * UNIT_PRICES["cpu"],
        a.memory_bytes / GIB * UNIT_PRICES["memory_gib"],
        a.get(NVIDIA_GPU) * UNIT_PRICES["gpu"],
    )
    total = sum(weights)
    if total <= 0:
        return (node.price, 0.0, 0.0)
    return (
        node.price * weights[0] / total,
        node.price * weights[1] / total,
        node.price * weights[2] / total,
    )


def _room(node: PricedNode) -> tuple[float, float, float]:
    """What the node's pods share: its allocatable, or all they request when that is more."""
    a = node.allocatable
    requested = [p.spec.requests for p in node.pods]
    return (
        max(a.cpu_milli, sum(r.cpu_milli for r in requested)),
        max(a.memory_bytes, sum(r.memory_bytes for r in requested)),
        max(a.get(NVIDIA_GPU), sum(r.get(NVIDIA_GPU) for r in requested)),
    )


def _shares(request: Resources, room: tuple[float, float, float]) -> tuple[float, float, float]:
    """A request's share of each part."""

    def share(used: float, total: float) -> float:
        return used / total if total > 0 else 0.0

    return (
        share(request.cpu_milli, room[0]),
        share(request.memory_bytes, room[1]),
        share(request.get(NVIDIA_GPU), room[2]),
    )


def _group(pod: Pod, by: GroupBy) -> str:
    if by is GroupBy.NAMESPACE:
        return pod.namespace
    return f"{pod.namespace}/{pod.owner or f'Pod/{pod.name}'}"
