"""The labels spotwise puts on a new node, in every convention users already select on."""

from __future__ import annotations

from collections.abc import Mapping

from spotwise.model import labels as keys
from spotwise.model.instance_type import CapacityType, InstanceType
from spotwise.model.labelset import LabelSet

# Karpenter's well-known instance labels: workloads written for Karpenter keep working.
KARPENTER_AWS = "karpenter.k8s.aws"


def type_labels(t: InstanceType) -> dict[str, str]:
    """Labels that describe the instance type itself."""
    family, _, size = t.name.partition(".")
    found = {
        keys.INSTANCE_TYPE: t.name,
        keys.ARCH: t.architecture.kubernetes,
        keys.OS: "linux",
        f"{KARPENTER_AWS}/instance-family": family,
        f"{KARPENTER_AWS}/instance-size": size,
        f"{KARPENTER_AWS}/instance-category": family.rstrip("0123456789-").split("-")[0][:1],
        f"{KARPENTER_AWS}/instance-cpu": str(t.vcpus),
        f"{KARPENTER_AWS}/instance-memory": str(t.memory_mib),
        f"{KARPENTER_AWS}/instance-generation": str(t.generation),
        f"{KARPENTER_AWS}/instance-hypervisor": t.hypervisor,
    }
    if t.gpus:
        gpu = t.gpus[0]
        found[f"{KARPENTER_AWS}/instance-gpu-count"] = str(t.gpu_count)
        found[f"{KARPENTER_AWS}/instance-gpu-name"] = gpu.model.lower()
        found[f"{KARPENTER_AWS}/instance-gpu-manufacturer"] = gpu.manufacturer.lower()
        found[f"{KARPENTER_AWS}/instance-gpu-memory"] = str(gpu.memory_mib)
    return found


def node_labels(
    pool: str,
    pool_labels: Mapping[str, str],
    base: Mapping[str, str],
    region: str,
    zone: str,
    capacity_type: CapacityType,
) -> LabelSet:
    """Every label a new node of ``pool`` gets; the pool's own labels come last and win."""
    return LabelSet(
        {
            **base,
            keys.ZONE: zone,
            keys.REGION: region,
            **keys.capacity_type_labels(capacity_type),
            keys.NODE_POOL: pool,
            **pool_labels,
        }
    )
