"""How well the planner's expected price predicts what the simulated cloud launches.

    .venv/bin/python benchmarks/expected_prices.py [--seed 1] [--hours 24]

Runs the default scenario's ``spotwise`` and ``node-groups`` strategies and, for every spot
launch, compares the price the plan expected (the pool its allocation strategy was
expected to pick) with the price of the pool the simulated cloud launched from, and with
the cheapest pool of the node's list. Prints the sums over the launches and how many
launched as the expected type. The simulated cloud draws each pool's depth inside its
advisor bucket; the planner expects the middle of the bucket, so the two differ where the
draws do. Figures only, no asserts.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from spotwise.catalog.bundled import load_bundled
from spotwise.model.instance_type import CapacityType
from spotwise.simulator.engine import Simulation
from spotwise.simulator.scenario import default_scenario
from spotwise.simulator.strategies import node_groups, spotwise


def measure(simulation: Simulation) -> list[tuple[float, float, float, bool]]:
    """(expected, launched, cheapest of the list, launched as expected) per spot launch."""
    rows: list[tuple[float, float, float, bool]] = []
    launch = simulation.launcher.launch

    def watched(intent: Any, settings: Any) -> Any:
        outcome = launch(intent, settings)
        instance = getattr(outcome, "instance", None)
        node = intent.node
        if instance is not None and instance.capacity_type is CapacityType.SPOT:
            price = simulation.cloud.price(instance.instance_type, instance.zone, CapacityType.SPOT)
            low = node.price_range_per_hour[0] if node.price_range_per_hour else node.price_per_hour
            same = instance.instance_type == node.expected_instance_type
            rows.append((node.price_per_hour, price or 0.0, low, same))
        return outcome

    simulation.launcher.launch = watched  # type: ignore[method-assign]
    simulation.run()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    catalog = load_bundled()
    scenario = default_scenario().with_seed(args.seed).with_hours(args.hours)
    print(f"scenario default: {scenario.hours:g} h, seed {scenario.seed}; sums over spot launches")
    for strategy in (spotwise(scenario.nodepools), node_groups(catalog, scenario.nodepools)):
        rows = measure(Simulation(scenario, strategy, catalog))
        expected = sum(r[0] for r in rows)
        launched = sum(r[1] for r in rows)
        cheapest = sum(r[2] for r in rows)
        same = sum(1 for r in rows if r[3])
        print(
            f"  {strategy.name:12s} {len(rows)} launches: expected ${expected:.2f}/h,"
            f" launched ${launched:.2f}/h ({launched / expected:.3f}x),"
            f" cheapest of the lists ${cheapest:.2f}/h; {same} as the expected type"
        )


if __name__ == "__main__":
    main()
