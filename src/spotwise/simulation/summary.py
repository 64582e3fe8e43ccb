"""The terminal summary of a simulation: one column per strategy, ratios to on-demand."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from spotwise.simulation.runner import Comparison
from spotwise.simulation.strategies import ON_DEMAND


def render_summary(comparison: Comparison, console: Console) -> None:
    """Print the figures of every strategy side by side."""
    runs = comparison.runs
    reference = next((r for r in runs if r.strategy == ON_DEMAND), None)
    table = Table(
        title=f"{comparison.scenario}: {comparison.simulated_hours:g} h, seed {comparison.seed}",
        header_style="bold",
        title_justify="left",
    )
    table.add_column("")
    for run in runs:
        table.add_column(run.strategy, justify="right")
    figures = [run.summary() for run in runs]

    def row(label: str, values: list[str]) -> None:
        table.add_row(label, *values)

    row("cost", [f"${f['cost']:.2f}" for f in figures])
    if reference is not None:
        base = reference.totals.cost
        row("vs all on-demand", [f"{r.totals.cost / base:.2f}x" if base else "-" for r in runs])
    row("savings vs own on-demand price", [f"{f['savings_percent']:.1f}%" for f in figures])
    row("node-hours spot", [f"{f['node_hours_spot']:.1f}" for f in figures])
    row("node-hours on-demand", [f"{f['node_hours_on_demand']:.1f}" for f in figures])
    row(
        "rebalance recommendations",
        [str(f["interruptions"]["rebalance-recommendation"]) for f in figures],
    )
    row("interruption warnings", [str(f["interruptions"]["interruption-warning"]) for f in figures])
    row("instances reclaimed", [str(f["interruptions"]["termination"]) for f in figures])
    row("pods evicted", [str(f["pods_evicted"]) for f in figures])
    row("pods force-deleted", [str(f["pods_force_deleted"]) for f in figures])
    row("pods lost (killed running)", [str(f["pods_lost"]) for f in figures])
    row("pod-seconds pending", [f"{f['pending_pod_seconds']:,.0f}" for f in figures])
    row(
        "evicted with a ready replacement",
        [f"{f['replacement_ready_percent']:.0f}%" for f in figures],
    )
    row("longest time below a PDB", [f"{f['longest_below_pdb_seconds']:,.0f} s" for f in figures])
    row(
        "launches (on-demand fallbacks)",
        [f"{f['launches']} ({f['on_demand_fallbacks']})" for f in figures],
    )
    console.print(table)
    console.print(
        "No interruption handler runs yet: interrupted instances vanish at their deadline and "
        "their pods are recreated (the baseline without a handler)."
    )
