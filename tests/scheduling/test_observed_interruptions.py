"""Plans learn from interruptions: a pool seen interrupted costs more and is expected to
be shallower, so launches are expected elsewhere, until the interruptions decay.

The rule (`spotwise.decisions.capacity.observed`): the pool's rate per node-hour is the
advisor's plus K/24, K the interruptions seen, each halving every 2 hours.
"""

import pytest

from scheduling.builders import pod_list, pool, spec
from spotwise.decisions.capacity.expected import (
    OVERLAP_HOURS,
    RESTARTED_WORK_HOURS,
    PoolQuote,
    expected_pick,
    interruption_cost_per_hour,
)
from spotwise.decisions.capacity.observed import decayed
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.decisions.scheduling.pricing import size_prices
from spotwise.model.allocation import SpotAllocationStrategy
from spotwise.model.offering import BUCKETS
from spotwise.provisioning.pools import with_observed

HOUR = 3600.0
PCO = SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
CALM, MIDDLE, STORMY = BUCKETS[0], BUCKETS[2], BUCKETS[4]
ZONE = "us-east-1a"
# m6a.large is the one 5-10% pool of these in us-east-1a (depth 133); the others are
# 10-20% (depth 57 and 80), so price-capacity-optimized is expected to pick m6a.large.
TYPES = ("m5.large", "m6i.large", "m6a.large", "m7i.large", "m5a.large")


def seen(hours_ago: float) -> float:
    """K for one interruption seen ``hours_ago``."""
    return decayed([0.0], now=hours_ago * HOUR)


def test_an_interruption_raises_the_pools_cost_by_one_twenty_fourth_of_an_hour_of_it():
    base = interruption_cost_per_hour(PoolQuote("x", "a", 0.1, CALM))
    fresh = interruption_cost_per_hour(PoolQuote("x", "a", 0.1, CALM, seen(0)))
    # 0.1 $/h x (5/60 + 1) h per interruption x 1/24 interruption per hour = 0.0045139 $/h
    assert fresh - base == pytest.approx(0.1 * (OVERLAP_HOURS + RESTARTED_WORK_HOURS) / 24)
    assert fresh - base == pytest.approx(0.0045139, rel=1e-4)
    later = interruption_cost_per_hour(PoolQuote("x", "a", 0.1, CALM, seen(2)))
    assert later - base == pytest.approx(0.0045139 / 2, rel=1e-4)


def test_the_expected_pick_leaves_a_pool_seen_interrupted_and_comes_back_as_it_decays():
    def quotes(k: float) -> list[PoolQuote]:
        return [
            PoolQuote("stormy.large", "a", 0.020, STORMY),
            PoolQuote("middle.large", "a", 0.024, MIDDLE),
            PoolQuote("calm-dear.large", "a", 0.031, CALM),
            PoolQuote("calm.large", "a", 0.027, CALM, k),
        ]

    assert expected_pick(PCO, quotes(0.0)).instance_type == "calm.large"
    # Seen interrupted: 4.2e-5 + 1/24 an hour is a drained pool, depth 10 against 333.
    assert expected_pick(PCO, quotes(seen(0))).instance_type == "calm-dear.large"
    # Ten hours on, 4.2e-5 + 2^-5/24 is still 32 times the advisor's rate: depth 10.
    assert expected_pick(PCO, quotes(seen(10))).instance_type == "calm-dear.large"
    # A day on, 2^-12/24 = 1.0e-5 over 4.2e-5: depth 270, deep again (over 333 / 2).
    assert expected_pick(PCO, quotes(seen(24))).instance_type == "calm.large"


def test_a_sizes_price_rises_by_the_computed_amount_and_falls_back():
    p = pool("one", types=("m6a.large",), zones=(ZONE,), capacity_types=("spot",))
    (offer,) = p.shapes[0].offers
    options = {0: frozenset({(ZONE, offer.capacity_type)})}
    calm = size_prices(p, options).price[0]

    def price(hours_ago: float) -> float:
        (q,) = with_observed((p,), {("m6a.large", ZONE): seen(hours_ago)})
        return size_prices(q, options).price[0]

    per_interruption = offer.price * (OVERLAP_HOURS + RESTARTED_WORK_HOURS) / 24
    assert price(0) - calm == pytest.approx(per_interruption, rel=1e-9)
    assert price(2) - calm == pytest.approx(per_interruption / 2, rel=1e-9)
    assert price(8) - calm == pytest.approx(per_interruption / 16, rel=1e-9)
    assert calm < price(8) < price(2) < price(0)


def plan(pools):
    (new,) = pack(PackInput(tuple(pod_list(spec("1", "2Gi"), 1)), (), pools)).nodes
    return new


def test_a_plan_expects_its_node_from_another_pool_after_interruptions_in_the_deep_one():
    p = pool("m", types=TYPES, zones=(ZONE,), capacity_types=("spot",), minInstanceTypes=2)
    before = plan((p,))
    assert before.expected_instance_type == "m6a.large"

    def after(hours_ago: float):
        return plan(with_observed((p,), {("m6a.large", ZONE): seen(hours_ago)}))

    # m6a.large drained, the 10-20% pools are the deep ones, the cheapest of them first.
    assert after(0).expected_instance_type == "m7i.large"
    assert after(10).expected_instance_type == "m7i.large"
    # A day on the pick is back; what is left is 2^-12/24 an hour of interruption cost.
    assert after(24).expected_instance_type == "m6a.large"
    assert after(24).price_per_hour == before.price_per_hour
    trace = before.price_per_hour * (OVERLAP_HOURS + RESTARTED_WORK_HOURS) * 2**-12 / 24
    assert after(24).interruption_cost_per_hour - before.interruption_cost_per_hour == (
        pytest.approx(trace, rel=1e-9)
    )
    # The list is the same: EC2 may still launch m6a.large if it has capacity after all.
    assert after(0).instance_types == before.instance_types


def test_interruptions_elsewhere_change_nothing_and_none_change_nothing():
    p = pool("m", types=TYPES, zones=(ZONE,), capacity_types=("spot",), minInstanceTypes=2)
    before = plan((p,))
    assert with_observed((p,), {})[0] == p
    assert plan(with_observed((p,), {("m6a.large", "us-east-1b"): seen(0)})) == before
