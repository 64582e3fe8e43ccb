"""`spotwise simulate`: run a cluster on a modelled spot market, in virtual time."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from spotwise.cli.console import stderr, stdout

HELP = """Simulate a cluster on spot for a day: what spotwise launches, what it costs, what
interruptions do. With no SCENARIO, the bundled default scenario runs.
"""


def simulate(
    scenario_file: Annotated[
        Path | None, typer.Argument(metavar="SCENARIO", help="A scenario YAML (default: bundled).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(metavar="N", help="Seed of the market and workloads.")
    ] = None,
    hours: Annotated[
        float | None,
        typer.Option(metavar="HOURS", help="Simulated hours (default: the scenario's)."),
    ] = None,
    compare: Annotated[
        bool, typer.Option("--compare", help="Run every strategy side by side.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    report: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write an HTML report with plots.")
    ] = None,
    trace: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write every decision and event as JSON lines."),
    ] = None,
    commitments: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Reserved instances and savings plans (docs/cost.md)."),
    ] = None,
) -> None:
    """Simulate (see HELP)."""
    # The planner and its solver load here, so that other commands start fast.
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from spotwise.catalog.bundled import load_catalog
    from spotwise.config.commitments import commitments_of, load_commitments
    from spotwise.errors import UserError
    from spotwise.simulator.engine import trace_writer
    from spotwise.simulator.runner import compare as run_compare
    from spotwise.simulator.scenario import default_scenario, load_scenario
    from spotwise.simulator.strategies import strategies
    from spotwise.simulator.summary import render_summary

    scenario = load_scenario(scenario_file) if scenario_file else default_scenario()
    if hours is not None:
        if not 0 < hours <= 24 * 31:
            raise UserError("--hours", f"{hours:g} is out of range", "give 0 < hours <= 744")
        scenario = scenario.with_hours(hours)
    if seed is not None:
        if seed < 0:
            raise UserError("--seed", f"{seed} is negative", "give 0 or more")
        scenario = scenario.with_seed(seed)
    for path in (report, trace):
        if path is not None and not path.parent.exists():
            raise UserError(
                str(path), "its folder does not exist", "create it or choose another path"
            )
    if commitments is not None:
        scenario = dataclasses.replace(scenario, commitments=load_commitments(commitments))
    catalog = load_catalog(scenario.region, None)
    # Checked before anything runs: an unknown type or zone is one line, exit code 2.
    held = commitments_of(scenario.commitments, catalog, commitments or "spec.commitments")
    chosen = strategies(catalog, scenario.nodepools, compare, commitments=any(held))
    trace_handle = trace.open("w") if trace else None
    err = stderr()
    # Launch refusals are part of the run; they belong in --trace, not on the terminal.
    logger = logging.getLogger("spotwise")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(),
            TextColumn("{task.completed:>5.1f}/{task.total:g} h"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as progress:
            tasks = {s.name: progress.add_task(s.name, total=scenario.hours) for s in chosen}
            comparison = run_compare(
                scenario,
                chosen,
                catalog,
                progress=lambda name, h: progress.advance(tasks[name], h),
                trace=trace_writer(trace_handle) if trace_handle else None,
            )
    finally:
        logger.setLevel(level)
        if trace_handle:
            trace_handle.close()
    if as_json:
        stdout().file.write(json.dumps(comparison.document(), indent=2) + "\n")
    else:
        render_summary(comparison, stdout())
    if report is not None:
        from spotwise.simulator.report import write_report

        write_report(comparison, report)
        err.print(f"wrote {report}")
