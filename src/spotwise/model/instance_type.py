"""EC2 instance types as spotwise sees them: what one node of that type offers."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from spotwise.model.resources import NVIDIA_GPU, Resources


class Architecture(enum.StrEnum):
    """CPU architectures, as EC2 names them (``kubernetes.io/arch`` maps x86_64 to amd64)."""

    X86_64 = "x86_64"
    ARM64 = "arm64"
    I386 = "i386"
    X86_64_MAC = "x86_64_mac"
    ARM64_MAC = "arm64_mac"

    @property
    def kubernetes(self) -> str:
        """The value of the ``kubernetes.io/arch`` label for nodes of this architecture."""
        return {"x86_64": "amd64", "arm64": "arm64"}.get(self.value, self.value)


class CapacityType(enum.StrEnum):
    """How an instance is bought. Values are the ``karpenter.sh/capacity-type`` label's."""

    SPOT = "spot"
    ON_DEMAND = "on-demand"


@dataclass(frozen=True, slots=True)
class Gpu:
    """One kind of GPU an instance type carries."""

    manufacturer: str
    model: str
    count: int
    memory_mib: int  # per GPU


_GENERATION = re.compile(r"^[a-z]+(\d+)")


@dataclass(frozen=True, slots=True)
class InstanceType:
    """What one instance of an EC2 type offers, independent of where and how it is bought.

    Attributes:
        name: The EC2 name, such as ``m6i.large``.
        vcpus: Default vCPUs.
        memory_mib: Memory in MiB, as EC2 reports it.
        architectures: Supported CPU architectures; the first is the one nodes run.
        gpus: GPU kinds; empty for types without GPUs.
        max_pods: Pods a node of this type can hold with the AWS VPC CNI (ENI formula).
        network_performance: EC2's label, such as ``Up to 12.5 Gigabit``.
        network_gbps: Peak bandwidth in Gbit/s parsed from the label, or None for the
            old named levels (``Moderate``, ``High``).
        burstable: Whether it runs on CPU credits (t2, t3, t4g...).
        current_generation: EC2's current-generation flag.
        bare_metal: Whether it is a ``.metal`` type.
        usage_classes: ``spot`` and/or ``on-demand``.
        hypervisor: ``nitro``, ``xen`` or empty for bare metal.
    """

    name: str
    vcpus: int
    memory_mib: int
    architectures: tuple[Architecture, ...]
    gpus: tuple[Gpu, ...] = ()
    max_pods: int = 110
    network_performance: str = ""
    network_gbps: float | None = None
    burstable: bool = False
    current_generation: bool = True
    bare_metal: bool = False
    usage_classes: tuple[CapacityType, ...] = (CapacityType.ON_DEMAND, CapacityType.SPOT)
    hypervisor: str = ""

    @property
    def family(self) -> str:
        """The family part of the name (``m6i`` for ``m6i.large``)."""
        return self.name.split(".", 1)[0]

    @property
    def generation(self) -> int:
        """The generation digit(s) in the family (``c7i.xlarge`` -> 7); 0 if there is none."""
        match = _GENERATION.match(self.family)
        return int(match[1]) if match else 0

    @property
    def architecture(self) -> Architecture:
        """The architecture nodes of this type run: x86_64 on types that also run i386."""
        if Architecture.X86_64 in self.architectures:
            return Architecture.X86_64
        return self.architectures[0]

    @property
    def memory_gib(self) -> float:
        """Memory in GiB."""
        return self.memory_mib / 1024

    @property
    def gpu_count(self) -> int:
        """All GPUs of all kinds."""
        return sum(g.count for g in self.gpus)

    @property
    def gpu_memory_total_mib(self) -> int:
        """GPU memory summed over every GPU."""
        return sum(g.count * g.memory_mib for g in self.gpus)

    @property
    def capacity(self) -> Resources:
        """The raw capacity of a node of this type, before system reservations."""
        extended = (
            ((NVIDIA_GPU, self.gpu_count),)
            if any(g.manufacturer.upper() == "NVIDIA" for g in self.gpus)
            else ()
        )
        return Resources(self.vcpus * 1000, self.memory_mib * 2**20, self.max_pods, extended)

    def supports(self, capacity_type: CapacityType) -> bool:
        """Whether the type can be bought as ``capacity_type`` at all."""
        return capacity_type in self.usage_classes
