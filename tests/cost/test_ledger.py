"""The ledger: per-second billing, the 60 s minimum, and commitments re-attributed over time."""

from __future__ import annotations

import dataclasses

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
    return Run(usage, start, end, on_demand_price, labels={"pool": pool, "capacity": capacity_type})


def test_instances_are_billed_per_second_at_their_price() -> None:
    bill = ledger(
        [
            run("od", 0, 3600),  # an hour at 0.10
            run("spot", 0, 1800, price=0.04, capacity_type=CapacityType.SPOT),  # half at 0.04
        ]
    )
    assert [round(c.cost, 6) for c in bill.charges] == [0.10, 0.02]
    assert [round(c.list_cost, 6) for c in bill.charges] == [0.10, 0.05]
    by_capacity = totals(bill.charges, lambda c: c.run.labels["capacity"])
    assert round(by_capacity["spot"].cost, 6) == 0.02
    assert (bill.fees, round(bill.total or 0, 6), bill.hours) == (0.0, 0.12, 1)


def test_a_short_life_is_billed_a_full_minute() -> None:
    (charge,) = ledger([run("brief", 100, 130, price=0.36, on_demand_price=0.36)]).charges
    assert charge.billed_seconds == 60
    assert charge.cost == pytest.approx(0.36 * 60 / 3600)  # 0.006, not 0.003


def test_commitments_apply_to_each_clock_hours_usage() -> None:
    # One zonal RI; i-1 runs 0-1 h, i-2 runs 0.5-1.5 h. Hour 0 has 1.5 instance-hours for
    # the RI's one: i-1 (id order) is covered, i-2 pays its half hour; in hour 1 the RI
    # covers i-2's other half.
    ri = ReservedInstance("ri", "m5.large", 1, REGION, zone="us-east-1a", hourly_price=0.06)
    bill = ledger([run("i-1", 0, 3600), run("i-2", 1800, 5400)], [ri])
    first, second = bill.charges
    assert first.cost == 0.0
    assert second.cost == pytest.approx(0.05)
    assert second.covered[CoveredBy.ZONAL_RI] == pytest.approx(1800)
    assert second.covered[CoveredBy.ON_DEMAND] == pytest.approx(1800)
    # The RI's fee is paid both hours: 0.12; it was used 1.5 of its 2 instance-hours.
    (use,) = bill.commitments
    assert (use.fee, use.used, use.total) == pytest.approx((0.12, 1.5, 2.0))
    assert bill.total == pytest.approx(0.05 + 0.12)


def test_two_instances_at_once_share_one_ris_hour() -> None:
    # Both run the same half hour: one RI's 3600 instance-seconds cover both.
    ri = ReservedInstance("ri", "m5.large", 1, REGION)
    bill = ledger([run("a", 0, 1800), run("b", 0, 1800)], [ri])
    assert [c.cost for c in bill.charges] == [0.0, 0.0]


def test_a_spot_instance_reclaimed_in_its_first_hour_is_free() -> None:
    spot = {"price": 0.04, "capacity_type": CapacityType.SPOT}
    reclaimed = dataclasses.replace(run("r", 0, 1200, **spot), reclaimed=True)
    terminated = run("t", 0, 1200, **spot)  # drained and terminated by its owner: paid
    late = dataclasses.replace(run("l", 0, 5400, **spot), reclaimed=True)
    costs = [round(c.cost, 6) for c in ledger([reclaimed, terminated, late]).charges]
    assert costs == [0.0, round(0.04 / 3, 6), 0.06]


def test_an_unknown_fee_makes_the_bill_unknown() -> None:
    ri = ReservedInstance("ri", "m5.large", 1, REGION)
    bill = ledger([run("a", 0, 3600)], [ri])
    assert bill.added == 0.0 and bill.fees is None and bill.total is None


def test_totals_group_by_any_label() -> None:
    charges = ledger([run("a", 0, 3600, pool="web"), run("b", 0, 7200, pool="batch")]).charges
    by_pool = totals(charges, lambda c: c.run.labels["pool"])
    assert list(by_pool) == ["batch", "web"]
    assert (round(by_pool["batch"].cost, 6), by_pool["batch"].instance_hours) == (0.2, 2.0)
