"""New nodes cut from the LP's fractional packing, a slice of each column's pods at a time.

The assignment LP (`spotwise.decisions.scheduling.guidance`) says, per column (a shape
at a price), how many pods of each group a cheapest fractional packing puts on nodes of
that shape. Its columns are full in every dimension at once only because each mixes
groups in the right proportion: CPU-heavy pods beside memory-heavy ones. Greedy
first-fit loses that mix (a node opened for one group fills with whatever comes next), and
the nodes it leaves half-full in one dimension were 15% of the bill on
benchmarks/packing_cost.py. So the packer cuts each column into nodes that keep the mix:
while n nodes' worth of its pods remain, a node takes 1/n of each group's share (rounded
down) and then tops up one pod per group at a time while any fits; the last, partial node
takes the rest and is finalized as the smallest type that holds it. Pods that fit no
slice go back to the greedy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from spotwise.model.resources import Resources


def round_assignment(
    assigned: Mapping[int, Mapping[int, float]], counts: Sequence[int]
) -> dict[int, dict[int, int]]:
    """Whole pods per column and group from the LP's fractional shares.

    Each group's shares are scaled to its pod count and rounded by largest remainder,
    so the pods it gets over all columns add up to its count exactly.

    Args:
        assigned: Group -> column -> pods (fractional), as the LP put them.
        counts: Each group's number of pods.

    Returns:
        Column -> group -> pods; zero entries are left out.
    """
    found: dict[int, dict[int, int]] = {}
    for group, shares in assigned.items():
        total = sum(shares.values())
        if total <= 0:
            continue
        scaled = {column: share * counts[group] / total for column, share in shares.items()}
        whole = {column: math.floor(value) for column, value in scaled.items()}
        short = counts[group] - sum(whole.values())
        by_remainder = sorted(scaled, key=lambda c: (whole[c] - scaled[c], c))
        for column in by_remainder[:short]:
            whole[column] += 1
        for column, pods in whole.items():
            if pods:
                found.setdefault(column, {})[group] = pods
    return found


def nodes_needed(
    wanted: Mapping[int, int], requests: Sequence[Resources], capacity: Resources
) -> float:
    """How many nodes of ``capacity`` the pods fill at least: the busiest dimension's share.

    Args:
        wanted: Group -> pods.
        requests: Each group's per-pod request.
        capacity: One node's allocatable.
    """
    cpu = sum(requests[g].cpu_milli * n for g, n in wanted.items())
    memory = sum(requests[g].memory_bytes * n for g, n in wanted.items())
    pods = sum(requests[g].pods * n for g, n in wanted.items())
    storage = sum(requests[g].ephemeral_bytes * n for g, n in wanted.items())
    return max(
        cpu / max(capacity.cpu_milli, 1),
        memory / max(capacity.memory_bytes, 1),
        pods / max(capacity.pods, 1),
        storage / max(capacity.ephemeral_bytes, 1),
    )


def slice_quotas(
    wanted: Mapping[int, int], requests: Sequence[Resources], capacity: Resources
) -> dict[int, int]:
    """What the next node takes of each group before topping up: its even share.

    When more than one node's worth remains, each group gives 1/n of its pods (rounded
    down), n being `nodes_needed`; otherwise the node takes all of them.

    Args:
        wanted: Group -> pods still to place in the column.
        requests: Each group's per-pod request.
        capacity: One node's allocatable.
    """
    need = nodes_needed(wanted, requests, capacity)
    if need <= 1:
        return dict(wanted)
    return {g: int(n // need) for g, n in wanted.items()}
