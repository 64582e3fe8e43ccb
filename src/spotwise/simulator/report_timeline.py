"""The report's interruption timeline: every event as a marker, one row per strategy."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.lines import Line2D

from spotwise.simulator.interruption_log import InterruptionStory
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


# What the handler did after each notice, as marks on a line from the notice to the node's
# end: step name, marker, colour.
STEPS: tuple[tuple[str, str, str], ...] = (
    ("cordoned and tainted to drain", "|", "#1d3557"),
    ("cordoned only", "|", "#8d99ae"),
    ("first pod evicted (replacement Ready)", "^", "#2a9d8f"),
    ("first pod evicted (replacement not Ready)", "v", "#e9c46a"),
    ("drained", "s", "#457b9d"),
    ("node retired by spotwise", "o", "#1d1d1f"),
    ("instance reclaimed by EC2", "X", "#d62828"),
)
MOST_NOTICES = 40


def notice_actions(runs: Sequence[RunResult]) -> Plot:
    """Each interrupted node: what was done, minutes after its notice, and its pods.

    One row per node (the ``MOST_NOTICES`` with the most pods when there are more), grouped
    by strategy; the row's label names the strategy, the type and what became of its pods.
    """
    stories = [(run.strategy, s) for run in runs for s in run.interruptions]
    total = len(stories)
    if total > MOST_NOTICES:
        stories = sorted(stories, key=lambda rs: (-rs[1].pods, rs[1].notice))[:MOST_NOTICES]
        stories.sort(key=lambda rs: ([r.strategy for r in runs].index(rs[0]), rs[1].notice))
    figure, ax = new_figure(1.0 + 0.32 * max(len(stories), 1))
    marks = {name: (marker, colour) for name, marker, colour in STEPS}
    longest = 5.0
    for row, (_, story) in enumerate(stories):
        steps = _steps(story)
        end = max(minutes for _, minutes in steps) if steps else 0.0
        longest = max(longest, end)
        ax.plot([0, end], [row, row], color="#adb5bd", linewidth=1.5, zorder=1)
        ax.scatter([0], [row], marker="d", color="#6c757d", s=28, zorder=3)
        for name, minutes in steps:
            marker, colour = marks[name]
            ax.scatter([minutes], [row], marker=marker, color=colour, s=40, zorder=3)
    labels = [f"{strategy} · {s.instance_type} · {_pods(s)}" for strategy, s in stories]
    ax.set_yticks(range(len(stories)), labels=labels, fontsize=8)
    ax.set_ylim(max(len(stories), 1) - 0.5, -0.5)
    ax.set_xlim(-0.2, longest * 1.05)
    ax.set_xlabel("minutes after the notice")
    ax.grid(axis="x", alpha=0.3)
    handles = [Line2D([], [], marker="d", linestyle="", color="#6c757d", label="notice")]
    handles += [Line2D([], [], marker=m, linestyle="", color=c, label=n) for n, m, c in STEPS]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    if not stories:
        ax.text(0.5, 0.5, "no interruptions", transform=ax.transAxes, ha="center", va="center")
    shown = f"the {len(stories)} of {total} with the most pods" if total > len(stories) else "all"
    return Plot(
        "notices",
        "What was done for each notice",
        "For every interrupted node, a line from its notice to its end with a mark for each "
        "step: cordoned, first pod evicted, drained, retired or reclaimed.",
        f"One row per interrupted node ({shown}), by strategy and notice time: its type and "
        "its pods (moved by the drain, lost with the instance). A rebalance recommendation "
        "that stays is a line with no end mark.",
        figure,
    )


def _steps(story: InterruptionStory) -> list[tuple[str, float]]:
    def after(hours: float | None) -> float | None:
        return None if hours is None else (hours - story.notice) * 60

    ready = "Ready" if story.first_ready else "not Ready"
    end = "instance reclaimed by EC2" if story.reclaimed else "node retired by spotwise"
    mark = "cordoned and tainted to drain" if story.action == "drain" else "cordoned only"
    found = [
        (mark, after(story.marked)),
        (f"first pod evicted (replacement {ready})", after(story.drain_started)),
        ("drained", after(story.drained)),
        (end, after(story.gone)),
    ]
    return [(name, minutes) for name, minutes in found if minutes is not None]


def _pods(story: InterruptionStory) -> str:
    lost = f", {story.pods_lost} lost" if story.pods_lost else ""
    return f"{story.pods} pods: {story.pods_moved} moved{lost}"
