"""The memory of interruptions the handler records into and the provisioner plans with."""

from __future__ import annotations

import pytest

from provisioning.builders import nodepool, pods, setup
from spotwise.catalog.bundled import load_bundled
from spotwise.decisions.capacity.observed import FORGET_SECONDS
from spotwise.model.instance_type import CapacityType
from spotwise.provisioning.assembly import pool_config
from spotwise.provisioning.available_pools import AvailablePools
from spotwise.provisioning.observed import DECAY_STEP_SECONDS, ObservedInterruptions
from spotwise.provisioning.pools import build_pools
from spotwise.provisioning.unavailable import UnavailableOfferings

HOUR = 3600.0
SPOT = CapacityType.SPOT


def test_a_recorded_interruption_counts_at_once_and_decays_by_steps() -> None:
    observed = ObservedInterruptions()
    observed.record("m5.large", "us-east-1a", 7_250.0, instance_id="i-1")
    # Counted at once, though the step (7 200) is before it.
    assert observed.snapshot(7_251.0).counts == {("m5.large", "us-east-1a"): 1.0}
    assert observed.snapshot(7_251.0).at == 7_200.0
    # Within a step the count does not move; two hours later it is half.
    assert observed.snapshot(7_200.0 + DECAY_STEP_SECONDS - 1).counts == {
        ("m5.large", "us-east-1a"): 1.0
    }
    later = observed.snapshot(7_250.0 + 2 * HOUR).counts[("m5.large", "us-east-1a")]
    assert later == pytest.approx(2 ** (-(7_200.0 + 2 * HOUR - 7_250.0) / (2 * HOUR)))
    # The same instance again (queue and metadata) is one interruption.
    observed.record("m5.large", "us-east-1a", 7_300.0, instance_id="i-1")
    assert observed.snapshot(7_300.0).counts == {("m5.large", "us-east-1a"): 1.0}
    # Forgotten after 32 hours.
    assert observed.snapshot(7_250.0 + FORGET_SECONDS + 1).counts == {}
    assert observed.observations.events == {}


def test_available_pools_carry_the_counts_and_keep_the_memo_within_a_step() -> None:
    pools = AvailablePools(
        build_pools([nodepool(instanceTypes=["m5.large", "c5.large"])], load_bundled()),
        UnavailableOfferings(),
    )
    observed = ObservedInterruptions()
    quiet = pools.at(1_000.0, observed)
    assert quiet == pools.all
    memo = pools.memo
    observed.record("m5.large", "us-east-1a", 1_000.0)
    seen = pools.at(1_010.0, observed)
    assert pools.memo is not memo  # the offers changed: the memo goes
    counts = {
        (s.name, o.zone, o.capacity_type): o.observed for s in seen[0].shapes for o in s.offers
    }
    assert counts[("m5.large", "us-east-1a", SPOT)] == 1.0
    assert {v for k, v in counts.items() if k != ("m5.large", "us-east-1a", SPOT)} == {0.0}
    memo = pools.memo
    assert pools.at(1_100.0, observed) is seen and pools.memo is memo  # the same step
    assert pools.at(1_200.0, observed) is not seen  # the next step decays the count


def test_the_provisioner_exposes_the_memory_and_keeps_it_across_reconfiguration() -> None:
    provisioner, *_ = setup()
    observed = provisioner.observed
    assert isinstance(observed, ObservedInterruptions)
    unavailable = provisioner.launcher.unavailable
    provisioner.reconfigure(*pool_config([nodepool()], load_bundled(), unavailable))
    assert provisioner.observed is observed


def test_a_launch_is_expected_elsewhere_after_an_interruption_in_its_pool() -> None:
    spec = {"instanceTypes": ["m5.large", "m6i.large", "m6a.large", "m7i.large", "m5a.large"]}
    provisioner, cluster, _, clock = setup(capacityTypes=["spot"], **spec)
    cluster.pending = pods(1)
    (launch,) = provisioner.reconcile().launches
    usual = launch.node.expected_instance_type

    provisioner, cluster, _, clock = setup(capacityTypes=["spot"], **spec)
    for zone in ("us-east-1a", "us-east-1b"):
        provisioner.observed.record(usual, zone, clock.now(), instance_id=f"i-{zone}")
    cluster.pending = pods(1)
    (launch,) = provisioner.reconcile().launches
    assert launch.node.expected_instance_type != usual
