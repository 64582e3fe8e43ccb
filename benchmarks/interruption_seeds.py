"""The interruption figures of the simulated day over many seeds, pooled.

    .venv/bin/python benchmarks/interruption_seeds.py [--seeds 10] [--hours 24]
        [--strategy spotwise --strategy spotwise-no-handler] [--jobs 2]

One seed's day sees few interruptions (the default day, seed 1, sees none for spotwise),
so a share such as "replacement Ready before eviction" means little on one seed. This
runs the default scenario for seeds 1..N and prints, per strategy and seed, the notices
(rebalance recommendations, warnings, instances reclaimed), the pods the handler moved
(evicted, or deleted at the deadline), the share of them whose replacement capacity was
Ready when they went, the pods lost (killed running), and the longest time a Deployment
spent below its PDB in a stretch an interruption took one of its pods away in. Then the
pooled figures: Ready pods over moved pods of all seeds, pods lost, the longest breach.
Issue 12's targets: at least 95% Ready, no pod lost, no breach. Figures only, no asserts.

``--headroom PERCENT`` gives every pool of the scenario that much warm headroom (the
remedy for warnings that come without a recommendation), and the mean cost shows its
price; compare with a run without it.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import statistics
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from spotwise.catalog.bundled import load_catalog
from spotwise.simulator.engine import Simulation
from spotwise.simulator.scenario import Scenario, default_scenario
from spotwise.simulator.strategies import strategies

DEFAULT_STRATEGIES = ("spotwise", "spotwise-no-handler")


def with_headroom(scenario: Scenario, percent: int) -> Scenario:
    """The scenario with ``percent`` headroom in every pool."""
    pools = tuple(
        p.model_copy(
            update={
                "spec": p.spec.model_copy(
                    update={"headroom": p.spec.headroom.model_copy(update={"percent": percent})}
                )
            }
        )
        for p in scenario.nodepools
    )
    return dataclasses.replace(scenario, nodepools=pools)


def measure(job: tuple[str, int, float, int]) -> dict[str, Any]:
    """One strategy's figures on one seed."""
    name, seed, hours, headroom = job
    logging.getLogger("spotwise").setLevel(logging.CRITICAL)
    scenario = default_scenario().with_hours(hours).with_seed(seed)
    if headroom:
        scenario = with_headroom(scenario, headroom)
    catalog = load_catalog(scenario.region, None)
    (strategy,) = [
        s for s in strategies(catalog, scenario.nodepools, compare=True) if s.name == name
    ]
    result = Simulation(scenario, strategy, catalog).run()
    figures = result.summary()
    t = result.totals
    return {
        "strategy": name,
        "seed": seed,
        "notices": figures["interruptions"],
        "moved": t.pods_evicted + t.pods_deleted_at_deadline,
        "ready": t.replaced_ready or 0,
        "lost": t.pods_lost,
        "breach": figures["longest_below_pdb_after_interruption_seconds"],
        "cost": t.cost,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--strategy", action="append", default=None)
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--headroom", type=int, default=0, metavar="PERCENT")
    args = parser.parse_args()
    names = tuple(args.strategy or DEFAULT_STRATEGIES)
    jobs = [(n, s, args.hours, args.headroom) for n in names for s in range(1, args.seeds + 1)]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(measure, jobs))
    print(
        f"default scenario: {args.hours:g} h, seeds 1-{args.seeds},"
        f" headroom {args.headroom}% in every pool"
    )
    header = "strategy / seed          rebal  warn  recl  moved  ready%  lost  breach s"
    for name in names:
        print(header)
        mine = [r for r in rows if r["strategy"] == name]
        for r in mine:
            n = r["notices"]
            share = f"{100 * r['ready'] / r['moved']:.1f}" if r["moved"] else "n/a"
            print(
                f"{name:20s} {r['seed']:3d} {n['rebalance-recommendation']:6d}"
                f" {n['interruption-warning']:5d} {n['termination']:5d} {r['moved']:6d}"
                f" {share:>7s} {r['lost']:5d} {r['breach']:9.0f}"
            )
        moved = sum(r["moved"] for r in mine)
        ready = sum(r["ready"] for r in mine)
        pooled = f"{100 * ready / moved:.1f}%" if moved else "n/a"
        print(
            f"{name}, pooled: {ready} of {moved} moved pods Ready ({pooled}; target 95%),"
            f" {sum(r['lost'] for r in mine)} lost (target 0), longest breach after an"
            f" interruption {max(r['breach'] for r in mine):.0f} s (target 0),"
            f" mean cost ${statistics.mean(r['cost'] for r in mine):,.2f}\n"
        )


if __name__ == "__main__":
    main()
