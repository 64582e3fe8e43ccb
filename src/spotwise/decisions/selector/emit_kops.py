"""`spotwise select --emit kops`: kops InstanceGroups diversified by vCPU:memory ratio.

Like ``kops toolbox instance-selector``, each group holds types of one ratio of GiB per vCPU
(1:2, 1:4, 1:8...), doubling from group to group; unlike it, the first group takes the
selection's smallest such ratio, so a selection of 1:4 types alone writes a 1:4 group.
Inside a group every type has the same vCPUs, memory and GPUs,
because cluster-autoscaler models a group as copies of one node shape and would
otherwise scale it up for pods that do not fit the node it actually gets; and the same
architecture, because the group's launch template boots one image.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from spotwise.decisions.selector.candidate import Candidate
from spotwise.decisions.selector.emit_asg import MAX_OVERRIDES, Distribution, cheapest_first
from spotwise.errors import UserError
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType

API_VERSION = "kops.k8s.io/v1alpha2"
SPOT_TAINT = "spotInstance=true:PreferNoSchedule"
_AUTOSCALER = "k8s.io/cluster-autoscaler"
_LIFECYCLE = {CapacityType.SPOT: "Ec2Spot", CapacityType.ON_DEMAND: "OnDemand"}


@dataclass(frozen=True, slots=True)
class Shape:
    """One node shape: what cluster-autoscaler assumes every node of a group has."""

    vcpus: int
    memory_mib: int
    gpus: int
    architecture: Architecture

    @classmethod
    def of(cls, c: Candidate) -> Shape:
        """The shape of a candidate's type."""
        t = c.instance_type
        return cls(t.vcpus, t.memory_mib, t.gpu_count, t.architecture)


def ratio_of_group(index: int) -> float:
    """GiB per vCPU of group ``index`` (0-based): 2, 4, 8..."""
    return float(2 ** (index + 1))


def _price(c: Candidate, usage_class: CapacityType) -> float:
    price = c.price(usage_class)
    return math.inf if price is None else price


def group_types(
    candidates: Iterable[Candidate], ratio: float, usage_class: CapacityType
) -> list[Candidate]:
    """The types of the best single shape with ``ratio`` GiB per vCPU, cheapest first.

    The best shape has the most types (more spot pools to draw on); ties go to the
    shape with the cheapest type, then to fewer GPUs and the smaller shape. Empty if
    no type has the ratio.
    """
    by_shape: dict[Shape, list[Candidate]] = defaultdict(list)
    for c in candidates:
        if c.gib_per_vcpu == ratio:
            by_shape[Shape.of(c)].append(c)
    if not by_shape:
        return []
    shape = min(
        by_shape,
        key=lambda s: (
            -len(by_shape[s]),
            min(_price(c, usage_class) for c in by_shape[s]),
            s.gpus,
            s.vcpus,
            s.memory_mib,
            s.architecture.value,
        ),
    )
    # An Auto Scaling group rejects more overrides; the cheapest are the ones worth keeping.
    return cheapest_first(by_shape[shape], usage_class)[:MAX_OVERRIDES]


# The ratios groups may have: 1:2 up to 1:64 (the largest any EC2 type offers is 1:32).
_RATIOS = 6


def _first_group(candidates: Sequence[Candidate]) -> int | None:
    """The index of the smallest ratio the selection has (0 for 1:2), None for none."""
    ratios = {c.gib_per_vcpu for c in candidates}
    return next((i for i in range(_RATIOS) if ratio_of_group(i) in ratios), None)


def _groups_supported(candidates: Sequence[Candidate], first: int) -> int:
    ratios = {c.gib_per_vcpu for c in candidates}
    count = 0
    while ratio_of_group(first + count) in ratios:
        count += 1
    return count


