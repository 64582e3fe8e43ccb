"""The ledger: per-second billing, the 60 s minimum, and commitments re-attributed over time."""

from __future__ import annotations

import pytest

from spotwise.decisions.cost.attribution import CoveredBy, ReservedInstance, Usage
from spotwise.decisions.cost.ledger import Run, ledger, totals
from spotwise.model.instance_type import CapacityType

REGION = "us-east-1"


def run(
    instance_id: str,
    start: float,
    end: float,
    price: float = 0.10,
    capacity_type: CapacityType = CapacityType.ON_DEMAND,
    on_demand_price: float = 0.10,
    pool: str = "general",
) -> Run:
    usage = Usage(instance_id, "m5.large", "us-east-1a", REGION, capacity_type, price)
    return Run(usage, start, end, on_demand_price, {"pool": pool, "capacity": capacity_type})


def test_instances_are_billed_per_second_at_their_price() -> None:
    charges = ledger(
        [
            run("od", 0, 3600),  # an hour at 0.10
            run("spot", 0, 1800, price=0.04, capacity_type=CapacityType.SPOT),  # half at 0.04
        ]
    )
    assert [round(c.cost, 6) for c in charges] == [0.10, 0.02]
    assert [round(c.list_cost, 6) for c in charges] == [0.10, 0.05]
    by_capacity = totals(charges, lambda c: c.run.labels["capacity"])
    assert round(by_capacity["spot"].savings, 6) == 0.03
    assert round(by_capacity["on-demand"].savings, 6) == 0.0


def test_a_short_life_is_billed_a_full_minute() -> None:
    (charge,) = ledger([run("brief", 100, 130, price=0.36, on_demand_price=0.36)])
    assert charge.billed_seconds == 60
    assert charge.cost == pytest.approx(0.36 * 60 / 3600)  # 0.006, not 0.003


def test_a_commitment_moves_to_the_instance_that_keeps_running() -> None:
    # One zonal RI; i-1 runs 0-1 h, i-2 runs 0.5-1.5 h. While both run the RI covers
    # i-1 (id order); i-2 pays on-demand for that half hour, then the RI covers it.
    ri = ReservedInstance("ri", "m5.large", 1, REGION, zone="us-east-1a")
    first, second = ledger([run("i-1", 0, 3600), run("i-2", 1800, 5400)], [ri])
    assert first.cost == 0.0
    assert second.cost == pytest.approx(0.05)
    assert second.covered[CoveredBy.ZONAL_RI] == pytest.approx(0.5)
    assert second.covered[CoveredBy.ON_DEMAND] == pytest.approx(0.5)
    assert second.list_cost == pytest.approx(0.10)


def test_totals_group_by_any_label() -> None:
    charges = ledger([run("a", 0, 3600, pool="web"), run("b", 0, 7200, pool="batch")])
    by_pool = totals(charges, lambda c: c.run.labels["pool"])
    assert list(by_pool) == ["batch", "web"]
    assert (round(by_pool["batch"].cost, 6), by_pool["batch"].instance_hours) == (0.2, 2.0)
