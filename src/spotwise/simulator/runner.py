"""Run a scenario under one or several strategies, and collect what they measured.

Strategies are independent runs from the same seed, so ``--compare`` runs them in
parallel processes, one per core; each process loads the catalog itself (it is faster
than pickling it) and reports its progress through a queue.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import Manager
from typing import Any

from spotwise.catalog.bundled import load_catalog
from spotwise.catalog.catalog import Catalog
from spotwise.simulator.engine import Simulation, Trace
from spotwise.simulator.results import RunResult
from spotwise.simulator.scenario import Scenario
from spotwise.simulator.scenario_words import scenario_words
from spotwise.simulator.strategies import ON_DEMAND, Strategy

ProgressCallback = Callable[[str, float], None]
# Workers report progress in steps of this many simulated hours, to keep the queue quiet.
PROGRESS_STEP_HOURS = 0.25


@dataclass(frozen=True, slots=True)
class Comparison:
    """Every strategy's run of one scenario."""

    scenario: str
    seed: int
    simulated_hours: float
    runs: tuple[RunResult, ...]
    description: str = ""

    def document(self) -> dict[str, Any]:
        """The ``--json`` document: per strategy figures, compared with the on-demand run.

        The comparison with the ``on-demand`` strategy (the same scenario, every node
        bought on-demand) is the headline, bill against bill (commitments counted, when
        the scenario has any); it is None when that strategy did not run.
        """
        reference = next((r for r in self.runs if r.strategy == ON_DEMAND), None)
        strategies = []
        for run in self.runs:
            figures = run.summary()
            ratio = None
            if reference is not None and reference.totals.billed:
                ratio = run.totals.billed / reference.totals.billed
            figures["cost_ratio_to_on_demand"] = None if ratio is None else round(ratio, 4)
            figures["savings_vs_on_demand_strategy_percent"] = (
                None if ratio is None else round(100 * (1 - ratio), 2)
            )
            strategies.append(figures)
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "simulated_hours": self.simulated_hours,
            "strategies": strategies,
        }


def compare(
    scenario: Scenario,
    strategies: Sequence[Strategy],
    catalog: Catalog,
    *,
    progress: ProgressCallback | None = None,
    trace: Trace | None = None,
    workers: int | None = None,
) -> Comparison:
    """Run ``scenario`` once per strategy, each from the same seed.

    Args:
        scenario: The scenario.
        strategies: The strategies, in the order the results list them.
        catalog: The catalog (in-process runs use it; workers load the region's own).
        progress: Called with (strategy, simulated hours advanced).
        trace: A trace sink; tracing runs every strategy in this process, in order.
        workers: Processes to use; default one per core, at most one per strategy.
    """
    count = workers if workers is not None else min(len(strategies), os.cpu_count() or 1)
    if trace is not None or count <= 1 or len(strategies) <= 1:
        results = []
        for strategy in strategies:
            step = None if progress is None else _named(progress, strategy.name)
            results.append(Simulation(scenario, strategy, catalog, trace).run(step))
    else:
        results = _in_processes(scenario, strategies, catalog.region, count, progress)
    return Comparison(
        scenario.name, scenario.seed, scenario.hours, tuple(results), scenario_words(scenario)
    )


def _named(progress: ProgressCallback, name: str) -> Callable[[float], None]:
    return lambda hours: progress(name, hours)


def _in_processes(
    scenario: Scenario,
    strategies: Sequence[Strategy],
    region: str,
    count: int,
    progress: ProgressCallback | None,
) -> list[RunResult]:
    with Manager() as manager, ProcessPoolExecutor(max_workers=count) as pool:
        updates: Any = manager.Queue()
        futures: list[Future[RunResult]] = [
            pool.submit(_run_one, scenario, strategy, region, updates) for strategy in strategies
        ]
        while not all(f.done() for f in futures):
            _drain(updates, progress, timeout=0.2)
        _drain(updates, progress, timeout=0)
        return [f.result() for f in futures]


def _drain(updates: Any, progress: ProgressCallback | None, timeout: float) -> None:
    try:
        name, hours = updates.get(timeout=timeout) if timeout else updates.get_nowait()
    except queue.Empty:
        return
    if progress is not None:
        progress(name, hours)
    while True:
        try:
            name, hours = updates.get_nowait()
        except queue.Empty:
            return
        if progress is not None:
            progress(name, hours)


def _run_one(scenario: Scenario, strategy: Strategy, region: str, updates: Any) -> RunResult:
    """One strategy in a worker process."""
    import logging

    # Launch logs would interleave across processes; the summary carries the figures.
    logging.getLogger("spotwise").setLevel(logging.CRITICAL)
    pending = 0.0

    def step(hours: float) -> None:
        nonlocal pending
        pending += hours
        if pending >= PROGRESS_STEP_HOURS:
            updates.put((strategy.name, pending))
            pending = 0.0

    result = Simulation(scenario, strategy, load_catalog(region, None)).run(step)
    if pending:
        updates.put((strategy.name, pending))
    return result
