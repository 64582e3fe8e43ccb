"""`spotwise select --emit pool`: the selection as a spotwise NodePool document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pydantic import ValidationError

from spotwise.config.nodepool import (
    API_VERSION,
    KIND,
    Limits,
    NodePool,
    Taint,
    dump_nodepool,
    first_error,
    parse_nodepool,
)
from spotwise.decisions.selector.candidate import Candidate
from spotwise.decisions.selector.emit_asg import cheapest_first
from spotwise.errors import UserError
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType

# Which flag set which field, so that a bad value is blamed on what the user typed.
_FLAGS = {
    "metadata": "--name",
    "zones": "--availability-zones",
    "labels": "--label",
    "taints": "--taint",
    "onDemandBase": "--on-demand-base",
    "onDemandPercentageAboveBase": "--on-demand-above-base",
    "maxInterruption": "--max-interruption",
    "weight": "--weight",
}


def _blame(error: ValidationError) -> UserError:
    loc = [part for part in error.errors(include_url=False)[0]["loc"] if isinstance(part, str)]
    field = next((part for part in reversed(loc) if part in _FLAGS), None)
    path, problem, _ = first_error(error)
    if field is None:
        return UserError(f"--emit pool ({path})", problem)
    return UserError(_FLAGS[field], problem)


def nodepool(
    candidates: Iterable[Candidate],
    *,
    name: str,
    capacity_types: Sequence[CapacityType] = (CapacityType.SPOT, CapacityType.ON_DEMAND),
    zones: Sequence[str] = (),
    architecture: Architecture | None = None,
    max_interruption: float | None = None,
    on_demand_base: int = 0,
    on_demand_above_base: int | None = None,
    spot_allocation_strategy: SpotAllocationStrategy = (
        SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    ),
    on_demand_allocation_strategy: OnDemandAllocationStrategy = (
        OnDemandAllocationStrategy.LOWEST_PRICE
    ),
    labels: Mapping[str, str] | None = None,
    taints: Sequence[Taint] = (),
    weight: int = 0,
    limits: Limits | None = None,
) -> NodePool:
    """Build a NodePool that allows exactly the selected types.

    Types are listed cheapest first (by spot price when spot is allowed, else on-demand),
    which is the priority order of the ``prioritized`` strategies.

    Args:
        candidates: The selected types.
        name: ``metadata.name``.
        capacity_types: ``spec.capacityTypes``.
        zones: ``spec.zones``; empty for every zone of the region.
        architecture: ``spec.architecture``; None for any.
        max_interruption: ``spec.maxInterruption``, in percent.
        on_demand_base: ``spec.onDemandBase``.
        on_demand_above_base: ``spec.onDemandPercentageAboveBase``; None to derive it
            from the capacity types.
        spot_allocation_strategy: ``spec.spotAllocationStrategy``.
        on_demand_allocation_strategy: ``spec.onDemandAllocationStrategy``.
        labels: ``spec.labels``.
        taints: ``spec.taints``.
        weight: ``spec.weight``.
        limits: ``spec.limits``.

    Raises:
        UserError: Naming the flag, if there are no types or a value breaks the schema.
    """
    price_of = CapacityType.SPOT if CapacityType.SPOT in capacity_types else CapacityType.ON_DEMAND
    names = tuple(c.name for c in cheapest_first(candidates, price_of))
    if not names:
        raise UserError("selection", "no instance type matches the filters", "loosen the filters")
    # Validated as a file would be, so that errors carry the file's field names.
    document = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name},
        "spec": {
            "instanceTypes": names,
            "capacityTypes": tuple(capacity_types),
            "zones": tuple(zones),
            "architecture": architecture,
            "labels": dict(labels or {}),
            "taints": tuple(taints),
            "onDemandBase": on_demand_base,
            "onDemandPercentageAboveBase": on_demand_above_base,
            "spotAllocationStrategy": spot_allocation_strategy,
            "onDemandAllocationStrategy": on_demand_allocation_strategy,
            "maxInterruption": max_interruption,
            "weight": weight,
            "limits": limits or Limits(),
        },
    }
    try:
        return parse_nodepool(document)
    except ValidationError as error:
        raise _blame(error) from None


def emit_pool(
    candidates: Iterable[Candidate],
    *,
    name: str,
    capacity_types: Sequence[CapacityType] = (CapacityType.SPOT, CapacityType.ON_DEMAND),
    zones: Sequence[str] = (),
    architecture: Architecture | None = None,
    max_interruption: float | None = None,
    on_demand_base: int = 0,
    on_demand_above_base: int | None = None,
    spot_allocation_strategy: SpotAllocationStrategy = (
        SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
    ),
    on_demand_allocation_strategy: OnDemandAllocationStrategy = (
        OnDemandAllocationStrategy.LOWEST_PRICE
    ),
    labels: Mapping[str, str] | None = None,
    taints: Sequence[Taint] = (),
    weight: int = 0,
    limits: Limits | None = None,
) -> str:
    """:func:`nodepool` as one YAML document, which ``load_nodepools`` reads back equal.

    Raises:
        UserError: As :func:`nodepool` does.
    """
    pool = nodepool(
        candidates,
        name=name,
        capacity_types=capacity_types,
        zones=zones,
        architecture=architecture,
        max_interruption=max_interruption,
        on_demand_base=on_demand_base,
        on_demand_above_base=on_demand_above_base,
        spot_allocation_strategy=spot_allocation_strategy,
        on_demand_allocation_strategy=on_demand_allocation_strategy,
        labels=labels,
        taints=taints,
        weight=weight,
        limits=limits,
    )
    return dump_nodepool(pool)
