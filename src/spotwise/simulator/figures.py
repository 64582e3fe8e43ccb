"""The rows of the summary table, shared by the terminal and the HTML report.

Each row names exactly what it measures; a figure that does not apply to a strategy, or
that nothing measures yet, shows as ``n/a`` rather than as a made-up number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# One row: its label and how to show one strategy's figures (the ``--json`` object).
Row = tuple[str, Callable[[dict[str, Any]], str]]
NOT_APPLICABLE = "n/a"


def percent(value: float | None, digits: int = 1) -> str:
    """``59.3%``, or n/a for a figure that does not apply."""
    return NOT_APPLICABLE if value is None else f"{value:.{digits}f}%"


def ratio(value: float | None) -> str:
    """``0.41x``, or n/a when there is no on-demand run to compare with."""
    return NOT_APPLICABLE if value is None else f"{value:.2f}x"


ROWS: tuple[Row, ...] = (
    ("cost", lambda f: f"${f['cost']:,.2f}"),
    ("cost vs the on-demand strategy", lambda f: ratio(f.get("cost_ratio_to_on_demand"))),
    (
        "savings vs the on-demand strategy",
        lambda f: percent(f.get("savings_vs_on_demand_strategy_percent")),
    ),
    (
        "savings vs its own nodes at on-demand price",
        lambda f: percent(f["savings_vs_own_on_demand_price_percent"]),
    ),
    ("node-hours spot", lambda f: f"{f['node_hours_spot']:,.1f}"),
    ("node-hours on-demand", lambda f: f"{f['node_hours_on_demand']:,.1f}"),
    ("spot pools used (type x zone)", lambda f: str(f["spot_pools_used"])),
    ("spot node-hours in the busiest pool", lambda f: percent(f["largest_pool_share"])),
    ("spot node-hours in the busiest type", lambda f: percent(f["largest_type_share"])),
    ("rebalance recommendations", lambda f: str(f["interruptions"]["rebalance-recommendation"])),
    ("interruption warnings", lambda f: str(f["interruptions"]["interruption-warning"])),
    ("instances reclaimed", lambda f: str(f["interruptions"]["termination"])),
    ("pods evicted", lambda f: str(f["pods_evicted"])),
    ("pods deleted at the deadline", lambda f: str(f["pods_deleted_at_deadline"])),
    ("pods force-deleted", lambda f: str(f["pods_force_deleted"])),
    ("pods lost (killed running)", lambda f: str(f["pods_lost"])),
    ("pod-seconds pending", lambda f: f"{f['pending_pod_seconds']:,.0f}"),
    (
        "evicted with a ready replacement",
        lambda f: percent(f["replacement_ready_percent"], digits=0),
    ),
    ("longest time below a PDB", lambda f: f"{f['longest_below_pdb_seconds']:,.0f} s"),
    (
        "longest time below a PDB after an interruption",
        lambda f: f"{f['longest_below_pdb_after_interruption_seconds']:,.0f} s",
    ),
    ("launches (on-demand fallbacks)", lambda f: f"{f['launches']} ({f['on_demand_fallbacks']})"),
    ("empty nodes removed", lambda f: str(f["nodes_removed_empty"])),
    ("nodes consolidated (pods moved)", lambda f: str(f["nodes_disrupted"])),
    ("pods moved by consolidation", lambda f: str(f["pods_moved_by_consolidation"])),
    (
        "longest time below a PDB after consolidation",
        lambda f: f"{f['longest_below_pdb_after_consolidation_seconds']:,.0f} s",
    ),
    ("consolidations per node-day", lambda f: _per_node_day(f["disruptions_per_node_day"])),
)


# Shown when the scenario has commitments: the bill with them, and how much each was used.
COMMITMENT_ROWS: tuple[Row, ...] = (
    ("billed, commitments counted", lambda f: f"${f['billed_cost']:,.2f}"),
    ("of it, commitment fees", lambda f: f"${f['commitment_fees']:,.2f}"),
    (
        "commitments used",
        lambda f: ", ".join(
            f"{c['id']} {percent(c['utilization_percent'], digits=0)}" for c in f["commitments"]
        ),
    ),
)


def rows_for(figures: Sequence[dict[str, Any]]) -> tuple[Row, ...]:
    """The rows to show for these strategies' figures: the commitments' only with some."""
    if any(f["commitments"] for f in figures):
        return ROWS[:1] + COMMITMENT_ROWS + ROWS[1:]
    return ROWS


def _per_node_day(value: float | None) -> str:
    return NOT_APPLICABLE if value is None else f"{value:.2f}"
