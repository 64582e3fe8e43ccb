"""The options of `spotwise select --emit kops|asg|pool`, and the call of each emitter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from spotwise.cli.emit_kind import Emit
from spotwise.config.nodepool import Taint, first_error
from spotwise.decisions.selector.candidate import Candidate
from spotwise.decisions.selector.emit_asg import Distribution, emit_asg
from spotwise.decisions.selector.emit_kops import emit_kops
from spotwise.decisions.selector.emit_pool import emit_pool
from spotwise.errors import UserError
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.model.scheduling_terms import TaintEffect


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
    try:
        return Taint(key=key, value=value, effect=effects[effect])
    except ValidationError as error:
        field, problem, _ = first_error(error)
        raise UserError(
            "--taint",
            f"{text!r}: the {field} {problem}" if field in ("key", "value") else problem,
            "write key[=value]:Effect with a label key such as dedicated, e.g. "
            "dedicated=gpu:NoSchedule",
        ) from None


def _capacity_types(kind: Emit, o: EmitOptions) -> tuple[CapacityType, ...]:
    """How the emitted group or pool will buy its instances."""
    usage = o.usage_class or CapacityType.SPOT
    if kind is Emit.POOL:
        return (usage,) if o.usage_class else (CapacityType.SPOT, CapacityType.ON_DEMAND)
    # kops and Auto Scaling: every type must support every capacity type the split uses.
    only = Distribution.resolve(usage, o.on_demand_base, o.on_demand_above_base).only
    return (only,) if only else (CapacityType.SPOT, CapacityType.ON_DEMAND)


def buyable(kind: Emit, rows: Sequence[Candidate], o: EmitOptions) -> list[Candidate]:
    """The rows the emitter may list: EC2 refuses a type in a usage class it does not support.

    A kops or Auto Scaling group that mixes spot and on-demand needs types that support
    both; a pool needs types that support one of its capacity types.

    Raises:
        UserError: If no selected type can be bought that way.
    """
    wanted = _capacity_types(kind, o)
    check = any if kind is Emit.POOL else all
    kept = [r for r in rows if check(r.instance_type.supports(c) for c in wanted)]
    if not kept:
        how = " and ".join(c.value for c in wanted)
        fix = "pass --usage-class on-demand, or widen the filters"
        raise UserError(
            "--usage-class",
            f"none of the {len(rows)} selected types can be bought as {how}",
            fix if CapacityType.SPOT in wanted else "widen the filters",
        )
    return kept


def check_one_architecture(kind: Emit, rows: Sequence[Candidate]) -> None:
    """Refuse a selection that mixes architectures where one image boots every type.

    Raises:
        UserError: Naming ``--cpu-architecture`` and the architectures found.
    """
    found = sorted({r.instance_type.architecture.value for r in rows})
    if len(found) > 1:
        where = (
            "one launch template boots one image"
            if kind is Emit.ASG
            else "a pool without an architecture cannot say which image its nodes boot"
        )
        raise UserError(
            "--cpu-architecture",
            f"the selection mixes {' and '.join(found)} types, but {where}",
            f"pass --cpu-architecture {found[0]} (or {', '.join(found[1:])})",
        )


def emit(kind: Emit, rows: Sequence[Candidate], o: EmitOptions) -> str:
    """The configuration of ``kind`` for the selected types.

    Only types that can be bought the way the configuration buys are listed (spot by
    default), and an Auto Scaling group or a pool without an architecture must not mix
    architectures. kops groups already hold one node shape, architecture included.

    Raises:
        UserError: If an option does not fit the emitter (a missing --cluster for kops...),
            no selected type can be bought that way, or architectures are mixed.
    """
    usage = o.usage_class or CapacityType.SPOT
    if kind is Emit.KOPS and not o.cluster:
        raise UserError("--cluster", "is required with --emit kops", "e.g. --cluster my.k8s.local")
    rows = buyable(kind, rows, o)
    if kind is Emit.ASG or (kind is Emit.POOL and o.architecture is None):
        check_one_architecture(kind, rows)
    if kind is Emit.KOPS:
        return emit_kops(
            rows,
            groups=o.groups,
            cluster=o.cluster or "",
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
