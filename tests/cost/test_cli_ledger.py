"""`spotwise cost ledger` over a simulation's trace: it ties out with the run's own cost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotwise.catalog.bundled import load_catalog
from spotwise.cli.app import main
from spotwise.simulator.engine import Simulation, trace_writer
from spotwise.simulator.scenario import default_scenario
from spotwise.simulator.strategies import strategies


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A two-hour default day's trace and the cost the run reports."""
    trace = tmp_path_factory.mktemp("ledger") / "trace.jsonl"
    scenario = default_scenario().with_hours(2)
    catalog = load_catalog(scenario.region, None)
    (spotwise,) = [
        s for s in strategies(catalog, scenario.nodepools, False) if s.name == "spotwise"
    ]
    with trace.open("w") as handle:
        result = Simulation(scenario, spotwise, catalog, trace_writer(handle)).run()
    return trace, result.totals.cost


def ledger(capsys: pytest.CaptureFixture[str], trace: Path, *more: str) -> dict:
    code = main(["cost", "ledger", "--trace", str(trace), "-o", "json", *more])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    return json.loads(out)


def test_the_ledger_ties_out_with_the_simulations_cost(
    capsys: pytest.CaptureFixture[str], simulated: tuple[Path, float]
) -> None:
    trace, cost = simulated
    found = ledger(capsys, trace)
    # Per second against the simulator's 15 s ticks: the same bill to a cent or so.
    assert found["billed"] == found["added"] == pytest.approx(cost, abs=0.05)
    assert found["clock_hours"] == 2  # the run's length, read from the trace
    assert sum(t["added"] for t in found["capacity_type"].values()) == pytest.approx(
        found["added"], abs=1e-3
    )
    on_demand = found["capacity_type"]["on-demand"]
    assert on_demand["added"] == on_demand["list_cost"]
    assert found["savings"] == pytest.approx(found["list_cost"] - found["billed"], abs=1e-3)


def test_commitments_lower_the_bill_of_on_demand_capacity(
    capsys: pytest.CaptureFixture[str], simulated: tuple[Path, float], tmp_path: Path
) -> None:
    trace, _ = simulated
    plain = ledger(capsys, trace)
    plan = tmp_path / "commitments.yaml"
    plan.write_text("savingsPlans: [{kind: compute, commitment: 100, discount_percent: 20}]\n")
    covered = ledger(capsys, trace, "--commitments", str(plan))
    # A plan far larger than the usage covers every on-demand second: they add nothing,
    # but the plan's fee is paid every hour, used or not: the bill grows by 2 x 100.
    assert plain["capacity_type"]["on-demand"]["added"] > 0
    assert covered["capacity_type"]["on-demand"]["added"] == 0
    assert covered["capacity_type"]["spot"] == plain["capacity_type"]["spot"]
    assert covered["fees"] == 200.0
    assert covered["billed"] == pytest.approx(covered["added"] + 200.0, abs=1e-3)


def test_a_trace_without_the_strategy_is_refused(
    capsys: pytest.CaptureFixture[str], simulated: tuple[Path, float]
) -> None:
    trace, _ = simulated
    code = main(["cost", "ledger", "--trace", str(trace), "--strategy", "nope"])
    _, err = capsys.readouterr()
    assert code == 2 and "has no launch of strategy 'nope'" in err


def test_hours_shorter_than_the_trace_are_refused(
    capsys: pytest.CaptureFixture[str], simulated: tuple[Path, float]
) -> None:
    trace, _ = simulated
    code = main(["cost", "ledger", "--trace", str(trace), "--hours", "1"])
    _, err = capsys.readouterr()
    assert code == 2 and "after the end given" in err
