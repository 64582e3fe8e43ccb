"""The report's words: the headline, what each strategy is, and what spotwise decided.

Every figure here comes from the runs (the same `--json` figures as the summary table, the
engine's interruption stories and usage); nothing is written by hand. A figure that does
not apply says n/a.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from spotwise.decisions.scheduling.plan_output import counted
from spotwise.simulator.figures import NOT_APPLICABLE, percent
from spotwise.simulator.report_plots import showcase_run
from spotwise.simulator.results import RunResult
from spotwise.simulator.runner import Comparison
from spotwise.simulator.strategies import NODE_GROUPS, ON_DEMAND, SPOTWISE

# The decisions table lists the types with the most node-hours; the rest are one line.
TOP_USAGE = 10
REASON_WORDS = {
    "pending": "for pending pods",
    "moved-by-interruption": "for pods moved off interrupted nodes",
    "moved-by-consolidation": "for pods moved by consolidation",
    "headroom": "for headroom",
}


def headline_section(comparison: Comparison) -> str:
    """What spotwise achieved against the baselines, in one sentence and one small table."""
    figures = {f["name"]: f for f in comparison.document()["strategies"]}
    runs = {r.strategy: r for r in comparison.runs}
    shown = [n for n in (SPOTWISE, NODE_GROUPS, ON_DEMAND) if n in figures]
    if not shown:
        main = showcase_run(comparison.runs)
        shown = [main.strategy] if main is not None else []
    rows = "\n".join(_headline_row(figures[n], runs[n]) for n in shown)
    lead = _lead(figures[shown[0]], runs[shown[0]], figures.get(ON_DEMAND)) if shown else ""
    return (
        '<section id="headline">\n<h2>Headline</h2>\n'
        f"<p>{html.escape(lead)}</p>\n"
        '<div class="wide"><table>\n'
        "<caption>spotwise against the baselines, on the same load, pools and market"
        "</caption>\n"
        '<thead><tr><th scope="col">strategy</th><th scope="col">billed</th>'
        '<th scope="col">savings vs all on-demand</th><th scope="col">pods lost</th>'
        '<th scope="col">pods moved with their replacement Ready</th>'
        '<th scope="col">nodes with a notice the handler acted on</th></tr></thead>\n'
        f"<tbody>\n{rows}\n</tbody>\n</table></div>\n</section>"
    )


def strategies_section(runs: Sequence[RunResult]) -> str:
    """One line per strategy saying what it is."""
    items = "\n".join(
        f"<dt>{html.escape(r.strategy)}</dt><dd>{html.escape(r.description or 'no description')}"
        "</dd>"
        for r in runs
    )
    return f'<section id="strategies">\n<h2>Strategies</h2>\n<dl>\n{items}\n</dl>\n</section>'


def decisions_section(run: RunResult | None) -> str:
    """The showcase run's instance types with prices and shares, and why it launched."""
    if run is None:
        return ""
    usage = sorted(run.totals.usage_by_type.items(), key=lambda kv: (-kv[1][0], kv[0]))
    hours = sum(seconds for (seconds, _) in (v for _, v in usage)) / 3600
    cost = sum(dollars for (_, dollars) in (v for _, v in usage))
    rows = [
        _usage_row(f"{t}", ct, seconds / 3600, dollars, hours, cost)
        for (t, ct), (seconds, dollars) in usage[:TOP_USAGE]
    ]
    rest = usage[TOP_USAGE:]
    if rest:
        rest_hours = sum(v[0] for _, v in rest) / 3600
        rest_cost = sum(v[1] for _, v in rest)
        rest_types = len({t for (t, _), _ in rest})
        label = f"{counted(rest_types, 'other type')} ({counted(len(rest), 'line')})"
        rows.append(_usage_row(label, "", rest_hours, rest_cost, hours, cost))
    name = html.escape(run.strategy)
    return (
        f'<section id="decisions">\n<h2>Decisions ({name})</h2>\n'
        f"<p>{html.escape(_launch_words(run))}</p>\n"
        f"<p>{html.escape(_consolidation_words(run))} "
        "<code>spotwise disruption explain --trace</code> gives each move and what kept the "
        "other nodes.</p>\n"
        '<div class="wide"><table>\n'
        f"<caption>The instance types {name} ran, by node-hours (list prices)</caption>\n"
        '<thead><tr><th scope="col">type</th><th scope="col">capacity</th>'
        '<th scope="col">node-hours</th><th scope="col">share</th>'
        '<th scope="col">$ per node-hour</th><th scope="col">cost</th>'
        '<th scope="col">share of cost</th></tr></thead>\n'
        f"<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table></div>\n</section>"
    )


