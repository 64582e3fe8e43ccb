"""How fast the simulator runs a day of the default scenario.

    .venv/bin/python benchmarks/simulation_day.py [--hours 24] [--seed 1] [--compare]
        [--scenario FILE]

Runs the bundled ``default`` scenario (a day of a ~260-node, ~5,000-pod shop; see
docs/scenarios.md) with the spotwise strategy, or with every strategy of
``spotwise simulate --compare``, and prints per strategy: wall seconds, simulated hours
per wall second, the peak of nodes and of running and pending pods over the run's
five-minute samples, and the cost figures: the saving against the same nodes at their
on-demand prices and, with --compare, against the on-demand strategy's run. Target: a
whole simulated day of the spotwise strategy in under 20 wall seconds; the ratio printed
is wall seconds over that target scaled to the hours run (below 1 is within the target).
Figures only, no asserts: machines are noisy.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

from spotwise.catalog.bundled import load_catalog
from spotwise.simulator.engine import Simulation
from spotwise.simulator.results import RunResult
from spotwise.simulator.runner import Comparison
from spotwise.simulator.scenario import default_scenario, load_scenario
from spotwise.simulator.strategies import strategies

TARGET_SECONDS_PER_DAY = 20.0


def report(result: RunResult, wall: float, figures: dict[str, Any]) -> None:
    samples = result.samples
    nodes = max((s.spot_nodes + s.on_demand_nodes for s in samples), default=0)
    spot = max((s.spot_nodes for s in samples), default=0)
    running = max((s.running_pods for s in samples), default=0)
    pending = max((s.pending_pods for s in samples), default=0)
    hours = result.simulated_hours
    target = TARGET_SECONDS_PER_DAY * hours / 24
    print(f"{result.strategy}")
    rows = [
        ("wall seconds", f"{wall:.2f}"),
        ("simulated hours / wall s", f"{hours / wall:.2f}"),
        (f"ratio to target ({target:.3g} s)", f"{wall / target:.2f}"),
        ("peak nodes (spot)", f"{nodes} ({spot})"),
        ("peak running pods", str(running)),
        ("peak pending pods", str(pending)),
        ("pods created", str(figures["pods_created"])),
        ("launches", str(figures["launches"])),
        ("instances reclaimed", str(figures["interruptions"]["termination"])),
        ("cost", f"{figures['cost']:.2f} USD"),
        (
            "savings vs own nodes at on-demand price",
            f"{figures['savings_vs_own_on_demand_price_percent']:.1f} %",
        ),
    ]
    strategy = figures.get("savings_vs_on_demand_strategy_percent")
    if strategy is not None:
        rows.append(("savings vs the on-demand strategy", f"{strategy:.1f} %"))
    for label, value in rows:
        print(f"  {label:40s} {value:>12s}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--compare", action="store_true", help="run every strategy")
    parser.add_argument("--scenario", type=Path, default=None, help="default: the bundled one")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario) if args.scenario else default_scenario()
    scenario = scenario.with_hours(args.hours)
    if args.seed is not None:
        scenario = scenario.with_seed(args.seed)
    # Launch refusals are part of the run, not news: keep them off the terminal, as the CLI does.
    logging.getLogger("spotwise").setLevel(logging.CRITICAL)
    started = time.perf_counter()
    catalog = load_catalog(scenario.region, None)
    print(f"scenario {scenario.name}: {scenario.hours:g} h, seed {scenario.seed}")
    print(f"catalog load {time.perf_counter() - started:.2f} s")
    total = 0.0
    runs = []
    for strategy in strategies(catalog, scenario.nodepools, args.compare):
        started = time.perf_counter()
        result = Simulation(scenario, strategy, catalog).run()
        runs.append((result, time.perf_counter() - started))
    # The headline saving needs the on-demand run: compare as `spotwise simulate` does.
    comparison = Comparison(scenario.name, scenario.seed, scenario.hours, tuple(r for r, _ in runs))
    for (result, wall), figures in zip(runs, comparison.document()["strategies"], strict=True):
        total += wall
        report(result, wall, figures)
    if args.compare:
        print(f"all strategies: {total:.2f} wall seconds")


if __name__ == "__main__":
    main()
