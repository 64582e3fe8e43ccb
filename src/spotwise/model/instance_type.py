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


# Other names users write for an architecture: Kubernetes' (and instance-selector's) amd64,
# and the kernel's aarch64.
ARCHITECTURE_ALIASES: dict[str, Architecture] = {
    "amd64": Architecture.X86_64,
    "aarch64": Architecture.ARM64,
}


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


@dataclass(frozen=True, slots=True)
class Accelerator:
    """One kind of inference accelerator (Inferentia, Trainium, Qualcomm AI100...)."""

    manufacturer: str
    model: str
    count: int


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
        cpu_manufacturer: ``intel``, ``amd``, ``aws`` or ``apple`` (lower case); empty if
            EC2 does not say.
        ena_support: Whether ENA networking is supported or required.
        efa_support: Whether Elastic Fabric Adapters are supported.
        ipv6: Whether IPv6 addresses are supported.
        network_encryption: Whether traffic is encrypted in transit automatically.
        max_network_interfaces: The most network interfaces (ENIs) it can attach.
        instance_storage_gb: Local instance storage in GB as EC2 counts it; 0 without.
        disk_type: ``ssd`` or ``hdd`` for the local disks; empty without them.
        nvme: Whether NVMe is supported or required for the local disks, or for EBS when
            the type has no local disks.
        disk_encryption: Whether the local disks, or EBS without them, can be encrypted.
        ebs_optimized: Whether EBS optimisation is supported or on by default.
        ebs_baseline_bandwidth_mbps: EBS-optimised baseline bandwidth, Mbit/s, if known.
        ebs_baseline_throughput_mbps: EBS-optimised baseline throughput, MB/s, if known.
        ebs_baseline_iops: EBS-optimised baseline IOPS (16 KiB I/O), if known.
        hibernation: Whether instances can hibernate.
        free_tier: Whether the type is eligible for the AWS free tier.
        auto_recovery: Whether EC2 auto recovery is supported.
        dedicated_hosts: Whether it can run on Dedicated Hosts.
        virtualization_types: ``hvm`` and/or ``paravirtual``.
        root_device_types: ``ebs`` and/or ``instance-store``.
        placement_group_strategies: Some of ``cluster``, ``partition``, ``spread``.
        accelerators: Inference accelerators (InferenceAcceleratorInfo, else NeuronInfo).
        fpga: Whether it carries FPGAs.
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
    cpu_manufacturer: str = ""
    ena_support: bool = False
    efa_support: bool = False
    ipv6: bool = False
    network_encryption: bool = False
    max_network_interfaces: int = 0
    instance_storage_gb: int = 0
    disk_type: str = ""
    nvme: bool = False
    disk_encryption: bool = False
    ebs_optimized: bool = False
    ebs_baseline_bandwidth_mbps: int | None = None
    ebs_baseline_throughput_mbps: float | None = None
    ebs_baseline_iops: int | None = None
    hibernation: bool = False
    free_tier: bool = False
    auto_recovery: bool = False
    dedicated_hosts: bool = False
    virtualization_types: tuple[str, ...] = ("hvm",)
    root_device_types: tuple[str, ...] = ("ebs",)
    placement_group_strategies: tuple[str, ...] = ()
    accelerators: tuple[Accelerator, ...] = ()
    fpga: bool = False

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
    def previous_generation(self) -> bool:
        """Whether AWS lists the type as previous generation (Xen-era families).

        EC2's flag alone is not trusted: the public data the catalog is built from marks
        some Nitro families (c5, m5, m6i, r5, r6i, r7g, g5...) previous too, while AWS's
        list of previous-generation families stops at generation 4 (m4, c4, r4, i2, a1...).
        """
        return not self.current_generation and self.generation <= 4

    @property
    def exotic(self) -> bool:
        """Whether the type carries hardware ordinary pods pay for and never use.

        GPUs, inference accelerators, FPGAs and bare metal make a node far dearer than the
        CPU and memory it offers; such types are for the pods that ask for them.
        """
        return bool(self.gpus or self.accelerators or self.fpga or self.bare_metal)

    @property
    def accelerator_count(self) -> int:
        """All inference accelerators of all kinds."""
        return sum(a.count for a in self.accelerators)

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
