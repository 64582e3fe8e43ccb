"""Which instance types each pod group should go to: guidance from a linear program.

Packing group by group, greedily, misses what a whole-demand view sees: that a type which
is no group's favourite can be the cheapest home for several groups together. The
assignment LP sees it. Variables are nodes per type x_t and pods of group g per type
y_gt (fractional); every pod is assigned, and each type's CPU, memory and pod slots
cover what it hosts; the objective is the hourly price. Its solution says, per group,
which types carry its pods in a cheapest fractional packing; the packer then opens and
fills nodes of those types. The LP is also a lower bound on any packing's cost.

Columns are limited to a shared candidate set (each group's cheapest types per pod),
which keeps the LP small enough to solve in milliseconds with HiGHS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from spotwise.model.resources import Resources
from spotwise.scheduling.bins import fit_count

CANDIDATES_PER_GROUP = 12
MIB = 2**20


@dataclass(frozen=True, slots=True)
class Guidance:
    """The LP's answer: per group, the shape indexes that carry its pods, busiest first.

    Attributes:
        types_by_group: Group index -> shape indexes with a positive share.
        bound: The LP's optimal hourly cost (a lower bound for these candidates).
    """

    types_by_group: dict[int, tuple[int, ...]]
    bound: float


def solve(
    requests: Sequence[Resources],
    counts: Sequence[int],
    allowed: Sequence[dict[int, float]],
    allocatable: Sequence[Resources],
) -> Guidance | None:
    """Solve the assignment LP.

    A column is a shape at a price: a group that may only run on-demand sees a shape at
    its on-demand price, one that may run on spot at its spot price, and the two never
    share a column, so the LP cannot put on-demand pods on capacity priced as spot.

    Args:
        requests: Each group's per-pod request.
        counts: Each group's number of pods.
        allowed: Per group, shape index -> the cheapest price it may be bought at.
        allocatable: Each shape's allocatable.

    Returns:
        The guidance, or None when the LP has no solution (a group that fits nowhere).
    """
    candidates = _candidates(requests, allowed, allocatable)
    if not candidates:
        return None
    index_of = {column: i for i, column in enumerate(candidates)}
    prices = [price for _, price in candidates]
    pairs = [
        (g, (s, price))
        for g, options in enumerate(allowed)
        for s, price in options.items()
        if (s, price) in index_of and fit_count(allocatable[s], requests[g]) >= 1
    ]
    n_x = len(candidates)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    bounds: list[float] = []
    for j, (g, _) in enumerate(pairs):  # every pod assigned: -sum_s y_gs <= -n_g
        rows.append(g)
        cols.append(n_x + j)
        vals.append(-1.0)
    bounds += [-float(c) for c in counts]
    base = len(counts)
    for j, (g, column) in enumerate(pairs):  # a type's room covers what it hosts
        r = requests[g]
        row = base + 3 * index_of[column]
        for offset, amount in enumerate((r.cpu_milli, r.memory_bytes / MIB, r.pods)):
            if amount:
                rows.append(row + offset)
                cols.append(n_x + j)
                vals.append(float(amount))
    for i, (s, _) in enumerate(candidates):
        a = allocatable[s]
        for offset, amount in enumerate((a.cpu_milli, a.memory_bytes / MIB, a.pods)):
            rows.append(base + 3 * i + offset)
            cols.append(i)
            vals.append(-float(amount))
    bounds += [0.0] * (3 * n_x)
    matrix = coo_matrix((vals, (rows, cols)), shape=(base + 3 * n_x, n_x + len(pairs)))
    cost = np.concatenate([np.array(prices), np.zeros(len(pairs))])
    result = linprog(
        cost, A_ub=matrix.tocsr(), b_ub=np.array(bounds), bounds=(0, None), method="highs"
    )
    if not result.success:
        return None
    shares: dict[int, list[tuple[float, int]]] = {}
    for j, (g, (s, _)) in enumerate(pairs):
        share = float(result.x[n_x + j])
        if share > 1e-6:
            shares.setdefault(g, []).append((-share, s))
    return Guidance(
        {g: tuple(s for _, s in sorted(v)) for g, v in shares.items()}, float(result.fun)
    )


def _candidates(
    requests: Sequence[Resources],
    allowed: Sequence[dict[int, float]],
    allocatable: Sequence[Resources],
) -> list[tuple[int, float]]:
    """The union of every group's cheapest (shape, price) columns per pod."""
    chosen: set[tuple[int, float]] = set()
    for request, options in zip(requests, allowed, strict=True):
        ranked = sorted(
            (price / max(fit_count(allocatable[s], request), 1), s, price)
            for s, price in options.items()
            if fit_count(allocatable[s], request) >= 1
        )
        chosen.update((s, price) for _, s, price in ranked[:CANDIDATES_PER_GROUP])
    return sorted(chosen)
