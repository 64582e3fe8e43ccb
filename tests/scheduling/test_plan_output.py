"""What `spotwise plan` prints: the JSON document and the tables, to the character."""

from __future__ import annotations

import io
import re

from rich.console import Console

from spotwise.decisions.scheduling.plan import ExistingPlacement, NewNode, Plan, Unschedulable
from spotwise.decisions.scheduling.plan_output import document, render_tables
from spotwise.model.instance_type import CapacityType
from spotwise.model.resources import Resources

GIB = 2**30


def _plan() -> Plan:
    spot = NewNode(
        name="new-web-1",
        pool="web",
        capacity_type=CapacityType.SPOT,
        instance_types=("m7g.large", "m6g.large", "m7i.large", "m6i.large"),
        zones=("us-east-1a", "us-east-1c"),
        pods=("shop/web-0", "shop/web-1"),
        requested=Resources(cpu_milli=1500, memory_bytes=3 * GIB),
        price_per_hour=0.0312345678,
        on_demand_price_per_hour=0.0816,
        headroom=2,
        price_range_per_hour=(0.0301, 0.0389),
        expected_instance_type="m6g.large",
        interruption_cost_per_hour=0.0000123456,
    )
    on_demand = NewNode(
        name="new-db-1",
        pool="db",
        capacity_type=CapacityType.ON_DEMAND,
        instance_types=("r7i.xlarge",),
        zones=("us-east-1b",),
        pods=("shop/db-0",),
        requested=Resources(cpu_milli=250, memory_bytes=GIB // 2),
        price_per_hour=0.2646,
        on_demand_price_per_hour=0.2646,
        price_range_per_hour=(0.2646, 0.2646),
        expected_instance_type="r7i.xlarge",
    )
    return Plan(
        nodes=(spot, on_demand),
        existing=(
            ExistingPlacement("shop/api-0", "ip-10-0-1-7"),
            ExistingPlacement("shop/api-1", "ip-10-0-1-5"),
        ),
        unschedulable=(Unschedulable("shop/big-0", "needs 2000 CPU; no type has as many"),),
        notes=("pool web: 1 of 2 new nodes on-demand for its split",),
    )


def test_the_json_document_has_every_field_rounded_as_documented() -> None:
    assert document(_plan()) == {
        "nodes": [
            {
                "name": "new-web-1",
                "pool": "web",
                "capacity_type": "spot",
                "instance_types": ["m7g.large", "m6g.large", "m7i.large", "m6i.large"],
                "zones": ["us-east-1a", "us-east-1c"],
                "pods": ["shop/web-0", "shop/web-1"],
                "headroom_units": 2,
                "requested": {"cpu_millicores": 1500, "memory_bytes": 3 * GIB},
                "price_per_hour": 0.031235,
                "expected_instance_type": "m6g.large",
                "price_range_per_hour": [0.0301, 0.0389],
                "interruption_cost_per_hour": 0.000012,
                "on_demand_price_per_hour": 0.0816,
            },
            {
                "name": "new-db-1",
                "pool": "db",
                "capacity_type": "on-demand",
                "instance_types": ["r7i.xlarge"],
                "zones": ["us-east-1b"],
                "pods": ["shop/db-0"],
                "headroom_units": 0,
                "requested": {"cpu_millicores": 250, "memory_bytes": GIB // 2},
                "price_per_hour": 0.2646,
                "expected_instance_type": "r7i.xlarge",
                "price_range_per_hour": [0.2646, 0.2646],
                "interruption_cost_per_hour": 0.0,
                "on_demand_price_per_hour": 0.2646,
            },
        ],
        "existing": [
            {"pod": "shop/api-0", "node": "ip-10-0-1-7"},
            {"pod": "shop/api-1", "node": "ip-10-0-1-5"},
        ],
        "unschedulable": [{"pod": "shop/big-0", "reason": "needs 2000 CPU; no type has as many"}],
        "cost_per_hour": 0.295835,
        "on_demand_cost_per_hour": 0.3462,
        "savings_percent": 14.5,
        "notes": ["pool web: 1 of 2 new nodes on-demand for its split"],
    }


def test_an_empty_plan_saves_nothing() -> None:
    empty = document(Plan((), (), ()))
    assert (empty["cost_per_hour"], empty["on_demand_cost_per_hour"]) == (0, 0)
    assert empty["savings_percent"] == 0.0


def _printed(plan: Plan) -> str:
    out = io.StringIO()
    render_tables(plan, Console(file=out, width=120, color_system=None, highlight=False))
    return out.getvalue()


def test_the_tables_for_people() -> None:
    lines = _printed(_plan()).splitlines()
    # The table's cells, split where rich put two or more spaces between them.
    assert [re.split(r"\s{2,}", line.strip()) for line in lines[:3]] == [
        ["Node", "Pool", "Capacity", "Instance types", "Zones", "Pods", "CPU", "Memory", "$/h",
         "List $/h"],
        ["new-web-1", "web", "spot", "m7g.large, m6g.large +2", "a,c",
         "2 (+2 spare)", "1.5", "3 GiB", "0.0312", "0.0301-0.0389"],
        ["new-db-1", "db", "on-demand", "r7i.xlarge", "b", "1", "0.25", "512 MiB", "0.2646",
         "0.2646"],
    ]  # fmt: skip
    assert lines[3:] == [
        "2 pods fit on existing nodes (ip-10-0-1-5, ip-10-0-1-7)",
        "cost $0.2958/h expected; $0.3462/h all on-demand (15% saved); 2 new nodes",
        "1 pod cannot be placed:",
        "  shop/big-0: needs 2000 CPU; no type has as many",
        "note: pool web: 1 of 2 new nodes on-demand for its split",
    ]


def test_no_new_nodes_says_so_and_zones_without_a_letter_are_shown_whole() -> None:
    assert _printed(Plan((), (), ())).splitlines() == ["no new nodes needed"]
    node = NewNode(
        "new-x-1", "x", CapacityType.SPOT, ("a1.large",), ("z",), ("p",), Resources(), 0.01, 0.02
    )
    assert "  z  " in _printed(Plan((node,), (), ()))
