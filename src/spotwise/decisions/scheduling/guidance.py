"""Which instance types each pod group should go to: guidance from a linear program.

Packing group by group, greedily, misses what a whole-demand view sees: that a type which
is no group's favourite can be the cheapest home for several groups together. The
assignment LP sees it. Variables are nodes per type x_t and pods of group g per type
y_gt (fractional); every pod is assigned, and each type's CPU, memory and pod slots
cover what it hosts; the objective is the hourly price. Its solution says, per group,
which types carry its pods in a cheapest fractional packing; the packer then opens and
fills nodes of those types. The LP is also a lower bound on any packing's cost.

Columns are limited to a shared candidate set (each group's cheapest types per pod),
which keeps the LP small enough to solve in milliseconds with HiGHS (through highspy, its
own bindings: scipy.optimize took half a second to import, longer than the plan itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import highspy

from spotwise.decisions.scheduling.bins import fit_count
from spotwise.model.resources import Resources

CANDIDATES_PER_GROUP = 12
TIME_LIMIT_SECONDS = 2.0
MIB = 2**20


@dataclass(frozen=True, slots=True)
class Guidance:
    """The LP's answer: which shapes carry each group's pods, and how many.

    Attributes:
        types_by_group: Group index -> shape indexes with a positive share, busiest first.
        bound: The LP's optimal hourly cost (a lower bound for these candidates).
        columns: Each column with a positive share: (shape index, price).
        assigned: Group index -> column index -> pods (fractional) it puts there.
    """

    types_by_group: dict[int, tuple[int, ...]]
    bound: float
    columns: tuple[tuple[int, float], ...] = ()
    assigned: dict[int, dict[int, float]] = field(default_factory=dict)


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
    base = len(counts)
    # Ephemeral storage is a row only when some pod asks for it: most plans have none.
    storage = any(r.ephemeral_bytes for r in requests)
    per = 4 if storage else 3
    # Columns x_i (nodes of candidate i), then y_j (pods of pair j's group on its column);
    # rows: one per group (every pod assigned: sum_s y_gs >= n_g), then `per` per
    # candidate (its CPU, memory, pod slots and storage cover what it hosts:
    # sum r y - a x <= 0).
    starts, index, value = [0], [], []
    for i, (s, _) in enumerate(candidates):
        for offset, amount in enumerate(_amounts(allocatable[s], storage)):
            if amount:
                index.append(base + per * i + offset)
                value.append(-amount)
        starts.append(len(index))
    for g, column in pairs:
        index.append(g)
        value.append(1.0)
        row = base + per * index_of[column]
        for offset, amount in enumerate(_amounts(requests[g], storage)):
            if amount:
                index.append(row + offset)
                value.append(amount)
        starts.append(len(index))
    lp = highspy.HighsLp()
    lp.num_col_ = lp.a_matrix_.num_col_ = n_x + len(pairs)
    lp.num_row_ = lp.a_matrix_.num_row_ = base + per * n_x
    lp.col_cost_ = prices + [0.0] * len(pairs)
    lp.col_lower_ = [0.0] * lp.num_col_
    lp.col_upper_ = [highspy.kHighsInf] * lp.num_col_
    lp.row_lower_ = [float(c) for c in counts] + [-highspy.kHighsInf] * (per * n_x)
    lp.row_upper_ = [highspy.kHighsInf] * base + [0.0] * (per * n_x)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    solver = highspy.Highs()  # type: ignore[no-untyped-call]  # its __init__ has no hints
    solver.setOptionValue("output_flag", False)  # before any other call: no banner, no log
    # Past this the plan goes on without guidance (the greedy alone) rather than wait.
    solver.setOptionValue("time_limit", TIME_LIMIT_SECONDS)
    if solver.passModel(lp) == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused the assignment LP")  # a bug here, not the input
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    x = solver.getSolution().col_value
    shares: dict[int, list[tuple[float, int]]] = {}
    used: dict[tuple[int, float], int] = {}
    assigned: dict[int, dict[int, float]] = {}
    for j, (g, column) in enumerate(pairs):
        share = float(x[n_x + j])
        if share > 1e-6:
            shares.setdefault(g, []).append((-share, column[0]))
            at = used.setdefault(column, len(used))
            assigned.setdefault(g, {})[at] = share
    return Guidance(
        {g: tuple(s for _, s in sorted(v)) for g, v in shares.items()},
        float(solver.getInfo().objective_function_value),
        tuple(used),
        assigned,
    )


def _amounts(r: Resources, storage: bool) -> tuple[float, ...]:
    """CPU (millicores), memory (MiB), pod slots and, when asked, storage (MiB): a row each."""
    if storage:
        return float(r.cpu_milli), r.memory_bytes / MIB, float(r.pods), r.ephemeral_bytes / MIB
    return float(r.cpu_milli), r.memory_bytes / MIB, float(r.pods)


def _candidates(
    requests: Sequence[Resources],
    allowed: Sequence[dict[int, float]],
    allocatable: Sequence[Resources],
) -> list[tuple[int, float]]:
    """The union of every group's cheapest (shape, price) columns per pod."""
    chosen: set[tuple[int, float]] = set()
    for request, options in zip(requests, allowed, strict=True):
        fits = ((fit_count(allocatable[s], request), s, price) for s, price in options.items())
        ranked = sorted((price / fit, s, price) for fit, s, price in fits if fit >= 1)
        chosen.update((s, price) for _, s, price in ranked[:CANDIDATES_PER_GROUP])
    return sorted(chosen)
