"""One model for a spot pool's depth and its interruption rate: deep pools are the calm ones."""

import itertools
import math

import pytest

from sim.builders import SPOT, ZONES, request, sim_cloud
from spotwise.decisions.capacity.spot_model import BUCKET_SHARES, MONTH_SECONDS
from spotwise.model.allocation import SpotAllocationStrategy
from spotwise.model.offering import BUCKETS
from spotwise.simulated.spot_pools import SpotPools

TYPES = [f"t{i}.large" for i in range(40)]


def model(seed=3, bucket_of=None):
    buckets = {t: BUCKETS[i % len(BUCKETS)] for i, t in enumerate(TYPES)}
    return SpotPools(seed, bucket_of or buckets.get)


def test_each_pool_draws_its_share_inside_its_advisor_bucket_from_the_seed():
    pools = model()
    forward = [pools.monthly_share(t, z) for t in TYPES for z in ZONES]
    backward = [model().monthly_share(t, z) for t in reversed(TYPES) for z in reversed(ZONES)]
    assert forward == backward[::-1]  # independent of the order pools are looked at
    for i, t in enumerate(TYPES):
        low, high = BUCKET_SHARES[i % len(BUCKETS)]
        assert all(low <= pools.monthly_share(t, z) < high for z in ZONES)
    assert len(set(forward)) == len(forward)  # zones of one type differ
    assert forward != [model(seed=4).monthly_share(t, z) for t in TYPES for z in ZONES]


def test_a_type_the_advisor_does_not_list_is_the_middle_bucket_not_the_calmest():
    pools = model(bucket_of=lambda name: None)
    shares = [pools.monthly_share(t, z) for t in TYPES for z in ZONES]
    assert all(0.10 <= s < 0.15 for s in shares)
    calm = model(bucket_of=lambda name: BUCKETS[0])
    assert min(pools.depth(t, "a") for t in TYPES) < min(calm.depth(t, "a") for t in TYPES)


def test_deep_pools_are_interrupted_less():
    pools = model()
    keys = [(t, z) for t in TYPES for z in ZONES]
    for a, b in itertools.combinations(keys, 2):
        if pools.depth(*a) > pools.depth(*b):
            assert pools.hazard_per_second(*a, 0, 1.0) < pools.hazard_per_second(*b, 0, 1.0)
    depths = sorted(pools.depth(*k) for k in keys)
    assert depths[0] * 5 < depths[-1]  # a real spread, from ~25 to ~1,000 instances


def test_the_hazard_reaches_the_pools_monthly_share_and_rises_with_the_share_held():
    pools = model()
    share = pools.monthly_share("t3.large", "a")
    alone = pools.hazard_per_second("t3.large", "a", 0, 1.0)
    assert 1 - math.exp(-alone * MONTH_SECONDS) == pytest.approx(share)
    assert pools.hazard_per_second("t3.large", "a", 0, 10.0) == pytest.approx(10 * alone)
    depth = pools.depth("t3.large", "a")
    # A buyer holding the whole pool is reclaimed twice as often as a small one.
    assert pools.hazard_per_second("t3.large", "a", depth, 1.0) == pytest.approx(2 * alone)


def test_the_cloud_gives_each_spot_pool_the_models_depth():
    cloud = sim_cloud(seed=9)
    for t in ("m5.large", "c6g.xlarge", "r7i.2xlarge"):
        for z in ZONES:
            assert cloud.spare(t, z, SPOT) == cloud.spot_pools.depth(t, z)


def test_capacity_optimized_lands_in_the_calmest_pool_of_the_request():
    cloud = sim_cloud(seed=9)
    types = ["m5.large", "m6i.large", "m7i.large", "c6i.xlarge", "r6i.large"]
    result = cloud.launch(request(types, spot=SpotAllocationStrategy.CAPACITY_OPTIMIZED))
    assert result.instance is not None
    calmest = min(
        ((t, z) for t in types for z in ZONES), key=lambda k: cloud.spot_pools.monthly_share(*k)
    )
    assert (result.instance.instance_type, result.instance.zone) == calmest
