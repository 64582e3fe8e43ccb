"""Resource vectors: what a pod requests and what a node offers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from spotwise.model.quantity import parse_bytes, parse_count, parse_cpu_millicores

CPU = "cpu"
MEMORY = "memory"
PODS = "pods"
EPHEMERAL_STORAGE = "ephemeral-storage"
NVIDIA_GPU = "nvidia.com/gpu"


def _extended(items: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    merged: dict[str, int] = {}
    for name, count in items:
        merged[name] = merged.get(name, 0) + count
    return tuple(sorted((n, c) for n, c in merged.items() if c))


@dataclass(frozen=True, slots=True)
class Resources:
    """An exact resource vector: CPU in millicores, memory in bytes, pods and extended counts.

    Extended resources (``nvidia.com/gpu``, ``aws.amazon.com/neuron``) are whole counts,
    kept as a sorted tuple of pairs so that the vector is hashable. Ephemeral storage is
    bytes of the node's root filesystem: a field of its own, because extended resources
    mean special hardware (tolerations, exotic types) and storage does not.
    """

    cpu_milli: int = 0
    memory_bytes: int = 0
    pods: int = 0
    extended: tuple[tuple[str, int], ...] = ()
    ephemeral_bytes: int = 0

    @classmethod
    def parse(cls, values: Mapping[str, str | int | float]) -> Resources:
        """Build a vector from a Kubernetes resource list such as a container's requests.

        Raises:
            QuantityError: If a value is not a quantity.
        """
        cpu = memory = pods = ephemeral = 0
        extended: list[tuple[str, int]] = []
        for name, raw in values.items():
            if name == CPU:
                cpu = parse_cpu_millicores(raw)
            elif name == MEMORY:
                memory = parse_bytes(raw)
            elif name == PODS:
                pods = parse_count(raw)
            elif name == EPHEMERAL_STORAGE:
                ephemeral = parse_bytes(raw)
            elif "/" in name:
                extended.append((name, parse_count(raw)))
            # hugepages are not modelled yet; they never block a fit.
        return cls(cpu, memory, pods, _extended(extended), ephemeral)

    def get(self, name: str) -> int:
        """The count of an extended resource, 0 when absent."""
        for key, count in self.extended:
            if key == name:
                return count
        return 0

    def __add__(self, other: Resources) -> Resources:
        # Most vectors have no extended resources; skip the merge for them (hot path).
        if not other.extended:
            extended = self.extended
        elif not self.extended:
            extended = other.extended
        else:
            extended = _extended((*self.extended, *other.extended))
        return Resources(
            self.cpu_milli + other.cpu_milli,
            self.memory_bytes + other.memory_bytes,
            self.pods + other.pods,
            extended,
            self.ephemeral_bytes + other.ephemeral_bytes,
        )

    def fits_in(self, capacity: Resources) -> bool:
        """Whether every component asked for is at most the one of ``capacity``.

        As kube-scheduler's fit: a resource this vector does not ask for is not compared,
        so a node overcommitted on one resource still takes pods that do not use it.
        """
        if self.cpu_milli and self.cpu_milli > capacity.cpu_milli:
            return False
        if self.memory_bytes and self.memory_bytes > capacity.memory_bytes:
            return False
        if self.ephemeral_bytes and self.ephemeral_bytes > capacity.ephemeral_bytes:
            return False
        if self.pods > capacity.pods:
            return False
        return all(count <= capacity.get(name) for name, count in self.extended)
