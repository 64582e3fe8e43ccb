"""Run a scenario under one or several strategies, and collect what they measured."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from spotwise.catalog.catalog import Catalog
from spotwise.simulation.engine import Simulation, Trace
from spotwise.simulation.results import RunResult
from spotwise.simulation.scenario import Scenario
from spotwise.simulation.strategies import ON_DEMAND, Strategy


@dataclass(frozen=True, slots=True)
class Comparison:
    """Every strategy's run of one scenario."""

    scenario: str
    seed: int
    simulated_hours: float
    runs: tuple[RunResult, ...]

    def document(self) -> dict[str, Any]:
        """The ``--json`` document: per strategy figures, with ratios to all on-demand."""
        reference = next((r for r in self.runs if r.strategy == ON_DEMAND), None)
        strategies = []
        for run in self.runs:
            figures = run.summary()
            if reference is not None and reference.totals.cost:
                figures["cost_ratio_to_on_demand"] = round(
                    run.totals.cost / reference.totals.cost, 4
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
    progress: Callable[[str, float], None] | None = None,
    trace: Trace | None = None,
) -> Comparison:
    """Run ``scenario`` once per strategy, each from the same seed."""
    runs = []
    for strategy in strategies:
        simulation = Simulation(scenario, strategy, catalog, trace)
        step = None if progress is None else (lambda h, name=strategy.name: progress(name, h))
        runs.append(simulation.run(step))
    return Comparison(scenario.name, scenario.seed, scenario.hours, tuple(runs))
