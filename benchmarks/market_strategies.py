"""What each strategy buys on the simulated spot market, over several seeds.

    .venv/bin/python benchmarks/market_strategies.py [--seeds 3] [--hours 24] [--scenario FILE]

Runs every strategy of ``spotwise simulate --compare`` on the default scenario (or
``--scenario``) for seeds 1..N and prints, per strategy, the means over the seeds of:
its cost over the on-demand strategy's; the reclaim exposure of its spot capacity (the
monthly reclaimed share of each pool it ran in, from the simulator's pool model, weighted
by node-hours: what the market model expects, less noisy than counting reclaims); the
instances reclaimed; and the share of spot node-hours in the one type it used most. The
capacity-aware strategies should show a lower exposure where their launch lists give
them a choice. Figures only, no asserts.
"""

from __future__ import annotations

import argparse
import logging
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from spotwise.catalog.bundled import load_catalog
from spotwise.simulator.engine import Simulation
from spotwise.simulator.scenario import Scenario, default_scenario, load_scenario
from spotwise.simulator.strategies import Strategy, strategies


def measure(scenario: Scenario, strategy: Strategy, catalog: Any) -> dict[str, float]:
    """One run's cost, reclaim exposure, reclaims and concentration."""
    trace: list[dict[str, Any]] = []
    sim = Simulation(scenario, strategy, catalog, trace.append)
    result = sim.run()
    horizon = scenario.hours * 3600
    ends = {e["node"]: e["t"] for e in trace if e["event"] in ("node-lost", "node-removed-empty")}
    hours: Counter[tuple[str, str]] = Counter()
    for e in trace:
        if e["event"] == "launch" and e["capacity_type"] == "spot":
            alive = max(ends.get(e["node"], horizon), 0.0) - max(e["t"], 0.0)
            hours[(e["instance_type"], e["zone"])] += alive / 3600
    total = sum(hours.values()) or 1.0
    exposure = sum(h * sim.cloud.spot_pools.monthly_share(*p) for p, h in hours.items()) / total
    by_type: Counter[str] = Counter()
    for (name, _), h in hours.items():
        by_type[name] += h
    top = by_type.most_common(1)[0][1] / total if by_type else 0.0
    return {
        "cost": result.totals.cost,
        "exposure": 100 * exposure,
        "reclaimed": result.totals.interruptions["termination"],
        "top_type": 100 * top,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--scenario", type=Path, default=None, help="default: the bundled one")
    args = parser.parse_args()
    base = load_scenario(args.scenario) if args.scenario else default_scenario()
    base = base.with_hours(args.hours)
    logging.getLogger("spotwise").setLevel(logging.CRITICAL)
    catalog = load_catalog(base.region, None)
    runs: dict[str, list[dict[str, float]]] = {}
    for seed in range(1, args.seeds + 1):
        scenario = base.with_seed(seed)
        for strategy in strategies(catalog, scenario.nodepools, compare=True):
            runs.setdefault(strategy.name, []).append(measure(scenario, strategy, catalog))
    reference = runs["on-demand"]
    print(f"scenario {base.name}: {args.hours:g} h, seeds 1-{args.seeds}, means over the seeds")
    header = ("strategy", "cost / on-demand", "reclaim exposure %/month", "reclaimed", "top type %")
    print(f"{header[0]:42s} {header[1]:>16s} {header[2]:>25s} {header[3]:>10s} {header[4]:>11s}")
    for name, figures in runs.items():
        ratio = statistics.mean(
            f["cost"] / r["cost"] for f, r in zip(figures, reference, strict=True)
        )
        spot = [f for f in figures if f["exposure"]]
        exposure = f"{statistics.mean(f['exposure'] for f in spot):.1f}" if spot else "n/a"
        reclaimed = statistics.mean(f["reclaimed"] for f in figures)
        top = f"{statistics.mean(f['top_type'] for f in spot):.0f}" if spot else "n/a"
        print(f"{name:42s} {ratio:16.3f} {exposure:>25s} {reclaimed:10.1f} {top:>11s}")


if __name__ == "__main__":
    main()
