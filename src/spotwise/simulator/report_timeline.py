"""The report's interruption timeline: every event as a marker, one row per strategy."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.lines import Line2D

from spotwise.simulator.report_plots import Plot, new_figure
from spotwise.simulator.results import RunResult, TimelineEvent

# Marker, colour, legend label and vertical offset inside a strategy's row, per event kind;
# the offsets keep a warning and the reclaim it announces apart when they are minutes apart.
KINDS: dict[str, tuple[str, str, str, float]] = {
    "rebalance-recommendation": ("o", "#457b9d", "rebalance recommendation", -0.22),
    "interruption-warning": ("^", "#f4a261", "interruption warning", 0.0),
    "termination": ("X", "#d62828", "instance reclaimed", 0.22),
}


def interruption_timeline(runs: Sequence[RunResult], hours: float) -> Plot:
    """Every interruption event as a marker: one row per strategy, one marker per kind."""
    figure, ax = new_figure(0.9 + 0.55 * max(len(runs), 1))
    styles = dict(KINDS)
    for row, run in enumerate(runs):
        for kind, events in _by_kind(run.events).items():
            # A kind the engine adds later still shows, as grey squares under its own name.
            marker, colour, _, offset = styles.setdefault(kind, ("s", "#6c757d", kind, 0.0))
            xs = [e.hours for e in events]
            ax.scatter(xs, [row + offset] * len(xs), marker=marker, color=colour, s=30, zorder=3)
    ax.set_yticks(range(len(runs)), labels=[r.strategy for r in runs])
    ax.set_ylim(max(len(runs), 1) - 0.5, -0.5)
    ax.set_xlim(0, hours)
    ax.set_xlabel("simulated hours")
    ax.grid(axis="x", alpha=0.3)
    handles = [
        Line2D([], [], marker=m, linestyle="", color=c, label=label)
        for m, c, label, _ in styles.values()
    ]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=4, fontsize=8)
    if not any(r.events for r in runs):
        ax.text(0.5, 0.5, "no interruptions", transform=ax.transAxes, ha="center", va="center")
    return Plot(
        "timeline",
        "Interruption timeline",
        "Timeline of rebalance recommendations, interruption warnings and reclaimed instances "
        "per strategy.",
        "One row per strategy; circles are rebalance recommendations, triangles interruption "
        "warnings, crosses instances reclaimed at their deadline.",
        figure,
    )


def _by_kind(events: Sequence[TimelineEvent]) -> dict[str, list[TimelineEvent]]:
    grouped: dict[str, list[TimelineEvent]] = {kind: [] for kind in KINDS}
    for event in events:
        grouped.setdefault(event.kind, []).append(event)
    return {k: v for k, v in grouped.items() if v}
