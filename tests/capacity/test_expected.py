"""What a launch is expected to pay: the pool its strategy picks, at expected depths."""

import pytest

from spotwise.decisions.capacity.expected import (
    OVERLAP_HOURS,
    RESTARTED_WORK_HOURS,
    PoolQuote,
    expected_pick,
    interruption_cost_per_hour,
)
from spotwise.model.allocation import SpotAllocationStrategy
from spotwise.model.offering import BUCKETS

CALM, MIDDLE, STORMY = BUCKETS[0], BUCKETS[2], BUCKETS[4]
QUOTES = [
    PoolQuote("stormy.large", "a", 0.020, STORMY),  # the cheapest, and shallow
    PoolQuote("middle.large", "a", 0.024, MIDDLE),
    PoolQuote("calm-dear.large", "a", 0.031, CALM),
    PoolQuote("calm.large", "a", 0.027, CALM),
]


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        # The deep pools (calm ones: depth 333 against 80 and 33), cheapest first.
        (SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED, "calm.large"),
        (SpotAllocationStrategy.LOWEST_PRICE, "stormy.large"),
        # The deepest; a tie between the calm two goes to the list's order.
        (SpotAllocationStrategy.CAPACITY_OPTIMIZED, "calm-dear.large"),
        (SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED, "stormy.large"),
    ],
)
def test_each_strategy_is_expected_to_pick_as_the_simulated_cloud_orders(strategy, expected):
    assert expected_pick(strategy, QUOTES).instance_type == expected


def test_an_unlisted_type_is_priced_as_the_middle_bucket_not_the_calmest():
    quotes = [
        PoolQuote("unlisted.large", "a", 0.020, None),
        PoolQuote("calm.large", "a", 0.03, CALM),
    ]
    assert expected_pick(SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED, quotes).price == 0.03


def test_an_empty_list_is_a_bug_not_a_price():
    with pytest.raises(ValueError, match="at least one pool"):
        expected_pick(SpotAllocationStrategy.LOWEST_PRICE, [])


def test_interruptions_cost_more_in_stormier_pools_and_little_at_the_advisors_rates():
    costs = [interruption_cost_per_hour(PoolQuote("x", "a", 0.1, b)) for b in BUCKETS]
    assert costs == sorted(costs) and len(set(costs)) == len(costs)
    # >20% (taken as 30% a month): about 0.0005 interruptions an hour, each costing the
    # overlap and the restarted work in hours of the node's price.
    per_hour = costs[-1] / (0.1 * (OVERLAP_HOURS + RESTARTED_WORK_HOURS))
    assert per_hour == pytest.approx(0.000495, rel=0.01)
    assert costs[-1] < 0.001 * 0.1
