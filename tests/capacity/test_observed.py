"""The observed-interruption estimator, by hand: λ = λ0 + K / E0, K decayed by half-lives."""

import math

import pytest

from spotwise.decisions.capacity import spot_model
from spotwise.decisions.capacity.observed import (
    FORGET_SECONDS,
    HALF_LIFE_SECONDS,
    PRIOR_NODE_HOURS,
    Observations,
    decayed,
    expected_share,
    prior_rate_per_hour,
    rate_per_hour,
    weight,
)
from spotwise.model.offering import BUCKETS

CALM, STORMY = BUCKETS[0], BUCKETS[4]
HOUR = 3600.0
# The calm bucket (<5%) is taken at 3% a month: -ln(0.97) / 720 h.
CALM_RATE = -math.log(0.97) / 720


def test_the_constants_are_the_documented_ones():
    assert HALF_LIFE_SECONDS == 2 * HOUR
    assert PRIOR_NODE_HOURS == 24
    assert FORGET_SECONDS == 32 * HOUR


def test_with_nothing_seen_the_rate_is_the_advisors_to_the_bit():
    assert prior_rate_per_hour(CALM) == pytest.approx(4.2304e-5, rel=1e-4)
    assert prior_rate_per_hour(CALM) == pytest.approx(CALM_RATE, rel=1e-12)
    for bucket in (*BUCKETS, None):
        share = spot_model.expected_share(bucket)
        advisor = spot_model.hazard_per_second(share, 0, spot_model.depth(share)) * 3600
        assert rate_per_hour(bucket) == advisor
        assert rate_per_hour(bucket, 0.0) == advisor
        assert expected_share(bucket) == share


def test_one_interruption_now_adds_one_over_the_prior_exposure():
    # 4.2304e-5 + 1/24 = 0.0417090
    assert rate_per_hour(CALM, 1.0) == pytest.approx(0.0417090, rel=1e-5)
    assert rate_per_hour(CALM, 1.0) == pytest.approx(CALM_RATE + 1 / 24, rel=1e-12)


def test_after_one_half_life_an_interruption_counts_half():
    assert weight(HALF_LIFE_SECONDS) == 0.5
    assert decayed([0.0], now=2 * HOUR) == 0.5
    # 4.2304e-5 + 0.5/24 = 0.0208756
    assert rate_per_hour(CALM, decayed([0.0], 2 * HOUR)) == pytest.approx(0.0208756, rel=1e-5)
    # Two half-lives: a quarter.
    assert decayed([0.0], now=4 * HOUR) == 0.25


def test_an_interruption_from_a_little_ahead_counts_as_new_never_more():
    assert weight(-60.0) == 1.0


def test_several_pools_are_counted_apart():
    seen = (
        Observations()
        .record("m5.large", "a", 0.0)
        .record("m5.large", "a", 1 * HOUR)
        .record("c5.large", "b", 0.0)
    )
    counts = seen.weights(now=2 * HOUR)
    # m5.large/a: 2^-1 + 2^-0.5 = 0.5 + 0.70711; c5.large/b: 2^-1.
    assert counts == {
        ("m5.large", "a"): pytest.approx(1.20711, rel=1e-5),
        ("c5.large", "b"): 0.5,
    }
    assert ("m5.large", "b") not in counts
    # The stormy prior, 30% a month: -ln(0.7)/720 = 4.9538e-4, plus 0.5/24 = 0.0208333.
    assert rate_per_hour(STORMY, counts[("c5.large", "b")]) == pytest.approx(0.0213287, rel=1e-5)


def test_a_second_notice_of_the_same_instance_is_not_a_second_interruption():
    once = Observations().record("m5.large", "a", 0.0, "i-1")
    assert once.record("m5.large", "a", 10.0, "i-1") is once
    twice = once.record("m5.large", "a", 10.0, "i-2")
    assert twice.weights(10.0)[("m5.large", "a")] == pytest.approx(2.0, rel=1e-3)


def test_recording_returns_new_observations_and_leaves_the_old_ones_alone():
    empty = Observations()
    seen = empty.record("m5.large", "a", 0.0)
    assert empty.weights(0.0) == {}
    assert seen.weights(0.0) == {("m5.large", "a"): 1.0}


def test_interruptions_older_than_the_horizon_are_forgotten():
    seen = Observations().record("m5.large", "a", 0.0).record("c5.large", "a", 10 * HOUR)
    kept = seen.forget(now=FORGET_SECONDS + 1)
    assert set(kept.events) == {("c5.large", "a")}
    assert seen.forget(now=FORGET_SECONDS).events.keys() == seen.events.keys()


def test_a_pool_seen_interrupted_is_expected_shallower_and_deepens_as_it_decays():
    # One fresh interruption: 1 - exp(-0.041709 * 720) ~ 1, the depth of a drained pool.
    assert expected_share(CALM, 1.0) == pytest.approx(1.0, abs=1e-9)
    assert spot_model.depth(expected_share(CALM, 1.0)) == 10
    depths = [spot_model.depth(expected_share(CALM, 2.0**-k)) for k in range(0, 16)]
    assert depths == sorted(depths)
    # After 15 half-lives (30 h) 2^-15/24 = 1.3e-6 an hour is 3% over the advisor's rate.
    assert depths[-1] == 324
    assert spot_model.depth(expected_share(CALM)) == 333
