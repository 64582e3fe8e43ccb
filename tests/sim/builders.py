"""Small builders for simulated-cloud tests: requests over the bundled catalog."""

from __future__ import annotations

import itertools

from spotwise.catalog.bundled import load_bundled
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import CapacityType
from spotwise.ports.clock import ManualClock
from spotwise.ports.cloud import LaunchRequest, Override
from spotwise.simulated.cloud import SimulatedCloud

SPOT = CapacityType.SPOT
ON_DEMAND = CapacityType.ON_DEMAND
ZONES = ("us-east-1a", "us-east-1b")
_tokens = itertools.count()


def sim_cloud(**kwargs) -> SimulatedCloud:
    kwargs.setdefault("clock", ManualClock(1_000.0))
    return SimulatedCloud(load_bundled(), **kwargs)


def overrides(types, zones=ZONES, priorities=None) -> tuple[Override, ...]:
    return tuple(
        Override(t, z, priority=None if priorities is None else priorities[t])
        for t in types
        for z in zones
    )


def request(
    types=("m5.large",),
    zones=ZONES,
    capacity_type=SPOT,
    token=None,
    spot=SpotAllocationStrategy.LOWEST_PRICE,
    on_demand=OnDemandAllocationStrategy.LOWEST_PRICE,
    priorities=None,
    cluster="test",
) -> LaunchRequest:
    return LaunchRequest(
        client_token=token or f"token-{next(_tokens)}",
        cluster=cluster,
        pool="default",
        node_name="new-default-0",
        capacity_type=capacity_type,
        overrides=overrides(types, zones, priorities),
        spot_strategy=spot,
        on_demand_strategy=on_demand,
    )
