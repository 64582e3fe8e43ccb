"""Drift: a node that no longer is what its pool would launch today.

Two ways, as Karpenter tells them apart:

* Static drift: the pool's labels, taints or launch settings (image selector, user data,
  volumes, instance profile...) changed since the node was launched. Each node carries
  the hash of those settings it was launched with, in the `HASH_LABEL` label; a node
  without it (launched before spotwise stamped it, or by hand), or stamped by another
  `HASH_VERSION`, never drifts this way.
* Requirement drift: the node's instance type, capacity type, zone, architecture or a
  label the pool's ``requirements`` judge is no longer allowed. A requirement on a label
  the node does not carry is not judged: nodes launched on EC2 register with the pool's
  labels, not with every label the plan knew their type by.

A newer image behind an unchanged selector (an SSM parameter that moved on) is not
drift here: the node's image is not read back.
"""

from __future__ import annotations

from dataclasses import dataclass

from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import ARCH
from spotwise.model.node import Node
from spotwise.model.scheduling_terms import Requirement

HASH_LABEL = "spotwise.io/nodepool-hash"
# The way the hash is made; a node stamped another way is not compared (Karpenter's
# nodepool-hash-version).
HASH_VERSION = "v1"


@dataclass(frozen=True, slots=True)
class Template:
    """What a pool launches today, to tell its nodes that drifted from it.

    Attributes:
        hash: The hash of its labels, taints and launch settings (`HASH_LABEL`).
        instance_types: The types it allows; empty: any.
        capacity_types: The capacity types it buys.
        zones: The zones it launches in; empty: any.
        architecture: The ``kubernetes.io/arch`` value it allows; None: any.
        requirements: Its requirements on node labels.
    """

    hash: str
    instance_types: frozenset[str] = frozenset()
    capacity_types: frozenset[CapacityType] = frozenset(CapacityType)
    zones: frozenset[str] = frozenset()
    architecture: str | None = None
    requirements: tuple[Requirement, ...] = ()


def drift(node: Node, template: Template) -> str | None:
    """Why ``node`` drifted from its pool's ``template``, or None when it has not."""
    stamped = node.labels.get(HASH_LABEL)
    same_way = stamped is not None and stamped.split(".")[0] == template.hash.split(".")[0]
    if same_way and stamped != template.hash:
        return "its pool's labels, taints or launch settings changed since it was launched"
    instance_type = node.instance_type
    if template.instance_types and instance_type and instance_type not in template.instance_types:
        return f"its type {instance_type} is no longer among the pool's instanceTypes"
    capacity = node.capacity_type
    if capacity is not None and capacity not in template.capacity_types:
        return f"the pool no longer buys {capacity.value}"
    zone = node.zone
    if template.zones and zone and zone not in template.zones:
        return f"its zone {zone} is no longer among the pool's zones"
    arch = node.labels.get(ARCH)
    if template.architecture and arch and arch != template.architecture:
        return f"its architecture {arch} is no longer the pool's"
    for r in template.requirements:
        if r.key in node.labels and not r.matches(node.labels):
            return f"its label {r.key}={node.labels[r.key]} no longer meets the pool's requirements"
    return None
