"""Existing nodes from v1 Node manifests, with the pods bound to them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime

from spotwise.errors import UserError
from spotwise.kubernetes.manifests.fields import Fields
from spotwise.kubernetes.manifests.manifests import Manifest
from spotwise.kubernetes.manifests.requests import resource_list
from spotwise.kubernetes.manifests.selectors import taints
from spotwise.kubernetes.manifests.workloads import PlacedPod
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import (
    EKS_CAPACITY_TYPE,
    KARPENTER_CAPACITY_TYPE,
    LIFECYCLE,
    OCEAN_LIFECYCLE,
)
from spotwise.model.labelset import LabelSet
from spotwise.model.node import Node
from spotwise.model.pod import Pod

# Each convention's label and its values for spot and on-demand (design notes, section 5).
_CAPACITY_TYPE_LABELS: tuple[tuple[str, Mapping[str, CapacityType]], ...] = (
    (KARPENTER_CAPACITY_TYPE, {"spot": CapacityType.SPOT, "on-demand": CapacityType.ON_DEMAND}),
    (EKS_CAPACITY_TYPE, {"SPOT": CapacityType.SPOT, "ON_DEMAND": CapacityType.ON_DEMAND}),
    (LIFECYCLE, {"Ec2Spot": CapacityType.SPOT, "OnDemand": CapacityType.ON_DEMAND}),
    (OCEAN_LIFECYCLE, {"spot": CapacityType.SPOT, "od": CapacityType.ON_DEMAND}),
)


def capacity_type(labels: Mapping[str, str]) -> CapacityType | None:
    """How a node was bought, from the first capacity-type label it carries; None if unknown."""
    for key, values in _CAPACITY_TYPE_LABELS:
        found = values.get(labels.get(key, ""))
        if found is not None:
            return found
    return None


def parse_node(manifest: Manifest) -> Node:
    """A Node object without pods: labels, taints, cordon, allocatable (else capacity).

    Raises:
        UserError: If the node has no name, or neither allocatable nor capacity.
    """
    if not manifest.name:
        raise manifest.metadata.error("name", "is required", "name the node")
    labels = manifest.metadata.string_map("labels")
    status = manifest.fields.mapping("status")
    allocatable = None
    if status is not None:
        allocatable = status.mapping("allocatable") or status.mapping("capacity")
    if allocatable is None:
        missing = status or Fields({}, manifest.where, manifest.fields.at("status"))
        raise missing.error(
            "allocatable",
            "is missing (and so is status.capacity)",
            "export nodes with `kubectl get nodes -o yaml`, which includes their status",
        )
    return Node(
        name=manifest.name,
        labels=LabelSet(labels),
        taints=taints(manifest.spec),
        allocatable=resource_list(allocatable),
        capacity_type=capacity_type(labels),
        price=None,
        unschedulable=manifest.spec.boolean("unschedulable"),
        provider_id=manifest.spec.string("providerID"),
        annotations=manifest.metadata.string_map("annotations"),
        boot_id=_boot_id(status),
        created_at=_created_at(manifest.metadata.string("creationTimestamp")),
    )


def _created_at(text: str) -> float | None:
    """``metadata.creationTimestamp`` in seconds since the epoch; None if absent or unreadable."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else None
    except ValueError:
        return None


def _boot_id(status: Fields | None) -> str:
    """``status.nodeInfo.bootID``, or "" when the node has not reported it."""
    info = status.mapping("nodeInfo") if status is not None else None
    return info.string("bootID") if info is not None else ""


def bind(nodes: Sequence[Node], pods: Sequence[PlacedPod]) -> tuple[Node, ...]:
    """The nodes with the pods whose ``spec.nodeName`` names them.

    Raises:
        UserError: If a pod is bound to a node the inputs do not hold.
    """
    bound: dict[str, list[Pod]] = {node.name: [] for node in nodes}
    for placed in pods:
        if not placed.node_name:
            continue
        if placed.node_name not in bound:
            raise UserError(
                f"{placed.where}: spec.nodeName",
                f"pod {placed.pod.key} is bound to node {placed.node_name!r},"
                " which no Node manifest defines",
                "pass the cluster's nodes with --nodes (kubectl get nodes -o yaml)",
            )
        bound[placed.node_name].append(placed.pod)
    return tuple(dataclasses.replace(node, pods=(*node.pods, *bound[node.name])) for node in nodes)
