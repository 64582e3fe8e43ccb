"""The trace explains: why each node was launched, and what was done for each notice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from spotwise.catalog.bundled import load_catalog
from spotwise.simulator.engine import Simulation
from spotwise.simulator.results import RunResult
from spotwise.simulator.scenario import load_scenario
from spotwise.simulator.strategies import spotwise, without_handler

SMALL = Path(__file__).parent / "small.yaml"


def _run(handler: bool) -> tuple[RunResult, list[dict[str, Any]]]:
    scenario = load_scenario(SMALL).with_hours(2.0)
    strategy = spotwise(scenario.nodepools)
    if not handler:
        strategy = without_handler(strategy)
    trace: list[dict[str, Any]] = []
    result = Simulation(scenario, strategy, load_catalog("us-east-1", None), trace.append).run()
    return result, trace


@pytest.fixture(scope="module")
def handled() -> tuple[RunResult, list[dict[str, Any]]]:
    return _run(handler=True)


@pytest.fixture(scope="module")
def unhandled() -> tuple[RunResult, list[dict[str, Any]]]:
    return _run(handler=False)


def test_each_launch_says_its_price_its_list_and_why(handled) -> None:
    _, trace = handled
    launches = [e for e in trace if e["event"] == "launch"]
    assert launches
    for launch in launches:
        assert launch["instance_type"] in launch["launch_list"]
        assert launch["zone"] in launch["zones"]
        assert launch["expected_instance_type"] in launch["launch_list"]
        assert 0 < launch["expected_price_per_hour"] <= launch["on_demand_price_per_hour"]
        assert launch["price_per_hour"] > 0
        assert launch["why"] and all(n > 0 for n in launch["why"].values())
        assert set(launch["why"]) <= {
            "pending", "moved-by-interruption", "moved-by-consolidation", "headroom"
        }  # fmt: skip
        assert sum(launch["workloads"].values()) <= sum(launch["why"].values())
    # Interruptions in this market: some nodes are launched for the pods they displace.
    reasons = Counter(r for e in launches for r in e["why"])
    assert reasons["pending"] and reasons["moved-by-interruption"]


def test_measured_launches_are_counted_by_their_first_reason(handled) -> None:
    result, trace = handled
    measured = [e for e in trace if e["event"] == "launch" and e["t"] >= 0]
    assert sum(result.totals.launch_reasons.values()) == len(measured) == result.totals.launches


def test_each_interrupted_node_tells_every_step_in_order(handled) -> None:
    result, trace = handled
    stories = [e for e in trace if e["event"] == "interruption"]
    noticed = {
        e["node"]
        for e in trace
        if e["event"] in ("rebalance-recommendation", "interruption-warning", "termination")
    }
    assert stories and {s["node"] for s in stories} == noticed == {
        s.node for s in result.interruptions
    }
    for story in stories:
        steps = [
            story[k]
            for k in ("notice_at", "marked_at", "drain_started_at", "drained_at", "gone_at")
            if story[k] is not None
        ]
        assert steps == sorted(steps), story
        assert story["action"] in ("drain", "cordon", None)
        assert (story["action"] is None) == (story["marked_at"] is None)
        assert story["pods_moved"] + story["pods_lost"] <= story["pods"] + story["pods_moved"]
    # With the handler, a drained node is retired by spotwise, its pods moved first.
    drained = [s for s in stories if s["drained_at"] is not None and not s["reclaimed"]]
    assert drained and all(s["pods_lost"] == 0 and s["marked_at"] is not None for s in drained)


def test_without_a_handler_nothing_is_done_and_pods_go_with_the_node(unhandled) -> None:
    result, trace = unhandled
    stories = [e for e in trace if e["event"] == "interruption"]
    gone = [s for s in stories if s["gone_at"] is not None]
    assert gone
    assert all(s["marked_at"] is None and s["pods_moved"] == 0 for s in stories)
    assert all(s["reclaimed"] for s in gone)
    assert sum(s["pods_lost"] for s in stories) == result.totals.pods_lost
    assert result.summary()["nodes_noticed_acted_on"] is None
