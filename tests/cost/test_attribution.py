"""Commitments cover instances in AWS's order: hand-computed examples, one per rule."""

from __future__ import annotations

import dataclasses

import pytest

from spotwise.decisions.cost.attribution import (
    Attribution,
    CoveredBy,
    PlanKind,
    ReservedInstance,
    SavingsPlan,
    Usage,
    attribute,
)
from spotwise.decisions.cost.normalization import factor
from spotwise.model.instance_type import CapacityType

REGION = "us-east-1"
# Round prices keep the arithmetic checkable by hand.
PRICES = {"m5.large": 0.10, "m5.xlarge": 0.20, "m5.2xlarge": 0.40, "c5.xlarge": 0.20}


def on_demand(instance_id: str, instance_type: str, zone: str = "us-east-1a") -> Usage:
    return Usage(
        instance_id, instance_type, zone, REGION, CapacityType.ON_DEMAND, PRICES[instance_type]
    )


def shares(a: Attribution) -> list[tuple[str, float]]:
    return [(c.by.value, round(a.share(c), 6)) for c in a.coverage]


def test_normalization_factors_are_awss_table() -> None:
    assert [factor(f"m5.{s}") for s in ("large", "xlarge", "2xlarge", "24xlarge")] == [
        4.0,
        8.0,
        16.0,
        192.0,
    ]
    assert (factor("t3.nano"), factor("t3.micro"), factor("t3.small")) == (0.25, 0.5, 1.0)
    assert factor("m5.metal") is None


def test_a_zonal_ri_covers_one_instance_of_its_type_in_its_zone() -> None:
    usages = [
        on_demand("i-1", "m5.xlarge"),
        on_demand("i-2", "m5.xlarge", "us-east-1b"),
        on_demand("i-3", "m5.xlarge"),
    ]
    ri = ReservedInstance("ri-1", "m5.xlarge", 1, REGION, zone="us-east-1a")
    found, used = attribute(usages, [ri])
    assert [a.covered_by for a in found] == [
        CoveredBy.ZONAL_RI,
        CoveredBy.ON_DEMAND,
        CoveredBy.ON_DEMAND,
    ]
    assert [a.added_price for a in found] == [0.0, 0.20, 0.20]
    assert (used[0].used, used[0].total, used[0].percent) == (1.0, 1.0, 100.0)
    assert used[0].unit == "instance-hours"


def test_a_regional_ri_flexes_across_sizes_smallest_first_and_covers_in_part() -> None:
    # 2 x m5.large = 8 units. Smallest first: the large (4 units) whole, then half of the
    # xlarge (8 units needed, 4 left); the 2xlarge gets nothing.
    usages = [
        on_demand("i-a", "m5.2xlarge"),
        on_demand("i-b", "m5.large", "us-east-1b"),
        on_demand("i-c", "m5.xlarge", "us-east-1c"),
    ]
    found, used = attribute(usages, [ReservedInstance("ri-1", "m5.large", 2, REGION)])
    by_id = {a.usage.instance_id: a for a in found}
    assert shares(by_id["i-b"]) == [("regional-ri", 1.0)]
    assert shares(by_id["i-c"]) == [("regional-ri", 0.5), ("on-demand", 0.5)]
    assert shares(by_id["i-a"]) == [("on-demand", 1.0)]
    assert by_id["i-c"].added_price == pytest.approx(0.10)  # half of 0.20
    assert (used[0].used, used[0].total, used[0].unit) == (8.0, 8.0, "unit-hours")


def test_zonal_ris_come_before_regional_ones() -> None:
    # Regional first would take i-1 (id order) and leave the zonal RI nothing in its zone.
    usages = [on_demand("i-1", "m5.large"), on_demand("i-2", "m5.large", "us-east-1b")]
    reserved = [
        ReservedInstance("regional", "m5.large", 1, REGION),
        ReservedInstance("zonal", "m5.large", 1, REGION, zone="us-east-1a"),
    ]
    found, used = attribute(usages, reserved)
    assert [(a.covered_by, a.coverage[0].commitment) for a in found] == [
        (CoveredBy.ZONAL_RI, "zonal"),
        (CoveredBy.REGIONAL_RI, "regional"),
    ]
    assert [u.percent for u in used] == [100.0, 100.0]


