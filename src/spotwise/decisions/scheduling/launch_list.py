"""A new node's launch list: the types EC2 may choose from, diverse enough to get capacity.

The list holds every type that holds the node's pods up to the pool's price ceiling. For
spot it then takes the next cheapest types until it has ``minInstanceTypes`` types and
``minFamilies`` families, never one above `LIST_GUARD` over the cheapest, or over the
pool its strategy is expected to pick if that is dearer: the allocation strategy can only
pick deep pools that the list names, and a few cents buy many pools.
Types that already make up ``maxTypeShare`` of the pool's spot nodes are left out while
the list stays as diverse without them and the node is not expected to cost more than the
price ceiling above what it would with them, so that a cluster does not pile onto one
type, nor pay much to avoid it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from spotwise.decisions.capacity.expected import PoolQuote, expected_pick
from spotwise.decisions.scheduling.bins import Claim
from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.instance_type import CapacityType
from spotwise.model.resources import Resources

# Karpenter's cap on the types of one launch.
MAX_LAUNCH_TYPES = 60
# A list widened for diversity never takes a type dearer than this share above the
# cheapest (or the pool's ceiling, if higher): diversity is worth cents, not a dearer node.
LIST_GUARD = 1.0


@dataclass(frozen=True, slots=True)
class LaunchList:
    """The types a node may launch as, with the pools they name.

    Attributes:
        types: Type names, cheapest first.
        zones: The zones any of them may be bought in.
        quotes: Every (type, zone) pool the list names, with its price and bucket.
        families: How many instance families the types span.
        pick: The pool the launch is expected to take (spot: its allocation strategy's
            expected pick; on-demand: the cheapest); None for an empty list.
    """

    types: tuple[str, ...]
    zones: tuple[str, ...]
    quotes: tuple[PoolQuote, ...]
    families: int
    pick: PoolQuote | None


@dataclass(frozen=True, slots=True)
class Listable:
    """A type a list may take, as the walk sees it.

    Attributes:
        price: Its cheapest pool among those the list would name.
        name: The type.
        family: Its instance family.
        quotes: The pools the list would name for it.
    """

    price: float
    name: str
    family: str
    quotes: tuple[PoolQuote, ...]


def guard_factor(price_ceiling: float) -> float:
    """How far above the cheapest a widened list may reach: 1 + max(ceiling, guard)."""
    return 1 + max(price_ceiling, LIST_GUARD)


def wider_guard(pool: Pool, quotes: Sequence[PoolQuote]) -> float:
    """The guard of a list still short of types: relative to what it is expected to cost.

    A list whose cheapest type is a cheap, stormy outlier would otherwise stop short of
    the types its strategy will actually launch and the ones priced like them.
    """
    return expected_pick(pool.spot_strategy, quotes).price * guard_factor(pool.price_ceiling)


def launch_list(
    claim: Claim,
    capacity_type: CapacityType,
    by_price: Sequence[tuple[float, int]],
    allocatable: tuple[Resources, ...],
    crowded: frozenset[str] = frozenset(),
) -> LaunchList:
    """The launch list of ``claim``'s node bought as ``capacity_type``.

    Args:
        claim: The packer's node.
        capacity_type: How it is bought.
        by_price: The pool's shapes of that capacity type, (lowest price, index), cheapest
            first, so that the walk stops at the guard instead of pricing every type.
        allocatable: Each shape's allocatable after DaemonSets.
        crowded: Types the pool already runs too many spot nodes of: left out while
            the list stays as diverse and about as cheap without them.
    """
    full = _walk(claim, capacity_type, by_price, allocatable, frozenset())
    if crowded and capacity_type is CapacityType.SPOT and crowded & set(full.types):
        # The share is the softer rule: crowded types go only while the list stays as
        # diverse as the pool asks (or as it can be), and the pool it is expected to
        # launch from costs no more than the price ceiling above the full list's.
        spread = _walk(claim, capacity_type, by_price, allocatable, crowded)
        pool = claim.pool
        if _as_diverse(spread, full, pool) and _price(spread) <= _price(full) * (
            1 + pool.price_ceiling
        ):
            return spread
    return full


def _wanted(pool: Pool) -> tuple[int, int]:
    return (pool.min_instance_types, pool.min_families)


def _as_diverse(spread: LaunchList, full: LaunchList, pool: Pool) -> bool:
    """Whether ``spread`` has as many types and families as asked, or as ``full`` has."""
    return len(spread.types) >= min(len(full.types), pool.min_instance_types) and (
        spread.families >= min(full.families, pool.min_families)
    )


def _price(found: LaunchList) -> float:
    return found.pick.price if found.pick is not None else float("inf")


def _walk(
    claim: Claim,
    capacity_type: CapacityType,
    by_price: Sequence[tuple[float, int]],
    allocatable: tuple[Resources, ...],
    skipped: frozenset[str],
) -> LaunchList:
    """The list of ``claim``'s node: the types that hold its pods, offered where it may go."""
    pool = claim.pool
    allowed = {zone for zone, ct in claim.placements() if ct is capacity_type}
    # The packer kept exotic shapes out of the options of pods that do not need them
    # (compat.that_fit); the launch list must not bring them back.
    ordinary_only = not claim.used.extended and any(
        not pool.shapes[i].instance_type.exotic for i in claim.options
    )

    def listable(index: int) -> Listable | None:
        placements = claim.compatible.get(index)
        if placements is None or not claim.used.fits_in(allocatable[index]):
            return None
        shape = pool.shapes[index]
        if shape.name in skipped or (ordinary_only and shape.instance_type.exotic):
            return None
        quotes = tuple(
            PoolQuote(shape.name, o.zone, o.price, o.interruption, o.observed)
            for o in shape.offers
            if o.capacity_type is capacity_type
            and o.zone in allowed
            and (o.zone, capacity_type) in placements
        )
        if not quotes:
            return None
        price = min(q.price for q in quotes)
        return Listable(price, shape.name, shape.instance_type.family, quotes)

    return take_types(pool, capacity_type is CapacityType.SPOT, by_price, listable)


