"""The planner's expectation of a pool comes from the same model the simulated cloud draws."""

from spotwise.decisions.capacity import spot_model
from spotwise.model.offering import BUCKETS
from spotwise.simulated.spot_pools import SpotPools


def test_the_planner_expects_the_middle_of_the_bucket_the_simulator_draws_in():
    for bucket in BUCKETS:
        low, high = spot_model.share_range(bucket)
        assert spot_model.expected_share(bucket) == (low + high) / 2
        drawn = [
            SpotPools(seed, lambda _n, b=bucket: b).monthly_share("m5.large", "a")
            for seed in range(400)
        ]
        assert abs(sum(drawn) / len(drawn) - spot_model.expected_share(bucket)) < (high - low) / 10


def test_calmer_buckets_are_deeper_and_an_unlisted_type_is_not_calm():
    depths = [spot_model.depth(spot_model.expected_share(b)) for b in BUCKETS]
    assert depths == sorted(depths, reverse=True) and len(set(depths)) == len(depths)
    unlisted = spot_model.depth(spot_model.expected_share(None))
    assert unlisted == depths[2]


def test_holding_a_pool_raises_its_hazard_in_proportion_to_its_depth():
    alone = spot_model.hazard_per_second(0.1, 0, 100)
    assert spot_model.hazard_per_second(0.1, 50, 100) == alone * 1.5
    assert spot_model.hazard_per_second(0.1, 0, 100, scale=10) == alone * 10
