"""The controller's cost gauges: cost, savings with spot and commitments, utilization."""

from __future__ import annotations

import pytest

from spotwise.catalog.bundled import load_bundled
from spotwise.controller.cost import cost_figures
from spotwise.controller.provisioning_loop import COST_INTERVAL_SECONDS
from spotwise.decisions.cost.attribution import ReservedInstance
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import INSTANCE_TYPE, NODE_POOL, ZONE
from spotwise.model.labelset import LabelSet
from spotwise.model.node import Node
from spotwise.model.resources import Resources

from .test_controller import Lease, controller  # isort: skip

CATALOG = load_bundled()


def node(name: str, instance_type: str, capacity_type: CapacityType, pool: str = "general") -> Node:
    labels = {INSTANCE_TYPE: instance_type, ZONE: "us-east-1a", NODE_POOL: pool}
    return Node(
        name,
        LabelSet(labels),
        (),
        Resources(2000, 8 * 2**30, 29),
        capacity_type=capacity_type,
        provider_id=f"aws:///us-east-1a/i-{name}",
    )


def price(instance_type: str, capacity_type: CapacityType) -> float:
    return CATALOG.offerings_of(instance_type, capacity_type, ["us-east-1a"])[0].price


def test_savings_count_spot_prices_and_commitments() -> None:
    nodes = [
        node("od", "m5.large", CapacityType.ON_DEMAND),
        node("sp", "m5.large", CapacityType.SPOT),
        node("other", "m5.large", CapacityType.ON_DEMAND, pool="batch"),
    ]
    ri = ReservedInstance("ri", "m5.large", 1, "us-east-1", zone="us-east-1a", hourly_price=0.06)
    figures = cost_figures(nodes, CATALOG, [ri])
    on_demand, spot = (
        price("m5.large", CapacityType.ON_DEMAND),
        price("m5.large", CapacityType.SPOT),
    )
    general_od = ("general", CapacityType.ON_DEMAND)
    assert figures.cost[general_od] == pytest.approx(on_demand)  # at the catalog's price
    assert figures.savings[general_od] == pytest.approx(on_demand - 0.06)  # at the RI's price
    assert figures.savings[("general", CapacityType.SPOT)] == pytest.approx(on_demand - spot)
    assert figures.savings[("batch", CapacityType.ON_DEMAND)] == 0.0  # the RI is taken
    assert [(u.id, u.percent) for u in figures.utilization] == [("ri", 100.0)]
    # Without the RI's price its node's cost is unknown: it claims no savings.
    unpriced = ReservedInstance("ri", "m5.large", 1, "us-east-1", zone="us-east-1a")
    assert cost_figures(nodes, CATALOG, [unpriced]).savings[general_od] == 0.0


def test_the_gauges_are_set_and_refreshed_every_few_seconds() -> None:
    c, cluster, _, clock, _ = controller()
    c.provisioning.reserved = (
        ReservedInstance("ri", "m5.large", 2, "us-east-1", zone="us-east-1a", hourly_price=0.06),
    )
    cluster.nodes = [node("od", "m5.large", CapacityType.ON_DEMAND)]
    registry = c.registry
    c.provisioning.run()
    ratio = {"commitment": "ri", "kind": "zonal-ri"}
    assert registry.get_sample_value("spotwise_commitment_utilization_ratio", ratio) == 0.5
    saved = {"node_pool": "general", "capacity_type": "on-demand"}
    assert registry.get_sample_value("spotwise_savings_per_hour_dollars", saved) > 0
    cluster.nodes = []
    c.provisioning.run()  # within the interval: unchanged
    assert registry.get_sample_value("spotwise_commitment_utilization_ratio", ratio) == 0.5
    clock.advance(COST_INTERVAL_SECONDS)
    c.provisioning.run()
    assert registry.get_sample_value("spotwise_commitment_utilization_ratio", ratio) == 0.0


def test_a_replica_that_loses_the_lease_reports_no_cost() -> None:
    lease = Lease()
    c, cluster, _, _, _ = controller(lease)
    c.synced, lease.held = True, True
    c.elect()
    cluster.nodes = [node("od", "m5.large", CapacityType.ON_DEMAND)]
    c.provisioning.run()
    labels = {"node_pool": "general", "capacity_type": "on-demand"}
    assert c.registry.get_sample_value("spotwise_cost_per_hour_dollars", labels) > 0
    lease.held = False
    c.elect()
    assert c.registry.get_sample_value("spotwise_cost_per_hour_dollars", labels) is None