def peak_pods(runs: Sequence[RunResult]) -> int:
    """The most pods running or pending at any sample of any run."""
    return max((s.running_pods + s.pending_pods for r in runs for s in r.samples), default=0)


def _headline_row(f: dict[str, Any], run: RunResult) -> str:
    cells = [
        f"${f['billed_cost']:,.2f}",
        percent(f.get("savings_vs_on_demand_strategy_percent")),
        str(f["pods_lost"]),
        percent(f["replacement_ready_percent"]),
        _acted_on(f),
    ]
    body = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
    return f'<tr><th scope="row">{html.escape(run.strategy)}</th>{body}</tr>'


def _acted_on(f: dict[str, Any]) -> str:
    acted, noticed = f["nodes_noticed_acted_on"], f["nodes_noticed"]
    if acted is None:
        return f"no handler ({noticed} with a notice)"
    return f"{acted} of {noticed}"


def _lead(f: dict[str, Any], run: RunResult, on_demand: dict[str, Any] | None) -> str:
    name = run.strategy
    if on_demand is None:
        versus = "no all-on-demand run to compare with (run with --compare)"
    else:
        versus = (
            f"{percent(f['savings_vs_on_demand_strategy_percent'])} below the all-on-demand "
            f"bill of ${on_demand['billed_cost']:,.2f}"
        )
    ready = f["replacement_ready_percent"]
    moved = (
        "no pod was moved off an interrupted node"
        if ready is None
        else f"{percent(ready)} of the pods moved off interrupted nodes left with their "
        "replacement Ready"
    )
    return (
        f"{name} was billed ${f['billed_cost']:,.2f}, {versus}; "
        f"{counted(f['pods_lost'], 'pod')} lost; "
        f"{moved}; nodes with a notice the handler acted on: {_acted_on(f)}."
    )


def _usage_row(
    name: str, capacity: str, hours: float, dollars: float, all_hours: float, all_cost: float
) -> str:
    cells = [
        capacity,
        f"{hours:,.1f}",
        _share(hours, all_hours),
        f"{dollars / hours:.4f}" if hours else NOT_APPLICABLE,
        f"${dollars:,.2f}",
        _share(dollars, all_cost),
    ]
    body = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
    return f'<tr><th scope="row">{html.escape(name)}</th>{body}</tr>'


def _share(part: float, whole: float) -> str:
    return percent(100 * part / whole) if whole else NOT_APPLICABLE


def _launch_words(run: RunResult) -> str:
    reasons = run.totals.launch_reasons
    total = sum(reasons.values())
    if not total:
        return "No node was launched in the measured run."
    parts = [
        f"{reasons[r]} {REASON_WORDS.get(r, r)}"
        for r in sorted(reasons, key=lambda r: (-reasons[r], r))
    ]
    return (
        f"{total} launches in the measured run, named by where most of each node's pods came "
        f"from: {', '.join(parts)}."
    )


def _consolidation_words(run: RunResult) -> str:
    t = run.totals
    return (
        f"Consolidation took {t.nodes_disrupted} nodes with pods (moving {t.pods_consolidated} "
        f"pods) and removed {t.nodes_removed_empty} empty nodes."
    )
