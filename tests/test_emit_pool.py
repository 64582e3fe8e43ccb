from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from spotwise.catalog.bundled import load_bundled
from spotwise.config import load_nodepools
from spotwise.config.nodepool import Limits, Taint, TaintEffect
from spotwise.decisions.selector.candidate import Candidate
from spotwise.decisions.selector.criteria import Criteria, Range
from spotwise.decisions.selector.emit_pool import emit_pool, nodepool
from spotwise.decisions.selector.select import select
from spotwise.errors import UserError
from spotwise.model.allocation import SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType

ZONES = ("us-east-1a", "us-east-1b")


@pytest.fixture(scope="module")
def rows() -> list[Candidate]:
    criteria = Criteria(
        vcpus=Range(2, 4),
        memory_mib=Range(8192, 16384),
        architecture=Architecture.ARM64,
        usage_class=CapacityType.SPOT,
        zones=ZONES,
        max_interruption=10,
    )
    found = list(select(load_bundled(), criteria))
    assert len(found) >= 3
    return found


def test_emitted_pool_reads_back_equal(rows: list[Candidate], tmp_path: Path) -> None:
    pool = nodepool(
        rows,
        name="arm-spot",
        capacity_types=(CapacityType.SPOT,),
        zones=ZONES,
        architecture=Architecture.ARM64,
        max_interruption=10,
        spot_allocation_strategy=SpotAllocationStrategy.CAPACITY_OPTIMIZED,
        labels={"team": "web"},
        taints=(Taint(key="spotInstance", value="true", effect=TaintEffect.PREFER_NO_SCHEDULE),),
        weight=10,
        limits=Limits(cpu="64", memory="256Gi", nodes=20),
    )
    text = emit_pool(
        rows,
        name="arm-spot",
        capacity_types=(CapacityType.SPOT,),
        zones=ZONES,
        architecture=Architecture.ARM64,
        max_interruption=10,
        spot_allocation_strategy=SpotAllocationStrategy.CAPACITY_OPTIMIZED,
        labels={"team": "web"},
        taints=(Taint(key="spotInstance", value="true", effect=TaintEffect.PREFER_NO_SCHEDULE),),
        weight=10,
        limits=Limits(cpu="64", memory="256Gi", nodes=20),
    )
    path = tmp_path / "pool.yaml"
    path.write_text(text)
    assert load_nodepools(path) == [pool]

    document = yaml.safe_load(text)
    assert document["apiVersion"] == "spotwise.io/v1alpha1"
    assert document["kind"] == "NodePool"
    spec = document["spec"]
    assert spec["capacityTypes"] == ["spot"]
    assert spec["zones"] == list(ZONES)
    assert spec["architecture"] == "arm64"
    assert spec["maxInterruption"] == 10
    assert spec["spotAllocationStrategy"] == "capacity-optimized"
    assert spec["taints"] == [
        {"key": "spotInstance", "value": "true", "effect": "PreferNoSchedule"}
    ]
    assert spec["limits"] == {"cpu": "64", "memory": "256Gi", "nodes": 20}
    # Every selected type, cheapest spot first.
    by_name = {c.name: c for c in rows}
    assert sorted(spec["instanceTypes"]) == sorted(by_name)
    spots = [by_name[n].spot_price for n in spec["instanceTypes"]]
    assert spots == sorted(spots)


def test_on_demand_pool_orders_by_on_demand_price(rows: list[Candidate]) -> None:
    pool = nodepool(rows, name="od", capacity_types=(CapacityType.ON_DEMAND,))
    prices = {c.name: c.on_demand_price for c in rows}
    ordered = [prices[n] for n in pool.spec.instance_types]
    assert ordered == sorted(ordered)
    assert pool.spec.on_demand_above_base == 100


@pytest.mark.parametrize(
    ("kwargs", "flag", "words"),
    [
        ({"name": "Bad_Name"}, "--name", "not a DNS label"),
        ({"zones": ("us-east-1",)}, "--availability-zones", "availability-zone"),
        ({"on_demand_above_base": 120}, "--on-demand-above-base", "100"),
        ({"max_interruption": -5}, "--max-interruption", "0"),
        ({"labels": {"a b": "x"}}, "--label", "not a label key"),
        (
            {"capacity_types": (CapacityType.SPOT,), "on_demand_base": 2},
            "--emit pool (spec)",
            "no on-demand",
        ),
    ],
)
def test_bad_values_blame_the_flag(
    rows: list[Candidate],
    kwargs: dict,
    flag: str,
    words: str,
) -> None:
    args = {"name": "p"} | kwargs
    with pytest.raises(UserError) as raised:
        emit_pool(rows, **args)
    assert raised.value.subject == flag
    assert words in raised.value.problem
    assert "\n" not in str(raised.value)


def test_no_candidates_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no instance type"):
        emit_pool([], name="p")