def test_savings_plans_come_after_ris_ec2_instance_before_compute_highest_discount_first() -> None:
    usages = [
        on_demand("i-1", "c5.xlarge"),
        on_demand("i-2", "c5.xlarge"),
        on_demand("i-3", "m5.xlarge"),
        on_demand("i-4", "m5.large"),
    ]
    reserved = [ReservedInstance("ri", "m5.large", 1, REGION, zone="us-east-1a")]
    plans = [
        SavingsPlan("compute-20", PlanKind.COMPUTE, 0.20, 0.20),
        SavingsPlan("compute-30", PlanKind.COMPUTE, 0.05, 0.30),
        SavingsPlan("c5", PlanKind.EC2_INSTANCE, 0.20, 0.25, family="c5", region=REGION),
    ]
    found, used = attribute(usages, reserved, plans)
    by_id = {a.usage.instance_id: a for a in found}
    # i-4: the RI. c5 plan: c5.xlarge at its rate 0.20 x 0.75 = 0.15 an hour; i-1 whole
    # (0.15), i-2 a third (0.05 left / 0.15). Compute 30% next: rate 0.14; i-2's other two
    # thirds would cost 0.0933, it has 0.05: 0.05 / 0.14 = 0.357143 of the hour. Compute
    # 20%: rate 0.16; i-2's last 0.309524 costs 0.049524, leaving 0.150476 for i-3:
    # 0.150476 / 0.16 = 0.940476 of its hour, the rest on-demand.
    assert shares(by_id["i-4"]) == [("zonal-ri", 1.0)]
    assert shares(by_id["i-1"]) == [("ec2-instance-sp", 1.0)]
    assert shares(by_id["i-2"]) == [
        ("ec2-instance-sp", 0.333333),
        ("compute-sp", 0.357143),
        ("compute-sp", 0.309524),
    ]
    assert shares(by_id["i-3"]) == [("compute-sp", 0.940476), ("on-demand", 0.059524)]
    assert by_id["i-3"].added_price == pytest.approx(0.059524 * 0.20, abs=1e-6)
    assert by_id["i-2"].covered_by is CoveredBy.COMPUTE_SP  # the largest single share
    percent = {u.id: round(u.percent, 4) for u in used}
    assert percent == {"ri": 100.0, "compute-20": 100.0, "compute-30": 100.0, "c5": 100.0}


def test_an_unused_commitment_shows_and_spot_is_never_covered() -> None:
    spot = Usage("i-s", "m5.large", "us-east-1a", REGION, CapacityType.SPOT, 0.04)
    plans = [SavingsPlan("compute", PlanKind.COMPUTE, 1.0, 0.2)]
    found, used = attribute([spot], [ReservedInstance("ri", "m5.large", 1, REGION)], plans)
    assert found[0].covered_by is CoveredBy.SPOT and found[0].added_price == 0.04
    assert [u.percent for u in used] == [0.0, 0.0]


def test_an_ec2_instance_plan_covers_only_its_family_and_region() -> None:
    usages = [
        on_demand("i-1", "m5.large"),
        Usage("i-2", "c5.xlarge", "eu-west-1a", "eu-west-1", CapacityType.ON_DEMAND, 0.20),
    ]
    plan = SavingsPlan("c5", PlanKind.EC2_INSTANCE, 1.0, 0.3, family="c5", region=REGION)
    found, used = attribute(usages, plans=[plan])
    assert [a.covered_by for a in found] == [CoveredBy.ON_DEMAND, CoveredBy.ON_DEMAND]
    assert used[0].used == 0.0


def test_the_amortized_price_counts_what_the_commitments_cost() -> None:
    # A zonal RI at 0.06 an hour, a c5 plan at 25% off: the RI's instance costs 0.06, the
    # plan's its rate 0.15; without the RI's price its instance's cost is unknown.
    usages = [on_demand("i-1", "m5.large"), on_demand("i-2", "c5.xlarge")]
    priced = ReservedInstance("ri", "m5.large", 1, REGION, zone="us-east-1a", hourly_price=0.06)
    plan = SavingsPlan("c5", PlanKind.EC2_INSTANCE, 1.0, 0.25, family="c5", region=REGION)
    found, used = attribute(usages, [priced], [plan])
    assert [a.added_price for a in found] == [0.0, 0.0]
    assert [a.amortized_price for a in found] == pytest.approx([0.06, 0.15])
    assert [u.fee for u in used] == [0.06, 1.0]  # paid whether used or not
    unpriced = ReservedInstance("ri", "m5.large", 1, REGION, zone="us-east-1a")
    found, used = attribute(usages, [unpriced], [plan])
    assert found[0].amortized_price is None and used[0].fee is None


def test_an_ris_hour_is_pooled_over_the_instances_that_ran_in_it() -> None:
    # Four m5.large of 15 minutes each use one RI's hour between them (AWS's own example).
    usages = [dataclasses.replace(on_demand(f"i-{n}", "m5.large"), seconds=900.0) for n in range(4)]
    found, used = attribute(usages, [ReservedInstance("ri", "m5.large", 1, REGION)])
    assert [a.covered_by for a in found] == [CoveredBy.REGIONAL_RI] * 4
    assert used[0].percent == pytest.approx(100.0)


def test_families_aws_keeps_out_of_size_flexibility_cover_their_own_type_only() -> None:
    usages = [Usage("i-g", "g4dn.2xlarge", "us-east-1a", REGION, CapacityType.ON_DEMAND, 0.75)]
    found, _ = attribute(usages, [ReservedInstance("ri", "g4dn.xlarge", 2, REGION)])
    assert found[0].covered_by is CoveredBy.ON_DEMAND
