"""What a node keeps for itself: kube-reserved, eviction threshold and the hypervisor's share.

The figures are the EKS-optimized AMI's bootstrap defaults, which Karpenter uses too, so
that a plan never counts on memory or disk that the kubelet will not offer to pods.
"""

from __future__ import annotations

from spotwise.model.instance_type import InstanceType
from spotwise.model.resources import Resources

MIB = 2**20
# The hypervisor and firmware keep part of the advertised memory (Karpenter's default).
VM_MEMORY_OVERHEAD = 0.075
EVICTION_HARD_MEMORY = 100 * MIB
GIB = 2**30
# The root volume of a node whose pool does not size it: the EKS AMIs' and Karpenter's 20 GiB.
DEFAULT_ROOT_VOLUME_BYTES = 20 * GIB
# The kubelet's capacity is the root filesystem's size, a little below the volume's (XFS on
# a 20 GiB EKS volume reports about 99.6% of it): 99.5% keeps a plan on the safe side.
FILESYSTEM_SHARE = 0.995
# Of that, the kubelet keeps 1 GiB (kube-reserved) and evicts pods once less than 10% is
# free (evictionHard nodefs.available): pods may request the rest.
KUBE_RESERVED_EPHEMERAL = 1 * GIB
EVICTION_HARD_NODEFS = 0.10


def kube_reserved_cpu_millicores(vcpus: int) -> int:
    """CPU the kubelet reserves, in millicores (EKS AMI bootstrap).

    6% of the first core, 1% of the second, 0.5% of the next two, 0.25% of every core above.
    """
    reserved = 0.0
    for core in range(vcpus):
        if core == 0:
            reserved += 60
        elif core == 1:
            reserved += 10
        elif core < 4:
            reserved += 5
        else:
            reserved += 2.5
    return int(reserved)


def kube_reserved_memory_bytes(max_pods: int) -> int:
    """Memory the kubelet reserves: 255 MiB plus 11 MiB per pod the node may hold."""
    return (255 + 11 * max_pods) * MIB


def ephemeral_allocatable(root_volume_bytes: int | None = None) -> int:
    """The ephemeral storage pods may request on a root volume (None: the 20 GiB default)."""
    volume = DEFAULT_ROOT_VOLUME_BYTES if root_volume_bytes is None else root_volume_bytes
    filesystem = volume * FILESYSTEM_SHARE
    return max(int(filesystem * (1 - EVICTION_HARD_NODEFS)) - KUBE_RESERVED_EPHEMERAL, 0)


def allocatable(instance_type: InstanceType, root_volume_bytes: int | None = None) -> Resources:
    """What pods may request on a new node of ``instance_type``, before DaemonSets.

    Args:
        instance_type: The node's type.
        root_volume_bytes: The pool's root volume (None: the 20 GiB default).
    """
    capacity = instance_type.capacity
    memory = int(capacity.memory_bytes * (1 - VM_MEMORY_OVERHEAD))
    memory -= kube_reserved_memory_bytes(instance_type.max_pods) + EVICTION_HARD_MEMORY
    cpu = capacity.cpu_milli - kube_reserved_cpu_millicores(instance_type.vcpus)
    return Resources(
        max(cpu, 0),
        max(memory, 0),
        capacity.pods,
        capacity.extended,
        ephemeral_allocatable(root_volume_bytes),
    )
