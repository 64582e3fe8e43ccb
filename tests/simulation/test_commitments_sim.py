"""Commitments in the simulator: the bill with them, and spotwise filling them first."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from spotwise.catalog.bundled import load_catalog
from spotwise.cli.app import main
from spotwise.decisions.cost.attribution import PlanKind, ReservedInstance, SavingsPlan
from spotwise.decisions.scheduling.commitments import Commitments
from spotwise.model.instance_type import CapacityType
from spotwise.model.labelset import LabelSet
from spotwise.model.resources import Resources
from spotwise.simulated.cluster import SimNode
from spotwise.simulator.billing import Billing
from spotwise.simulator.strategies import strategies

SMALL = Path(__file__).parent / "small.yaml"
COMMITMENTS = """\
reservedInstances:
  - {type: m5.xlarge, region: us-east-1, count: 2, hourlyPrice: 0.12}
savingsPlans:
  - {kind: compute, commitment: 0.5, discount_percent: 25}
"""


def sim_node(name: str, instance_type: str, capacity_type: CapacityType, price: float) -> SimNode:
    return SimNode(
        name, f"i-{name}", instance_type, "us-east-1a", capacity_type, "default", LabelSet({}),
        Resources(), price, price, 0.0, 0.0, 0.0,
    )  # fmt: skip


def test_a_tick_bills_what_no_commitment_covers_and_the_fees():
    ri = ReservedInstance("ri", "m5.xlarge", 1, "us-east-1", hourly_price=0.12)
    plan = SavingsPlan("sp", PlanKind.COMPUTE, 0.10, 0.25)
    billing = Billing(Commitments("us-east-1", (ri,), (plan,)))
    nodes = [
        sim_node("a", "m5.xlarge", CapacityType.ON_DEMAND, 0.192),  # the RI covers it
        sim_node("b", "c5.xlarge", CapacityType.ON_DEMAND, 0.17),  # the plan, in part
        sim_node("s", "m5.xlarge", CapacityType.SPOT, 0.07),  # never covered
    ]
    billing.tick(nodes, 1800)  # half an hour
    bill = billing.bill
    # c5.xlarge at the plan's rate: $0.1275/h, of which $0.10 is covered: 0.10/0.1275 of
    # its hour; the rest at $0.17/h. Spot at its price. Fees: $0.12 + $0.10 an hour.
    covered = 0.10 / (0.17 * 0.75)
    assert bill.usage == pytest.approx(0.5 * (0.17 * (1 - covered) + 0.07))
    assert bill.fees == pytest.approx(0.5 * 0.22)
    assert bill.total == pytest.approx(bill.usage + bill.fees)
    assert [(u.id, u.percent) for u in bill.uses] == [("ri", 100.0), ("sp", 100.0)]


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("commitments")
    (folder / "commitments.yaml").write_text(COMMITMENTS)
    args = ["simulate", str(SMALL), "--hours", "1", "--compare", "--json"]
    args += ["--commitments", str(folder / "commitments.yaml")]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(args) == 0
    return {f["name"]: f for f in json.loads(buffer.getvalue())["strategies"]}


def test_spotwise_fills_the_commitments_and_is_billed_less_than_ignoring_them(compared):
    filling, ignoring = compared["spotwise"], compared["spotwise-ignore-commitments"]
    used = {c["id"]: c["utilization_percent"] for c in filling["commitments"]}
    unused = {c["id"]: c["utilization_percent"] for c in ignoring["commitments"]}
    assert used["reservedInstances[0]"] > unused["reservedInstances[0]"]
    assert filling["billed_cost"] < ignoring["billed_cost"]
    # Every strategy pays the same fees; the bill is never above the list price plus them.
    # Two RIs at $0.12 and the plan's $0.50, for the hour.
    assert all(f["commitment_fees"] == pytest.approx(0.74) for f in compared.values())
    for f in compared.values():
        assert f["billed_cost"] <= f["cost"] + f["commitment_fees"] + 1e-6


def test_without_commitments_there_is_no_such_strategy_and_the_bill_is_the_cost(capsys):
    assert main(["simulate", str(SMALL), "--hours", "0.25", "--compare", "--json"]) == 0
    strategies = json.loads(capsys.readouterr().out)["strategies"]
    assert "spotwise-ignore-commitments" not in {f["name"] for f in strategies}
    for f in strategies:
        assert (f["billed_cost"], f["commitment_fees"], f["commitments"]) == (f["cost"], None, [])


def test_an_unknown_reserved_type_is_one_line_and_exit_2(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("reservedInstances: [{type: m5.huge, region: us-east-1, count: 1}]\n")
    assert main(["simulate", str(SMALL), "--hours", "0.25", "--commitments", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "m5.huge" in err and len(err.strip().splitlines()) == 1


def test_only_spotwises_strategies_plan_into_commitments():
    chosen = strategies(load_catalog("us-east-1", None), (), True, commitments=True)
    filling = {s.name for s in chosen if s.fill_commitments}
    assert "spotwise" in filling
    assert not {"on-demand", "node-groups", "spotwise-ignore-commitments"} & filling


def test_cost_by_namespace_and_workload_adds_up_to_the_cost(compared):
    spotwise = compared["spotwise"]
    by_namespace, by_workload = spotwise["cost_by_namespace"], spotwise["cost_by_workload"]
    assert {"__idle__", "shop", "payments"} <= set(by_namespace)
    assert "shop/Deployment/web" in by_workload
    # Sampled every 5 minutes: the list cost to within sampling, the same total both ways.
    assert sum(by_namespace.values()) == pytest.approx(spotwise["cost"], rel=0.05)
    assert sum(by_workload.values()) == pytest.approx(sum(by_namespace.values()), abs=0.05)
    assert list(by_namespace.values()) == sorted(by_namespace.values(), reverse=True)
