"""`spotwise cost ledger` over a simulation's trace: it ties out with the run's own cost."""

from __future__ import annotations

import csv
import io
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


def test_focus_rows_add_up_to_the_bill_both_ways(
    capsys: pytest.CaptureFixture[str], simulated: tuple[Path, float], tmp_path: Path
) -> None:
    trace, _ = simulated
    plan = tmp_path / "commitments.yaml"
    plan.write_text(
        "reservedInstances: [{type: m7g.large, region: us-east-1, count: 2, hourlyPrice: 0.05}]\n"
        "savingsPlans: [{kind: compute, commitment: 0.5, discount_percent: 20}]\n"
    )
    bill = ledger(capsys, trace, "--commitments", str(plan))
    code = main(
        [
            "cost", "ledger", "--trace", str(trace), "--commitments", str(plan),
            "-o", "focus", "--start", "2026-12-01T00:00:00Z",
        ]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert set(rows[0]) == {
        "BilledCost", "EffectiveCost", "ListCost", "PricingCategory", "CommitmentDiscountId",
        "ResourceId", "ChargeCategory", "ChargePeriodStart", "ChargePeriodEnd", "Tags",
    }  # fmt: skip
    billed = sum(float(r["BilledCost"]) for r in rows)
    effective = sum(float(r["EffectiveCost"]) for r in rows)
    assert billed == pytest.approx(bill["billed"], abs=1e-3)
    assert effective == pytest.approx(bill["billed"], abs=1e-3)  # amortized, the same total
    assert sum(float(r["ListCost"]) for r in rows) == pytest.approx(bill["list_cost"], abs=1e-3)
    purchases = [r for r in rows if r["ChargeCategory"] == "Purchase"]
    assert {r["ResourceId"] for r in purchases} == {"reservedInstances[0]", "savingsPlans[0]"}
    assert len(purchases) == 2 * 2  # each commitment, each of the two hours
    assert {r["PricingCategory"] for r in rows} >= {"Dynamic", "Committed"}
    assert rows[0]["ChargePeriodStart"].startswith("2026-12-01T")


def test_focus_needs_a_start_and_prices_for_every_commitment(
    capsys: pytest.CaptureFixture[str], simulated: tuple[Path, float], tmp_path: Path
) -> None:
    trace, _ = simulated
    code = main(["cost", "ledger", "--trace", str(trace), "-o", "focus"])
    assert code == 2 and "needs --start" in capsys.readouterr().err
    plan = tmp_path / "commitments.yaml"
    plan.write_text("reservedInstances: [{type: m7g.large, region: us-east-1, count: 1}]\n")
    code = main(
        ["cost", "ledger", "--trace", str(trace), "--commitments", str(plan), "-o", "focus",
         "--start", "2026-12-01T00:00:00Z"]
    )  # fmt: skip
    assert code == 2 and "hourlyPrice" in capsys.readouterr().err
