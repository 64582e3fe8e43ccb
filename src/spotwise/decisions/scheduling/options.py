"""Operations on a new node's options: shape index -> where that shape may be bought.

A claim's options narrow as pods join it (their node constraints, a zone decided for a
spread...). These functions compute on options without touching the packer's state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from spotwise.decisions.scheduling.bins import Placement
from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import ZONE, capacity_type_labels
from spotwise.model.labelset import LabelSet
from spotwise.model.resources import Resources

Options = dict[int, frozenset[Placement]]


def room_left(
    allocatable: tuple[Resources, ...], frontier: Sequence[int], used: Resources
) -> Resources:
    """The most CPU and memory any remaining shape leaves free: a quick upper bound."""
    if not frontier:
        return Resources()
    return Resources(
        max(allocatable[i].cpu_milli for i in frontier) - used.cpu_milli,
        max(allocatable[i].memory_bytes for i in frontier) - used.memory_bytes,
    )


def dominant_shapes(
    options: dict[int, frozenset[Placement]], allocatable: tuple[Resources, ...]
) -> tuple[int, ...]:
    """The shapes no other option dominates: what bounds how much more a node can hold.

    A shape with no more of anything than another one can never hold more pods, so the
    fit of a new node is the best fit over this frontier (often one or a few shapes).
    """
    ordered = sorted(
        options,
        key=lambda i: (
            -allocatable[i].cpu_milli,
            -allocatable[i].memory_bytes,
            -allocatable[i].pods,
            i,
        ),
    )
    kept: list[int] = []
    for index in ordered:
        mine = allocatable[index]
        if not any(mine.fits_in(allocatable[other]) for other in kept):
            kept.append(index)
    return tuple(kept)


def intersect(
    a: dict[int, frozenset[Placement]], b: dict[int, frozenset[Placement]]
) -> dict[int, frozenset[Placement]]:
    """The shapes and placements both option maps allow (``a`` itself when they are one)."""
    if a is b:
        return a
    out = {}
    for index, placements in a.items():
        other = b.get(index)
        if other is not None:
            both = placements & other
            if both:
                out[index] = both
    return out


def require(
    pool: Pool, options: dict[int, frozenset[Placement]], key: str, value: str
) -> dict[int, frozenset[Placement]]:
    """Keep the placements whose node label ``key`` is ``value``."""
    by_placement = _PLACEMENT_KEYS.get(key)
    if by_placement is not None:
        # The zone and capacity-type labels are functions of the placement itself, so
        # these, the common cases, need no label lookups.
        out = {}
        for index, placements in options.items():
            kept = frozenset(p for p in placements if by_placement(p) == value)
            if kept:
                out[index] = kept
        return out
    out = {}
    for index, placements in options.items():
        kept = frozenset(
            (o.zone, o.capacity_type)
            for o in pool.shapes[index].offers
            if (o.zone, o.capacity_type) in placements and o.labels.get(key) == value
        )
        if kept:
            out[index] = kept
    return out


def _capacity_label(convention: str) -> Callable[[Placement], str]:
    def label(placement: Placement) -> str:
        return capacity_type_labels(placement[1])[convention]

    return label


_PLACEMENT_KEYS: dict[str, Callable[[Placement], str]] = {
    ZONE: lambda placement: placement[0],
    **{key: _capacity_label(key) for key in capacity_type_labels(CapacityType.SPOT)},
}


def label_values(pool: Pool, options: dict[int, frozenset[Placement]], key: str) -> set[str]:
    """Every value node label ``key`` may take on a node with these options."""
    by_placement = _PLACEMENT_KEYS.get(key)
    if by_placement is not None:
        return {by_placement(p) for placements in options.values() for p in placements}
    values: set[str] = set()
    for index, placements in options.items():
        for o in pool.shapes[index].offers:
            if (o.zone, o.capacity_type) in placements:
                value = o.labels.get(key)
                if value is not None:
                    values.add(value)
    return values


def agreed_labels(
    pool: Pool, options: dict[int, frozenset[Placement]], keys: Iterable[str]
) -> LabelSet:
    """The values of ``keys`` that every remaining offer of a claim agrees on.

    Only topology keys matter here, and asking for them alone keeps this off the hot path.
    """
    agreed: dict[str, str] = {}
    for key in keys:
        value: str | None = None
        unanimous = True
        for index, placements in options.items():
            for o in pool.shapes[index].offers:
                if (o.zone, o.capacity_type) not in placements:
                    continue
                mine = o.labels.get(key)
                if mine is None or (value is not None and mine != value):
                    unanimous = False
                    break
                value = mine
            if not unanimous:
                break
        if unanimous and value is not None:
            agreed[key] = value
    return LabelSet(agreed)


def cheapest(pool: Pool, index: int, placements: frozenset[Placement]) -> float:
    """The lowest price of shape ``index`` over ``placements`` (inf when none)."""
    return min(
        (o.price for o in pool.shapes[index].offers if (o.zone, o.capacity_type) in placements),
        default=math.inf,
    )


def cheapest_spot(pool: Pool, index: int, placements: frozenset[Placement]) -> float:
    """The lowest spot price of shape ``index`` over ``placements`` (inf when none)."""
    return min(
        (
            o.price
            for o in pool.shapes[index].offers
            if o.capacity_type is CapacityType.SPOT and (o.zone, o.capacity_type) in placements
        ),
        default=math.inf,
    )


def grows_on_spot(options: dict[int, frozenset[Placement]]) -> bool:
    """Whether some option may be bought as spot."""
    return any(ct is CapacityType.SPOT for placements in options.values() for _, ct in placements)
