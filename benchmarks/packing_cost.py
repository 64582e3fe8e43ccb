"""How close spotwise's packing comes to the cheapest possible, on the real us-east-1 catalog.

    .venv/bin/python benchmarks/packing_cost.py [--pods 2000] [--seed 7]

Unconstrained pods of mixed shapes are planned on the bundled catalog's default pool
(every general-purpose type, spot first; GPU, accelerator and bare-metal types left out, as
the packer leaves them out for pods that request none), twice: with the default diversity
rules (``minInstanceTypes`` 10, ``maxTypeShare`` 25) and without them (``spotwise-narrow``:
lists within the price ceiling only). A plan's hourly cost is the expected price of each
node (the pool its allocation strategy is expected to pick from its list). It is compared
with two lower bounds at the same prices, each type priced at what a node of its size is
expected to cost under the same rules (`spotwise.decisions.scheduling.pricing`): the fluid LP, min
sum(price_t x_t) subject to enough allocatable CPU, memory and pod slots, and the tighter
assignment LP, where pods stay whole. Both are solved with HiGHS through highspy, as the
planner's own LP is. Target: at most 1.05 x the assignment bound with the diversity rules.
The greedy plan alone (`pack_greedy`, no node cut from the LP's columns) is printed too.

Where Ray is installed, Ray autoscaler's own bin-packing
(``ray.autoscaler._private.resource_demand_scheduler.get_nodes_for``) packs the same
demand over the same node types at the same prices, and its time and cost are printed as
ratios to ours.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import random
import time
from typing import Any

import highspy

from spotwise.catalog.bundled import load_bundled
from spotwise.decisions.scheduling.packer import PackInput, pack, pack_greedy
from spotwise.decisions.scheduling.pool import Pool
from spotwise.decisions.scheduling.pricing import size_prices
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.resources import Resources
from spotwise.provisioning.pools import build_pools, default_nodepool

CPUS = (250, 500, 1000, 2000, 4000)
MEMORY_MI = (512, 1024, 2048, 4096, 8192, 16384)
TARGET = 1.05
NARROW = {"min_instance_types": 1, "min_families": 1, "max_type_share": 100}


def make_pods(n: int, seed: int) -> list[Pod]:
    rng = random.Random(seed)
    pods = []
    for i in range(n):
        cpu, memory = rng.choice(CPUS), rng.choice(MEMORY_MI)
        spec = PodSpec(
            "default", LabelSet({"app": f"w{cpu}-{memory}"}), Resources(cpu, memory * 2**20, 1)
        )
        pods.append(Pod(f"p-{i}", spec))
    return pods


def expected_prices(pool: Pool) -> list[float]:
    """Each type at the expected price of a node of its size, as the packer prices it."""
    options = {
        i: frozenset((o.zone, o.capacity_type) for o in s.offers) for i, s in enumerate(pool.shapes)
    }
    found = size_prices(pool, options).price
    return [found[i] for i in range(len(pool.shapes))]


def minimize(
    cost: list[float],
    columns: list[list[tuple[int, float]]],
    row_lower: list[float],
    row_upper: list[float],
) -> float:
    """min cost.x subject to row_lower <= A x <= row_upper, x >= 0; A given by column."""
    lp = highspy.HighsLp()
    lp.num_col_ = lp.a_matrix_.num_col_ = len(cost)
    lp.num_row_ = lp.a_matrix_.num_row_ = len(row_lower)
    lp.col_cost_ = cost
    lp.col_lower_ = [0.0] * len(cost)
    lp.col_upper_ = [highspy.kHighsInf] * len(cost)
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = [0, *itertools.accumulate(len(c) for c in columns)]
    lp.a_matrix_.index_ = [row for column in columns for row, _ in column]
    lp.a_matrix_.value_ = [value for column in columns for _, value in column]
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.passModel(lp)
    solver.run()
    status = solver.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(solver.modelStatusToString(status))
    return float(solver.getInfo().objective_function_value)


def amounts(r: Resources) -> tuple[float, float, float]:
    return float(r.cpu_milli), r.memory_bytes / 2**20, float(r.pods)


def fluid_bound(pool: Pool, demand: Resources) -> float:
    """The LP lower bound on the hourly cost of any packing of ``demand``."""
    columns = [list(enumerate(amounts(s.allocatable))) for s in pool.shapes]
    inf = highspy.kHighsInf
    return minimize(expected_prices(pool), columns, list(amounts(demand)), [inf] * 3)


def assignment_bound(pool: Pool, pods: list[Pod]) -> float:
    """A tighter LP bound: pods stay whole and only go to types that can hold one.

    Variables are nodes per type x_t (fractional) and pods of each shape per type y_st.
    Every pod of shape s is assigned (sum_t y_st >= n_s), and each type's CPU, memory and
    pod slots cover what is assigned to it (sum_s r_s y_st <= cap_t x_t). Any real
    packing is a feasible point, so the optimum is a lower bound on its cost, and unlike
    the fluid bound it cannot buy CPU on one node and memory on another for one pod.
    """
    counts: dict[Resources, int] = {}
    for pod in pods:
        counts[pod.spec.requests] = counts.get(pod.spec.requests, 0) + 1
    shapes = list(counts)
    base = len(shapes)  # rows: one per pod shape, then three per type
    columns = [
        [(base + 3 * t + k, -cap) for k, cap in enumerate(amounts(s.allocatable))]
        for t, s in enumerate(pool.shapes)
    ]
    for g, r in enumerate(shapes):
        for t, s in enumerate(pool.shapes):
            if r.fits_in(s.allocatable):
                need = [(base + 3 * t + k, a) for k, a in enumerate(amounts(r)) if a]
                columns.append([(g, 1.0), *need])
    cost = expected_prices(pool) + [0.0] * (len(columns) - len(pool.shapes))
    inf = highspy.kHighsInf
    lower = [float(counts[r]) for r in shapes] + [-inf] * (3 * len(pool.shapes))
    upper = [inf] * base + [0.0] * (3 * len(pool.shapes))
    return minimize(cost, columns, lower, upper)


def ray_packing(pool: Pool, pods: list[Pod]) -> tuple[float, float] | None:
    """Ray autoscaler's get_nodes_for on the same demand: (seconds, cost), or None."""
    try:
        from ray.autoscaler._private.node_provider_availability_tracker import (
            NodeAvailabilitySummary,
        )
        from ray.autoscaler._private.resource_demand_scheduler import (
            _default_utilization_scorer,
            get_nodes_for,
        )
    except ImportError:
        return None
    summary = NodeAvailabilitySummary(node_availabilities={})

    def scorer(node_resources: Any, resources: Any, node_type: str) -> Any:
        return _default_utilization_scorer(
            node_resources, resources, node_type, node_availability_summary=summary
        )

    prices = dict(zip((s.name for s in pool.shapes), expected_prices(pool), strict=True))
    node_types: dict[str, Any] = {
        s.name: {
            "resources": {
                "CPU": s.allocatable.cpu_milli / 1000,
                "memory": s.allocatable.memory_bytes,
            },
            "max_workers": len(pods),
            "node_config": {},
        }
        for s in pool.shapes
    }
    demand = [
        {"CPU": p.spec.requests.cpu_milli / 1000, "memory": p.spec.requests.memory_bytes}
        for p in pods
    ]
    start = time.perf_counter()
    chosen, _ = get_nodes_for(node_types, {}, "head", len(pods), demand, scorer)
    seconds = time.perf_counter() - start
    return seconds, sum(prices[name] * count for name, count in chosen.items())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    catalog = load_bundled()
    (pool,) = build_pools([default_nodepool()], catalog)
    pods = make_pods(args.pods, args.seed)
    demand = Resources()
    for pod in pods:
        demand = demand + pod.spec.requests
    # The packer keeps GPU, accelerator and metal types for pods that ask for them, so the
    # bounds range over the types these pods may get: an inf2.48xlarge's memory is cheap
    # per GiB, but no user wants web pods on it.
    ordinary = dataclasses.replace(
        pool, shapes=tuple(s for s in pool.shapes if not s.instance_type.exotic)
    )
    print(
        f"packing cost on the bundled us-east-1 catalog: {args.pods} pods,"
        f" {len(ordinary.shapes)} types ({len(pool.shapes)} with exotic ones)"
    )
    print(
        f"  demand          {demand.cpu_milli / 1000:.0f} vCPU,"
        f" {demand.memory_bytes / 2**30:.0f} GiB"
    )
    seconds = 0.0
    for name, rules in (("spotwise", {}), ("spotwise-narrow", NARROW)):
        variant = dataclasses.replace(pool, **rules)
        start = time.perf_counter()
        plan = pack(PackInput(tuple(pods), pools=(variant,)))
        elapsed = time.perf_counter() - start
        seconds = seconds or elapsed
        lists = sorted(len(n.instance_types) for n in plan.nodes)
        bound = fluid_bound(dataclasses.replace(ordinary, **rules), demand)
        tight = assignment_bound(dataclasses.replace(ordinary, **rules), pods)
        print(f"{name}")
        print(
            f"  plan            ${plan.cost_per_hour:.3f}/h expected, on {len(plan.nodes)} nodes"
            f" in {elapsed:.2f} s; list sizes {lists[0]} to {lists[-1]}"
            f" (median {lists[len(lists) // 2]})"
        )
        greedy = pack_greedy(PackInput(tuple(pods), pools=(variant,)))
        print(
            f"  greedy alone    ${greedy.cost_per_hour:.3f}/h expected,"
            f" on {len(greedy.nodes)} nodes"
            f" ({greedy.cost_per_hour / tight:.3f} x the assignment bound; the plan keeps"
            f" {'the cut' if plan != greedy else 'the greedy'} plan)"
        )
        print(f"  fluid LP bound  ${bound:.3f}/h (HiGHS, at the same expected prices)")
        print(f"  assignment LP   ${tight:.3f}/h (HiGHS; pods whole, only on types that hold them)")
        print(f"  ratio           {plan.cost_per_hour / bound:.3f} x the fluid bound")
        print(
            f"  ratio           {plan.cost_per_hour / tight:.3f} x the assignment bound"
            f" (target {TARGET})"
        )
        if plan.unschedulable:
            print(f"  unschedulable   {len(plan.unschedulable)} pods")
        if name == "spotwise":
            cost = plan.cost_per_hour
    ray = ray_packing(pool, pods)
    if ray is None:
        print("ray               not installed: pip install 'ray==2.60.0' to compare")
    else:
        ray_seconds, ray_cost = ray
        print(
            f"ray get_nodes_for  ${ray_cost:.3f}/h in {ray_seconds:.2f} s:"
            f" cost {ray_cost / cost:.2f}x spotwise's, time {ray_seconds / seconds:.2f}x"
        )


if __name__ == "__main__":
    main()
