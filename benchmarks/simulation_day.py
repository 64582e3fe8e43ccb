"""How fast the simulator runs a day of the default scenario.

    .venv/bin/python benchmarks/simulation_day.py [--hours 24] [--seed 1] [--compare]
        [--scenario FILE]

Runs the bundled ``default`` scenario (a day of a ~200-node, ~5,000-pod shop; see
docs/scenarios.md) with the spotwise strategy, or with every strategy of
``spotwise simulate --compare``, and prints per strategy: wall seconds, simulated hours
per wall second, the peak of nodes and of running and pending pods over the run's
five-minute samples, and the cost figures. Target: a whole simulated day of the
spotwise strategy in under 20 wall seconds; the ratio printed is wall seconds over that
target scaled to the hours run (below 1 is within the target). Figures only, no asserts:
machines are noisy.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from spotwise.catalog.bundled import load_catalog
from spotwise.simulation.engine import Simulation
from spotwise.simulation.results import RunResult
from spotwise.simulation.scenario import default_scenario, load_scenario
from spotwise.simulation.strategies import strategies

TARGET_SECONDS_PER_DAY = 20.0


def report(result: RunResult, wall: float) -> None:
    samples = result.samples
    nodes = max((s.spot_nodes + s.on_demand_nodes for s in samples), default=0)
    spot = max((s.spot_nodes for s in samples), default=0)
    running = max((s.running_pods for s in samples), default=0)
    pending = max((s.pending_pods for s in samples), default=0)
    hours = result.simulated_hours
    target = TARGET_SECONDS_PER_DAY * hours / 24
    figures = result.summary()
    print(f"{result.strategy}")
    print(f"  wall seconds                 {wall:8.2f}")
    print(f"  simulated hours / wall s     {hours / wall:8.2f}")
    print(f"  ratio to target ({target:.3g} s)    {wall / target:8.2f}")
    print(f"  peak nodes (spot)            {nodes:8d} ({spot})")
    print(f"  peak running pods            {running:8d}")
    print(f"  peak pending pods            {pending:8d}")
    print(f"  pods created                 {figures['pods_created']:8d}")
    print(f"  launches                     {figures['launches']:8d}")
    print(f"  instances reclaimed          {figures['interruptions']['termination']:8d}")
    print(f"  cost                         {figures['cost']:8.2f} USD")
    print(f"  savings vs on-demand price   {figures['savings_percent']:8.1f} %")


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
    for strategy in strategies(catalog, scenario.nodepools, args.compare):
        started = time.perf_counter()
        result = Simulation(scenario, strategy, catalog).run()
        wall = time.perf_counter() - started
        total += wall
        report(result, wall)
    if args.compare:
        print(f"all strategies: {total:.2f} wall seconds")


if __name__ == "__main__":
    main()
