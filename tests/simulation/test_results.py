"""The figures of one run, computed from its totals: every key, every rounding, every n/a."""

from __future__ import annotations

import dataclasses

from spotwise.simulator.interruption_log import InterruptionStory
from spotwise.simulator.results import RunResult, Totals
from spotwise.simulator.runner import Comparison


def totals(**changes: object) -> Totals:
    t = Totals(
        cost=12.345678,
        on_demand_cost=40.0,
        node_seconds_spot=1234567.0,
        node_seconds_on_demand=7654321.0,
        pods_created=30,
        pods_evicted=0,
        pods_force_deleted=4,
        pods_lost=3,
        pending_pod_seconds=123.456,
        launches=5,
        fallbacks=1,
        launch_failures=2,
        nodes_removed_empty=6,
        nodes_disrupted=9,
        pods_consolidated=40,
        below_pdb_seconds={"web": 45.04, "api": 90.06},
        below_pdb_interrupted_seconds={"web": 30.04},
        below_pdb_consolidated_seconds={"web": 15.04},
        launch_reasons={"pending": 4, "moved-by-interruption": 1},
        spot_seconds_by_pool={
            ("m7g.large", "us-east-1a"): 3600.0,
            ("m7g.large", "us-east-1b"): 1800.0,
            ("c7g.large", "us-east-1a"): 1800.0,
            ("r7g.large", "us-east-1c"): 0.0,
        },
    )
    t.interruptions = {"rebalance-recommendation": 1, "interruption-warning": 2, "termination": 2}
    for key, value in changes.items():
        setattr(t, key, value)
    return t


def test_every_figure_of_a_run() -> None:
    story = InterruptionStory("node-a", "m7g.large", "interruption-warning", 1.0, 3)
    acted = dataclasses.replace(story, node="node-b", marked=1.01, action="drain")
    run = RunResult(
        "spotwise", totals(), [], [], {"running": 26, "gone": 4}, 2.0,
        interruptions=(story, acted), description="spotwise, its defaults",
    )  # fmt: skip
    assert run.summary() == {
        "name": "spotwise",
        "description": "spotwise, its defaults",
        "interruption_handler": True,
        "cost": 12.3457,
        "billed_cost": 12.3457,  # no commitments: the bill is the cost
        "commitment_fees": None,
        "commitments": [],
        "cost_by_namespace": {},
        "cost_by_workload": {},
        "on_demand_cost": 40.0,
        "savings_vs_own_on_demand_price_percent": 69.14,
        "node_hours_spot": 342.935,
        "node_hours_on_demand": 2126.2,
        # Three pools ran spot nodes; m7g.large/a held half the node-hours, m7g.large 75%.
        "spot_pools_used": 3,
        "largest_pool_share": 50.0,
        "largest_type_share": 75.0,
        "interruptions": {
            "rebalance-recommendation": 1,
            "interruption-warning": 2,
            "termination": 2,
        },
        "nodes_noticed": 2,
        "nodes_noticed_acted_on": 1,
        "pods_created": 30,
        "pods_evicted": 0,
        "pods_deleted_at_deadline": 0,
        "pods_force_deleted": 4,
        "pods_lost": 3,
        "pending_pod_seconds": 123.5,
        "replacement_ready_percent": None,
        "longest_below_pdb_seconds": 90.1,
        "longest_below_pdb_after_interruption_seconds": 30.0,
        "longest_below_pdb_after_consolidation_seconds": 15.0,
        "launches": 5,
        "launches_by_reason": {"moved-by-interruption": 1, "pending": 4},
        "on_demand_fallbacks": 1,
        "launch_failures": 2,
        "nodes_removed_empty": 6,
        "nodes_disrupted": 9,
        "pods_moved_by_consolidation": 40,
        # 9 nodes over 8,888,888 node-seconds: 102.88 node-days.
        "disruptions_per_node_day": 0.0875,
        "end_states": {"gone": 4, "running": 26},
    }


def test_replacements_are_a_share_of_the_pods_disrupted_once_measured() -> None:
    measured = totals(
        pods_evicted=4, pods_deleted_at_deadline=4, pods_force_deleted=9, replaced_ready=6
    )
    assert RunResult("s", measured, [], [], {}, 1.0).summary()["replacement_ready_percent"] == 75.0
    # Pods that vanished with their instance were not moved: they do not count.
    calm = totals(pods_evicted=0, pods_force_deleted=7, replaced_ready=0)
    assert RunResult("s", calm, [], [], {}, 1.0).summary()["replacement_ready_percent"] is None


def test_no_on_demand_cost_no_savings_and_no_budget_breach_zero() -> None:
    empty = RunResult(
        "s", totals(cost=0.0, on_demand_cost=0.0, below_pdb_seconds={}), [], [], {}, 1.0
    )
    figures = empty.summary()
    assert figures["savings_vs_own_on_demand_price_percent"] is None
    # No spot node at all: no pool used, and the shares do not apply.
    assert (figures["spot_pools_used"], figures["largest_pool_share"]) == (3, 50.0)
    no_spot = RunResult("s", totals(spot_seconds_by_pool={}), [], [], {}, 1.0).summary()
    assert (no_spot["spot_pools_used"], no_spot["largest_pool_share"]) == (0, None)
    assert no_spot["largest_type_share"] is None
    assert figures["longest_below_pdb_seconds"] == 0.0


def test_the_headline_compares_with_the_on_demand_run() -> None:
    reference = RunResult("on-demand", totals(cost=40.0), [], [], {}, 2.0)
    spot = RunResult("spotwise", totals(cost=12.345678), [], [], {}, 2.0)
    doc = Comparison("x", 3, 2.0, (reference, spot)).document()
    assert (doc["scenario"], doc["seed"], doc["simulated_hours"]) == ("x", 3, 2.0)
    on_demand, mine = doc["strategies"]
    assert (
        on_demand["cost_ratio_to_on_demand"],
        on_demand["savings_vs_on_demand_strategy_percent"],
    ) == (
        1.0,
        0.0,
    )
    assert mine["cost_ratio_to_on_demand"] == 0.3086
    assert mine["savings_vs_on_demand_strategy_percent"] == 69.14
    alone = Comparison("x", 3, 2.0, (spot,)).document()["strategies"][0]
    assert alone["cost_ratio_to_on_demand"] is None
    assert alone["savings_vs_on_demand_strategy_percent"] is None
