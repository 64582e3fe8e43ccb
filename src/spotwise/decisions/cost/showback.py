"""Showback: each node's price split among the pods on it, and what is left idle (pure).

After OpenCost's rule, on requests: a node's hourly price is split into CPU, memory and
GPU parts in the proportion of their default unit prices (`UNIT_PRICES`, OpenCost's
defaults), and each pod is charged its share of each part: its request over the node's
allocatable (OpenCost divides by capacity, which charges the kubelet's reservations to
idle; allocatable charges them to the pods, who cannot use them anyway). What no pod
requested is the node's idle cost, its own line, so the lines add up to the bill;
requests beyond allocatable share the part among them. Only ``nvidia.com/gpu`` counts
as a GPU, and commitments are not counted: a node is charged at its catalog price.

Where a pod's usage is known (metrics-server's), it is charged max(request, usage) of CPU
and of memory, as OpenCost does: a pod that uses more than it asked for pays for it,
and one that asked for more than it uses still pays for what it holds. GPUs are charged
by request.

A pool's headroom (capacity spotwise keeps free so that new pods start at once) is its
own line, ``__headroom__``: up to the headroom the pool asks for, the free room of its
nodes is charged there instead of to idle. What is left free is idle.

Lines are grouped by namespace, or by workload (namespace and owner, the Deployment of a
ReplicaSet's pods; a bare pod is its own workload).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from spotwise.model.pod import Pod
from spotwise.model.resources import NVIDIA_GPU, Resources

# OpenCost's default unit prices, USD per hour: a vCPU, a GiB of memory, a GPU. Only their
# ratios matter here: they split a node's real price into its parts.
UNIT_PRICES = {"cpu": 0.031611, "memory_gib": 0.004237, "gpu": 0.95}
IDLE = "__idle__"
HEADROOM = "__headroom__"
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
        pool: Its spotwise node pool, if any (for the pool's headroom).
        usage: Pod key -> what it uses now, where known.
    """

    name: str
    price: float
    allocatable: Resources
    pods: tuple[Pod, ...]
    pool: str = ""
    usage: Mapping[str, Resources] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class Line:
    """One group's cost per hour.

    Attributes:
        name: The namespace, ``namespace/Kind/name`` for a workload, ``__headroom__`` or
            ``__idle__``.
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


def showback(
    nodes: Sequence[PricedNode], by: GroupBy, headroom: Mapping[str, Resources] | None = None
) -> tuple[Line, ...]:
    """The lines, dearest first, then headroom and idle; they add up to the nodes' prices.

    Args:
        nodes: The nodes, priced, with their pods (and usage, where known).
        by: How pods' lines are grouped.
        headroom: Pool -> the CPU and memory it keeps free (none: no headroom line).
    """
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    wanted = {
        pool: [float(r.cpu_milli), float(r.memory_bytes)] for pool, r in (headroom or {}).items()
    }
    for node in nodes:
        parts = _parts(node)
        charged = [_charged(pod, node.usage) for pod in node.pods]
        # Charges beyond allocatable (a node overcommitted, or pods using more than it
        # has) share what there is.
        room = _room(node.allocatable, charged)
        left = list(parts)
        for pod, amount in zip(node.pods, charged, strict=True):
            shares = _shares(amount, room)
            row = sums[_group(pod, by)]
            for k in range(3):
                row[k] += parts[k] * shares[k]
                left[k] -= parts[k] * shares[k]
            row[3] += 1
        spare = wanted.get(node.pool)
        if spare and any(spare):
            _spare(node, parts, room, charged, spare, sums[HEADROOM], left)
        idle = sums[IDLE]
        for k in range(3):
            idle[k] += max(0.0, left[k])
    lines = [_line(name, row) for name, row in sums.items() if name not in (IDLE, HEADROOM)]
    lines.sort(key=lambda line: (-line.total, line.name))
    for name in (HEADROOM, IDLE):
        if name in sums:
            lines.append(_line(name, sums[name]))
    return tuple(lines)


def _charged(pod: Pod, usage: Mapping[str, Resources]) -> Resources:
    """What ``pod`` is charged for: max(request, usage) of CPU and memory."""
    request = pod.spec.requests
    used = usage.get(pod.key)
    if used is None:
        return request
    return Resources(
        max(request.cpu_milli, used.cpu_milli),
        max(request.memory_bytes, used.memory_bytes),
        request.pods,
        request.extended,
    )


def _spare(
    node: PricedNode,
    parts: tuple[float, float, float],
    room: tuple[float, float, float],
    charged: Sequence[Resources],
    wanted: list[float],
    row: list[float],
    left: list[float],
) -> None:
    """Charge the node's free CPU and memory to its pool's headroom, up to ``wanted``.

    ``wanted`` (CPU millicores, memory bytes still to find) shrinks by what is taken.
    """
    free = (
        max(0.0, room[0] - sum(c.cpu_milli for c in charged)),
        max(0.0, room[1] - sum(c.memory_bytes for c in charged)),
    )
    for k in range(2):
        taken = min(free[k], wanted[k])
        if taken <= 0 or room[k] <= 0:
            continue
        cost = parts[k] * taken / room[k]
        row[k] += cost
        left[k] -= cost
        wanted[k] -= taken


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


def _room(a: Resources, charged: Sequence[Resources]) -> tuple[float, float, float]:
    """What the node's pods share: its allocatable, or all they are charged when more."""
    return (
        max(a.cpu_milli, sum(r.cpu_milli for r in charged)),
        max(a.memory_bytes, sum(r.memory_bytes for r in charged)),
        max(a.get(NVIDIA_GPU), sum(r.get(NVIDIA_GPU) for r in charged)),
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
