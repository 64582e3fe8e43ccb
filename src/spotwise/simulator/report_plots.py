"""The report's figures, drawn on plain matplotlib figures (no pyplot, no global backend)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from spotwise.simulator.results import RunResult, Sample
from spotwise.simulator.strategies import ON_DEMAND, SPOTWISE

WIDTH = 10.0
SPOT_COLOUR = "#2a9d8f"
ON_DEMAND_COLOUR = "#e76f51"
TOP_TYPES = 8


@dataclass(frozen=True, slots=True)
class Plot:
    """One figure of the report, with the words that go around it."""

    key: str
    heading: str
    alt: str
    caption: str
    figure: Figure


# Lines are told apart by dash and marker too, not only by colour (colour-blind readers,
# print): strategy i draws with DASHES[i % 4] and MARKERS[i // 4 % 8], 32 pairs.
DASHES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


@dataclass(frozen=True, slots=True)
class LineStyle:
    """How one strategy's lines look in every figure."""

    colour: str
    dash: str
    marker: str


def strategy_styles(runs: Sequence[RunResult]) -> dict[str, LineStyle]:
    """One colour, dash and marker per strategy, the same in every figure."""
    palette = colormaps["tab10"]
    return {
        run.strategy: LineStyle(_hex(palette(i % 10)), DASHES[i % 4], MARKERS[i // 4 % 8])
        for i, run in enumerate(runs)
    }


def showcase_run(runs: Sequence[RunResult]) -> RunResult | None:
    """The run whose instance types are worth showing: spotwise's own, or the closest to it."""
    exact = [r for r in runs if r.strategy == SPOTWISE]
    variants = [r for r in runs if r.strategy.startswith(SPOTWISE)]
    others = [r for r in runs if r.strategy != ON_DEMAND]
    for candidates in (exact, variants, others, list(runs)):
        if candidates:
            return candidates[0]
    return None


def cumulative_cost(runs: Sequence[RunResult], hours: float) -> Plot:
    """Money spent so far, per strategy: the hourly cost integrated between samples."""
    figure, ax = new_figure(4.0)
    styles = strategy_styles(runs)
    for run in runs:
        xs = [s.hours for s in run.samples]
        ys = _integrate(run.samples)
        style = styles[run.strategy]
        ax.plot(
            xs,
            ys,
            label=run.strategy,
            color=style.colour,
            linestyle=style.dash,
            marker=style.marker,
            markevery=max(len(xs) // 8, 1),
            markersize=5,
            linewidth=1.6,
        )
    _finish(ax, hours, "cost so far (USD)", any(r.samples for r in runs), whole=False)
    return Plot(
        "cost",
        "Cumulative cost",
        "Line chart of the money each strategy has spent over the simulated hours.",
        "Integrated from the sampled hourly cost (the summary table's cost is exact).",
        figure,
    )


def capacity_types(runs: Sequence[RunResult], hours: float) -> Plot:
    """Spot and on-demand nodes over time, one small panel per strategy on shared axes."""
    rows = max(len(runs), 1)
    figure = Figure(figsize=(WIDTH, 0.6 + 1.7 * rows), layout="constrained")
    axes = figure.subplots(rows, 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    for ax, run in zip(axes, runs, strict=False):
        xs = [s.hours for s in run.samples]
        spot = [s.spot_nodes for s in run.samples]
        on_demand = [s.on_demand_nodes for s in run.samples]
        ax.stackplot(
            xs,
            spot,
            on_demand,
            labels=["spot", "on-demand"],
            colors=[SPOT_COLOUR, ON_DEMAND_COLOUR],
            step="post",
        )
        ax.set_title(run.strategy, loc="left", fontsize=10)
        _finish(ax, hours, "nodes", bool(run.samples), legend=False)
        if ax is not axes[-1]:
            ax.set_xlabel("")
    if runs:
        axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, reverse=True)
        # _finish pins each panel's top to its own data when it sets the bottom, and the
        # panels share one scale: size it for the busiest strategy, not the first.
        top = max((s.spot_nodes + s.on_demand_nodes for r in runs for s in r.samples), default=0)
        axes[0].set_ylim(0, max(top * 1.05, 1))
    else:
        _finish(axes[0], hours, "nodes", False)
    return Plot(
        "capacity",
        "Nodes by capacity type",
        "Stacked area charts, one per strategy, of spot and on-demand node counts over time.",
        "Spot nodes below, on-demand nodes stacked above, one panel per strategy.",
        figure,
    )


def instance_types(run: RunResult | None, hours: float) -> Plot:
    """The showcase run's nodes by instance type: the busiest types, the rest as "other"."""
    figure, ax = new_figure(4.5)
    samples = run.samples if run is not None else []
    names = _top_types(samples)
    series = [[s.nodes_by_type.get(name, 0) for s in samples] for name in names]
    labels = list(names)
    other = [sum(n for t, n in s.nodes_by_type.items() if t not in names) for s in samples]
    if any(other):
        series.append(other)
        labels.append("other")
    if series:
        palette = colormaps["tab20"]
        colours = [_hex(palette(i % 20)) for i in range(len(series))]
        xs = [s.hours for s in samples]
        ax.stackplot(xs, *series, labels=labels, colors=colours, step="post")
    _finish(ax, hours, "nodes", bool(series), stacked=True)
    name = run.strategy if run is not None else "no run"
    return Plot(
        "types",
        f"Nodes by instance type ({name})",
        f"Stacked area chart of the {name} strategy's nodes by instance type over time.",
        f"The {TOP_TYPES} instance types with the most node-hours; the rest stacked as other.",
        figure,
    )


def pending_pods(runs: Sequence[RunResult], hours: float) -> Plot:
    """Pods waiting for a node: one small panel per strategy, on one scale."""
    rows = max(len(runs), 1)
    figure = Figure(figsize=(WIDTH, 0.6 + 1.0 * rows), layout="constrained")
    axes = figure.subplots(rows, 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    styles = strategy_styles(runs)
    top = max((s.pending_pods for r in runs for s in r.samples), default=0)
    for ax, run in zip(axes, runs, strict=False):
        xs = [s.hours for s in run.samples]
        ys = [s.pending_pods for s in run.samples]
        colour = styles[run.strategy].colour
        ax.fill_between(xs, ys, step="post", color=colour, alpha=0.35, linewidth=0)
        ax.step(xs, ys, where="post", color=colour, linewidth=1.2)
        waited = sum(s.pending_pods for s in run.samples)
        ax.set_title(
            f"{run.strategy}: at most {max(ys, default=0)} pending", loc="left", fontsize=9
        )
        _finish(ax, hours, "pods", bool(run.samples), legend=False)
        ax.set_ylabel("")
        if ax is not axes[-1]:
            ax.set_xlabel("")
        if not waited:
            ax.text(0.99, 0.5, "none pending", transform=ax.transAxes, ha="right", fontsize=8)
    axes[0].set_ylim(0, max(top * 1.1, 1))
    if not runs:
        _finish(axes[0], hours, "pods", False)
    return Plot(
        "pending",
        "Pending pods",
        "Step charts, one per strategy on a shared scale, of the pods waiting for a node.",
        "Pods that wait for capacity: after a launch, a reclaimed node, or a spike; one "
        "panel per strategy, sampled every five minutes.",
        figure,
    )


def new_figure(height: float) -> tuple[Figure, Axes]:
    """A report-wide figure of ``height`` inches with one axes, laid out to fit."""
    figure = Figure(figsize=(WIDTH, height), layout="constrained")
    return figure, figure.add_subplot()


def _finish(
    ax: Axes,
    hours: float,
    ylabel: str,
    has_data: bool,
    *,
    legend: bool = True,
    whole: bool = True,
    stacked: bool = False,
) -> None:
    ax.set_xlim(0, hours)
    ax.set_ylim(bottom=0)
    if whole:
        # Nodes and pods come whole: no tick at 7.5 nodes.
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.set_ylabel(ylabel)
    ax.set_xlabel("simulated hours")
    ax.grid(alpha=0.3)
    if not has_data:
        ax.text(0.5, 0.5, "no samples", transform=ax.transAxes, ha="center", va="center")
    elif legend:
        # Beside the axes, not over the data; stacked series listed top layer first.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, reverse=stacked)


def _integrate(samples: Sequence[Sample]) -> list[float]:
    # The hourly cost holds from one sample to the next, as the engine's ticks accrue it.
    total, out = 0.0, []
    for i, sample in enumerate(samples):
        if i:
            previous = samples[i - 1]
            total += previous.cost_per_hour * (sample.hours - previous.hours)
        out.append(total)
    return out


def _top_types(samples: Sequence[Sample]) -> list[str]:
    # Samples are evenly spaced, so node counts summed over them rank types by node-hours.
    node_samples: dict[str, int] = {}
    for sample in samples:
        for name, count in sample.nodes_by_type.items():
            node_samples[name] = node_samples.get(name, 0) + count
    ranked = sorted(node_samples.items(), key=lambda item: (-item[1], item[0]))
    return [name for name, count in ranked[:TOP_TYPES] if count > 0]


def _hex(rgba: tuple[float, float, float, float]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in rgba[:3]))