def _labels(name: str, only: CapacityType | None) -> dict[str, str]:
    labels = {"kops.k8s.io/instancegroup": name}
    # A group that mixes spot and on-demand cannot label its nodes truthfully: kops
    # labels are per group, so the lifecycle labels appear only on single-type groups.
    if only is not None:
        labels["lifecycle"] = _LIFECYCLE[only]
        labels["node.kubernetes.io/lifecycle"] = only.value
    return labels


def _cloud_labels(cluster: str, node_labels: dict[str, str], taints: list[str]) -> dict[str, str]:
    cloud = {f"{_AUTOSCALER}/enabled": "1", f"{_AUTOSCALER}/{cluster}": "1"}
    # cluster-autoscaler reads these tags to build a template node when the group is at
    # zero, so pods that select on the labels (or tolerate the taint) can scale it up.
    for key, value in node_labels.items():
        cloud[f"{_AUTOSCALER}/node-template/label/{key}"] = value
    for taint in taints:
        key, _, value_effect = taint.partition("=")
        cloud[f"{_AUTOSCALER}/node-template/taint/{key}"] = value_effect
    return cloud


def _subnets(types: Sequence[Candidate], subnets: Sequence[str]) -> list[str]:
    if subnets:
        return list(subnets)
    shared = set(types[0].zones).intersection(*(c.zones for c in types[1:]))
    if not shared:
        raise UserError(
            "--availability-zones",
            f"no zone offers every type of {', '.join(c.name for c in types)}",
            "pass --availability-zones ZONE[,ZONE...] to keep only types offered there",
        )
    return sorted(shared)


def _instance_group(
    name: str,
    cluster: str,
    types: Sequence[Candidate],
    subnets: list[str],
    sizes: tuple[int, int],
    distribution: Distribution,
    taint_spot: bool,
) -> dict[str, Any]:
    only = distribution.only
    node_labels = _labels(name, only)
    taints = [SPOT_TAINT] if taint_spot and only is CapacityType.SPOT else []
    spec: dict[str, Any] = {
        "role": "Node",
        "machineType": types[0].name,
        "minSize": sizes[0],
        "maxSize": sizes[1],
        "subnets": subnets,
        "mixedInstancesPolicy": {
            "instances": [c.name for c in types],
            "onDemandBase": distribution.on_demand_base,
            "onDemandAboveBase": distribution.on_demand_above_base,
            "spotAllocationStrategy": distribution.spot_allocation_strategy.value,
        },
        "cloudLabels": _cloud_labels(cluster, node_labels, taints),
        "nodeLabels": node_labels,
    }
    if taints:
        spec["taints"] = taints
    return {
        "apiVersion": API_VERSION,
        "kind": "InstanceGroup",
        "metadata": {"name": name, "labels": {"kops.k8s.io/cluster": cluster}},
        "spec": spec,
    }


def _check_sizes(groups: int, min_size: int, max_size: int) -> None:
    if groups < 1:
        raise UserError("--groups", f"{groups} is less than 1", "pass 1 or more groups")
    if min_size < 0:
        raise UserError("--min-size", f"{min_size} is negative", "pass 0 or more instances")
    if max_size < max(min_size, 1):
        raise UserError(
            "--max-size",
            f"{max_size} is less than {max(min_size, 1)}",
            "pass --max-size of at least 1 and at least --min-size",
        )


