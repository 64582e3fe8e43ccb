"""Well-known label keys and values, as users already write them (design notes, section 5)."""

from __future__ import annotations

from spotwise.model.instance_type import CapacityType

INSTANCE_TYPE = "node.kubernetes.io/instance-type"
ZONE = "topology.kubernetes.io/zone"
REGION = "topology.kubernetes.io/region"
ARCH = "kubernetes.io/arch"
OS = "kubernetes.io/os"
HOSTNAME = "kubernetes.io/hostname"

KARPENTER_CAPACITY_TYPE = "karpenter.sh/capacity-type"  # spot | on-demand
EKS_CAPACITY_TYPE = "eks.amazonaws.com/capacityType"  # SPOT | ON_DEMAND
LIFECYCLE = "lifecycle"  # Ec2Spot | OnDemand (the EC2 Spot workshops' convention)
OCEAN_LIFECYCLE = "spotinst.io/node-lifecycle"  # od | spot
NODE_POOL = "spotwise.io/node-pool"
CAPACITY_TYPE = "spotwise.io/capacity-type"

SPOT_TAINT_KEY = "spotInstance"  # spotInstance=true:PreferNoSchedule on workshop spot nodes


def capacity_type_labels(capacity_type: CapacityType) -> dict[str, str]:
    """Every convention's capacity-type label for a node bought as ``capacity_type``.

    A pod that asks for on-demand in any of the conventions users write finds it.
    """
    spot = capacity_type is CapacityType.SPOT
    return {
        KARPENTER_CAPACITY_TYPE: capacity_type.value,
        EKS_CAPACITY_TYPE: "SPOT" if spot else "ON_DEMAND",
        LIFECYCLE: "Ec2Spot" if spot else "OnDemand",
        OCEAN_LIFECYCLE: "spot" if spot else "od",
        CAPACITY_TYPE: capacity_type.value,
    }
