"""The HTML report of a simulation: one self-contained file, readable offline.

Everything the page needs is inside it: the summary table, the styles, and the figures as
inline SVG drawn by matplotlib. No script, no font, no stylesheet and no image is fetched.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

from spotwise.simulator.figures import rows_for
from spotwise.simulator.report_plots import (
    Plot,
    capacity_types,
    cumulative_cost,
    instance_types,
    pending_pods,
    showcase_run,
)
from spotwise.simulator.report_story import (
    decisions_section,
    headline_section,
    peak_pods,
    strategies_section,
)
from spotwise.simulator.report_svg import figure_svg
from spotwise.simulator.report_timeline import interruption_timeline, notice_actions
from spotwise.simulator.runner import Comparison

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 76rem; padding: 0 1rem;
       color: #1d1d1f; background: #fff; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
header p { margin-top: 0; color: #555; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.wide { overflow-x: auto; max-width: 100%; }
dt { font-weight: 600; }
dd { margin: 0 0 0.4rem 1.2rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.4rem; }
th, td { padding: 0.25rem 0.8rem; border-bottom: 1px solid #ddd; }
thead th { text-align: right; border-bottom: 2px solid #999; }
tbody th { text-align: left; font-weight: normal; }
td { text-align: right; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9rem; }
"""


def write_report(comparison: Comparison, path: Path) -> None:
    """Write the HTML report of ``comparison`` to ``path``, replacing any file there.

    The page is written to a temporary file beside ``path`` and moved into place, so a
    reader never sees half a report and a failure leaves the old file as it was.

    Args:
        comparison: every strategy's run of one scenario.
        path: where the report goes; its folder must exist.
    """
    text = render_report(comparison)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        # mkstemp makes the file private; a report is as readable as any file the user writes.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def render_report(comparison: Comparison) -> str:
    """The report of ``comparison`` as one HTML document.

    Args:
        comparison: every strategy's run of one scenario.

    Returns:
        A complete HTML page with the summary table and the figures as inline SVG.
    """
    title = f"spotwise simulation: {comparison.scenario}"
    sections = [
        headline_section(comparison),
        strategies_section(comparison.runs),
        _summary_section(comparison),
        decisions_section(showcase_run(comparison.runs)),
    ]
    sections += [_plot_section(plot) for plot in all_plots(comparison)]
    strategies = ", ".join(run.strategy for run in comparison.runs) or "none"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{html.escape(title)}</h1>",
            f"<p>Scenario <strong>{html.escape(comparison.scenario)}</strong>, "
            f"seed {comparison.seed}, {comparison.simulated_hours:g} simulated hours; "
            f"strategies: {html.escape(strategies)}.</p>",
            f"<p>{html.escape(comparison.description)} Pods at peak (running or pending, "
            f"sampled): {peak_pods(comparison.runs):,}.</p>",
            "</header>",
            "<main>",
            *sections,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def all_plots(comparison: Comparison) -> list[Plot]:
    """The report's figures, in the order they appear.

    Args:
        comparison: every strategy's run of one scenario.

    Returns:
        One :class:`Plot` per figure, drawn but not yet rendered to SVG.
    """
    runs, hours = comparison.runs, comparison.simulated_hours
    return [
        cumulative_cost(runs, hours),
        capacity_types(runs, hours),
        instance_types(showcase_run(runs), hours),
        pending_pods(runs, hours),
        interruption_timeline(runs, hours),
        notice_actions(runs),
    ]


def _summary_section(comparison: Comparison) -> str:
    figures = comparison.document()["strategies"]
    head = "".join(f'<th scope="col">{html.escape(f["name"])}</th>' for f in figures)
    body = "\n".join(
        f'<tr><th scope="row">{html.escape(label)}</th>'
        + "".join(f"<td>{html.escape(show(f))}</td>" for f in figures)
        + "</tr>"
        for label, show in rows_for(figures)
    )
    return (
        '<section id="summary">\n<h2>Summary</h2>\n<div class="wide"><table>\n'
        "<caption>What each strategy cost and how its pods fared</caption>\n"
        f'<thead><tr><th scope="col">figure</th>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table></div>\n</section>"
    )


def _plot_section(plot: Plot) -> str:
    svg = figure_svg(plot.figure, plot.key, plot.alt)
    return (
        f'<section id="{plot.key}">\n<h2>{html.escape(plot.heading)}</h2>\n'
        f"<figure>\n{svg}\n<figcaption>{html.escape(plot.caption)}</figcaption>\n</figure>\n"
        "</section>"
    )
