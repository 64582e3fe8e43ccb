"""What a user asks of an instance type: the filters of `spotwise select`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spotwise.model.instance_type import Architecture, CapacityType


@dataclass(frozen=True, slots=True)
class Range:
    """An inclusive range; a missing bound is open."""

    low: float | None = None
    high: float | None = None

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int | float):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    @classmethod
    def exactly(cls, value: float) -> Range:
        """The range holding ``value`` alone."""
        return cls(value, value)


@dataclass(frozen=True, slots=True)
class Criteria:
    """Every filter of `spotwise select`. A None filter is not applied.

    Attributes mirror the flags; memory and storage sizes are in MiB, network in Gbit/s,
    prices in USD per hour. Boolean filters keep types whose fact equals the value;
    string filters keep types that support the value (compared in lower case); ranges
    are inclusive. ``zones`` are zone names, each of which must offer the type (as
    instance-selector intersects its locations). ``max_interruption`` keeps types whose
    advisor bucket lies at or under that percentage. ``vcpus_to_memory_ratio`` is a
    whole number of GiB per vCPU, compared with the type's GiB per vCPU rounded up.
    """

    vcpus: Range | None = None
    memory_mib: Range | None = None
    gpus: Range | None = None
    gpu_memory_total_mib: Range | None = None
    network_gbps: Range | None = None
    price_per_hour: Range | None = None
    generation: Range | None = None
    vcpus_to_memory_ratio: float | None = None
    architecture: Architecture | None = None
    usage_class: CapacityType | None = None
    gpu_manufacturer: str | None = None
    gpu_model: str | None = None
    burstable: bool | None = None
    current_generation: bool | None = None
    bare_metal: bool | None = None
    allow: re.Pattern[str] | None = None
    deny: re.Pattern[str] | None = None
    zones: tuple[str, ...] = ()
    max_interruption: float | None = None
    cpu_manufacturer: str | None = None
    hypervisor: str | None = None
    ena_support: bool | None = None
    efa_support: bool | None = None
    ipv6: bool | None = None
    network_encryption: bool | None = None
    network_interfaces: Range | None = None
    instance_storage_mib: Range | None = None
    disk_type: str | None = None
    nvme: bool | None = None
    disk_encryption: bool | None = None
    ebs_optimized: bool | None = None
    ebs_baseline_bandwidth_mbps: Range | None = None
    ebs_baseline_throughput_mbps: Range | None = None
    ebs_baseline_iops: Range | None = None
    hibernation: bool | None = None
    free_tier: bool | None = None
    auto_recovery: bool | None = None
    dedicated_hosts: bool | None = None
    virtualization_type: str | None = None
    root_device_type: str | None = None
    placement_group_strategy: str | None = None
    inference_accelerators: Range | None = None
    inference_accelerator_manufacturer: str | None = None
    inference_accelerator_model: str | None = None
    fpga: bool | None = None