def instance_groups(
    candidates: Iterable[Candidate],
    *,
    groups: int,
    cluster: str,
    usage_class: CapacityType,
    name_prefix: str = "nodes",
    min_size: int = 0,
    max_size: int = 10,
    on_demand_base: int = 0,
    on_demand_above_base: int | None = None,
    spot_allocation_strategy: SpotAllocationStrategy = (
        SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    ),
    taint_spot: bool = False,
    subnets: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Build ``groups`` kops InstanceGroup objects, one vCPU:memory ratio each.

    Group i is named ``<name_prefix>-<i+1>`` (just ``<name_prefix>`` when there is one
    group) and holds the most common shape of the i-th ratio from the selection's smallest
    (2, 4, 8... GiB per vCPU), cheapest type first (it is also the ``machineType``).
    Nodes get ``lifecycle`` and
    ``node.kubernetes.io/lifecycle`` labels when the split makes them all spot or all
    on-demand, and the ``spotInstance=true:PreferNoSchedule`` taint when all spot and
    ``taint_spot`` is set. cloudLabels enable cluster-autoscaler auto-discovery and
    scale from zero.

    Args:
        candidates: The selected types.
        groups: How many InstanceGroups to write.
        cluster: The kops cluster name.
        usage_class: Orders types by its price and sets the default ``on_demand_above_base``
            (0 for spot, 100 for on-demand).
        name_prefix: The InstanceGroup name, or its prefix when there are several.
        min_size: ``minSize`` of every group.
        max_size: ``maxSize`` of every group.
        on_demand_base: ``onDemandBase``.
        on_demand_above_base: ``onDemandAboveBase``; None for the usage class's default.
        spot_allocation_strategy: ``spotAllocationStrategy``.
        taint_spot: Taint all-spot groups so that only tolerating pods prefer them.
        subnets: kops subnet names (zone names with kops' default subnets); empty for
            the zones that offer every type of the group.

    Returns:
        The InstanceGroup objects as plain dicts.

    Raises:
        UserError: If a group has no types (naming how many groups the selection
            supports), or a flag is out of range.
    """
    _check_sizes(groups, min_size, max_size)
    distribution = Distribution.resolve(
        usage_class,
        on_demand_base,
        on_demand_above_base,
        spot_allocation_strategy,
        OnDemandAllocationStrategy.LOWEST_PRICE,
    )
    rows = list(candidates)
    first = _first_group(rows)
    if first is None:
        raise UserError(
            "--emit kops",
            "no selected type has 2, 4, 8, 16, 32 or 64 GiB per vCPU, the ratios of groups",
            "widen the filters (--vcpus-to-memory-ratio 1:4 picks one ratio)",
        )
    documents = []
    for index in range(groups):
        ratio = ratio_of_group(first + index)
        types = group_types(rows, ratio, usage_class)
        if not types:
            supported = _groups_supported(rows, first)
            raise UserError(
                "--groups",
                f"group {index + 1} needs types with {ratio:g} GiB per vCPU and the selection "
                f"has none, so it supports {supported} group{'' if supported == 1 else 's'}",
                f"pass --groups {supported}",
            )
        name = name_prefix if groups == 1 else f"{name_prefix}-{index + 1}"
        documents.append(
            _instance_group(
                name,
                cluster,
                types,
                _subnets(types, subnets),
                (min_size, max_size),
                distribution,
                taint_spot,
            )
        )
    return documents


def emit_kops(
    candidates: Iterable[Candidate],
    *,
    groups: int,
    cluster: str,
    usage_class: CapacityType,
    name_prefix: str = "nodes",
    min_size: int = 0,
    max_size: int = 10,
    on_demand_base: int = 0,
    on_demand_above_base: int | None = None,
    spot_allocation_strategy: SpotAllocationStrategy = (
        SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    ),
    taint_spot: bool = False,
    subnets: Sequence[str] = (),
) -> str:
    """:func:`instance_groups` as multi-document YAML for ``kops create -f``.

    Raises:
        UserError: As :func:`instance_groups` does.
    """
    documents = instance_groups(
        candidates,
        groups=groups,
        cluster=cluster,
        usage_class=usage_class,
        name_prefix=name_prefix,
        min_size=min_size,
        max_size=max_size,
        on_demand_base=on_demand_base,
        on_demand_above_base=on_demand_above_base,
        spot_allocation_strategy=spot_allocation_strategy,
        taint_spot=taint_spot,
        subnets=subnets,
    )
    return yaml.safe_dump_all(documents, sort_keys=False, explicit_start=True)