def take_types(
    pool: Pool,
    spot: bool,
    by_floor: Iterable[tuple[float, int]],
    listable: Callable[[int], Listable | None],
) -> LaunchList:
    """The list rule itself, for a node's list and for a size's (`pricing`).

    Types are taken cheapest first up to the price ceiling over the first; a spot list
    then takes the next ones while it is less diverse than the pool asks, up to the guard
    (widened to the expected pick's when that stops it short), at most `MAX_LAUNCH_TYPES`.

    Args:
        pool: The pool (its ceiling, diversity rules and spot strategy).
        spot: Whether the list is for spot; on-demand lists keep the ceiling.
        by_floor: (the lowest price a shape may have, shape index), cheapest first, so
            that the walk stops at the guard without quoting every shape.
        listable: The shape as the list would take it; None when it may not.
    """
    want_types, want_families = _wanted(pool) if spot else (1, 1)
    names: list[tuple[float, str]] = []
    quotes: list[PoolQuote] = []
    families: set[str] = set()
    ceiling = guard = float("inf")
    for floor, index in by_floor:
        diverse = len(names) >= want_types and len(families) >= want_families
        if floor > guard and not diverse:
            guard = max(guard, wider_guard(pool, quotes))
        if len(names) == MAX_LAUNCH_TYPES or floor > guard:
            break
        if floor > ceiling and diverse:
            break
        found = listable(index)
        if found is None:
            continue
        if not names:
            ceiling = found.price * (1 + pool.price_ceiling)
            guard = found.price * guard_factor(pool.price_ceiling)
        if found.price > guard or (found.price > ceiling and diverse):
            continue
        names.append((found.price, found.name))
        families.add(found.family)
        quotes += found.quotes
    zones = tuple(sorted({q.zone for q in quotes}))
    names.sort()
    pick = None
    if quotes:
        pick = (
            expected_pick(pool.spot_strategy, quotes)
            if spot
            else min(quotes, key=lambda q: q.price)
        )
    return LaunchList(tuple(n for _, n in names), zones, tuple(quotes), len(families), pick)


def crowded_types(held: Mapping[str, int], total: int, max_type_share: int) -> frozenset[str]:
    """The types that already make up ``max_type_share`` percent of ``total`` spot nodes.

    Every type may hold one node, so that a small pool is spread, not starved.

    Args:
        held: The pool's spot nodes per type (running and planned).
        total: The pool's spot nodes with the one being planned.
        max_type_share: The pool's ``maxTypeShare``, percent.
    """
    if max_type_share >= 100:
        return frozenset()
    allowed = max(1, total * max_type_share // 100)
    return frozenset(t for t, count in held.items() if count >= allowed)
