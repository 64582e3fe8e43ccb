"""The options of `spotwise select --emit kops|asg|pool`, and the call of each emitter."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from spotwise.config.nodepool import Taint
from spotwise.errors import UserError
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.model.scheduling_terms import TaintEffect
from spotwise.selector.candidate import Candidate
from spotwise.selector.emit_asg import emit_asg
from spotwise.selector.emit_kops import emit_kops
from spotwise.selector.emit_pool import emit_pool


class Emit(enum.StrEnum):
    """Config formats `--emit` writes."""

    KOPS = "kops"
    ASG = "asg"
    POOL = "pool"


@dataclass(frozen=True, slots=True)
class EmitOptions:
    """What the emitters need beyond the selected types."""

    usage_class: CapacityType | None
    zones: tuple[str, ...]
    architecture: Architecture | None
    max_interruption: float | None
    groups: int
    cluster: str | None
    min_size: int
    max_size: int
    on_demand_base: int
    on_demand_above_base: int | None
    spot_allocation_strategy: SpotAllocationStrategy
    on_demand_allocation_strategy: OnDemandAllocationStrategy
    taint_spot: bool
    launch_template: str
    max_types: int | None
    name: str
    labels: tuple[str, ...]
    taints: tuple[str, ...]
    weight: int


def parse_labels(items: Sequence[str]) -> dict[str, str]:
    """``key=value`` pairs from repeated ``--label`` flags.

    Raises:
        UserError: If an item has no ``=``.
    """
    labels = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError("--label", f"{item!r} is not key=value", "e.g. --label team=web")
        labels[key] = value
    return labels


def parse_taint(text: str) -> Taint:
    """A taint from ``key[=value]:Effect``, as kubectl writes it.

    Raises:
        UserError: If the text has no effect or an unknown one.
    """
    body, sep, effect = text.rpartition(":")
    effects = {e.value: e for e in TaintEffect}
    if not sep or effect not in effects:
        raise UserError(
            "--taint",
            f"{text!r} is not key[=value]:Effect",
            f"end it with one of {', '.join(effects)}, e.g. dedicated=gpu:NoSchedule",
        )
    key, _, value = body.partition("=")
    return Taint(key=key, value=value, effect=effects[effect])


def emit(kind: Emit, rows: Sequence[Candidate], o: EmitOptions) -> str:
    """The configuration of ``kind`` for the selected types.

    Raises:
        UserError: If an option does not fit the emitter (a missing --cluster for kops...).
    """
    usage = o.usage_class or CapacityType.SPOT
    if kind is Emit.KOPS:
        if not o.cluster:
            raise UserError(
                "--cluster", "is required with --emit kops", "e.g. --cluster my.k8s.local"
            )
        return emit_kops(
            rows,
            groups=o.groups,
            cluster=o.cluster,
            usage_class=usage,
            min_size=o.min_size,
            max_size=o.max_size,
            on_demand_base=o.on_demand_base,
            on_demand_above_base=o.on_demand_above_base,
            spot_allocation_strategy=o.spot_allocation_strategy,
            taint_spot=o.taint_spot,
            subnets=o.zones,
        )
    if kind is Emit.ASG:
        return emit_asg(
            rows,
            launch_template_name=o.launch_template,
            usage_class=usage,
            on_demand_base=o.on_demand_base,
            on_demand_above_base=o.on_demand_above_base,
            spot_allocation_strategy=o.spot_allocation_strategy,
            on_demand_allocation_strategy=o.on_demand_allocation_strategy,
            max_types=o.max_types,
        )
    capacity_types = (usage,) if o.usage_class else (CapacityType.SPOT, CapacityType.ON_DEMAND)
    return emit_pool(
        rows,
        name=o.name,
        capacity_types=capacity_types,
        zones=o.zones,
        architecture=o.architecture,
        max_interruption=o.max_interruption,
        on_demand_base=o.on_demand_base,
        on_demand_above_base=o.on_demand_above_base,
        spot_allocation_strategy=o.spot_allocation_strategy,
        on_demand_allocation_strategy=o.on_demand_allocation_strategy,
        labels=parse_labels(o.labels),
        taints=tuple(parse_taint(t) for t in o.taints),
        weight=o.weight,
    )
