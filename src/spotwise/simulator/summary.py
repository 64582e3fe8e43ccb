"""The terminal summary of a simulation: one column per strategy, the report's rows."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from spotwise.simulator.figures import rows_for
from spotwise.simulator.runner import Comparison


def render_summary(comparison: Comparison, console: Console) -> None:
    """Print the figures of every strategy side by side."""
    table = Table(
        title=f"{comparison.scenario}: {comparison.simulated_hours:g} h, seed {comparison.seed}",
        header_style="bold",
        title_justify="left",
    )
    table.add_column("")
    for run in comparison.runs:
        table.add_column(run.strategy, justify="right")
    figures = comparison.document()["strategies"]
    for label, show in rows_for(figures):
        table.add_row(label, *(show(f) for f in figures))
    console.print(table)
    without = [r.strategy for r in comparison.runs if not r.handler]
    note = (
        "Every strategy runs the interruption handler (warnings drained, replacement first)"
        if not without
        else f"Every strategy but {', '.join(without)} runs the interruption handler"
        " (warnings drained, replacement first); without it, interrupted instances vanish at"
        " their deadline and their pods are recreated"
    )
    console.print(note + "; 'evicted with a ready replacement' is n/a where nothing was evicted.")
