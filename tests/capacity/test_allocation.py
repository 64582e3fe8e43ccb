from spotwise.decisions.capacity.allocation import Candidate, on_demand_order, spot_order
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.ports.cloud import Override


def candidates(*pools, priorities=None):
    """pools: (name, price, spare) triples, in request order."""
    return [
        Candidate(
            Override(name, "us-east-1a", priority=None if priorities is None else priorities[i]),
            price,
            spare,
            i,
        )
        for i, (name, price, spare) in enumerate(pools)
    ]


def names(ordered):
    return [c.override.instance_type for c in ordered]


POOLS = candidates(
    ("cheap-dry", 0.01, 0),
    ("cheap-thin", 0.02, 3),
    ("mid-deep", 0.05, 90),
    ("dear-deepest", 0.09, 100),
    ("mid-shallow", 0.04, 10),
    ("dear-shallow", 0.08, 5),
    ("cheap-mid", 0.03, 40),
    ("dear-mid", 0.07, 50),
)


def test_lowest_price_tries_cheapest_first_even_without_capacity():
    ordered = spot_order(SpotAllocationStrategy.LOWEST_PRICE, POOLS)
    assert names(ordered)[:3] == ["cheap-dry", "cheap-thin", "cheap-mid"]


def test_capacity_optimized_tries_deepest_first_and_dry_pools_last():
    ordered = spot_order(SpotAllocationStrategy.CAPACITY_OPTIMIZED, POOLS)
    assert names(ordered)[:3] == ["dear-deepest", "mid-deep", "dear-mid"]
    assert names(ordered)[-1] == "cheap-dry"


def test_price_capacity_optimized_takes_cheapest_of_the_deep_pools():
    ordered = spot_order(SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED, POOLS)
    # Deep: at least half the deepest pool's 100 spare (100, 90, 50); cheapest of them first.
    assert names(ordered)[:3] == ["mid-deep", "dear-mid", "dear-deepest"]
    # Then the deep ones of what is left (40 of 40, 10, 5, 3).
    assert names(ordered)[3] == "cheap-mid"
    # Neither the cheapest pool overall nor the deepest one comes first.
    assert names(ordered)[0] not in ("cheap-dry", "cheap-thin", "dear-deepest")
    assert names(ordered)[-1] == "cheap-dry"
    assert sorted(names(ordered)) == sorted(names(POOLS))


def test_price_capacity_optimized_counts_ties_at_the_threshold_in():
    pools = candidates(("a", 0.09, 50), ("b", 0.01, 50), ("c", 0.001, 10), ("d", 0.05, 50))
    ordered = spot_order(SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED, pools)
    assert names(ordered) == ["b", "d", "a", "c"]


def test_capacity_optimized_prioritized_follows_priorities_among_pools_with_capacity():
    pools = candidates(
        ("first", 0.09, 0), ("second", 0.05, 1), ("third", 0.01, 99), priorities=[0, 1, 2]
    )
    ordered = spot_order(SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED, pools)
    assert names(ordered) == ["second", "third", "first"]


def test_on_demand_lowest_price_and_prioritized():
    pools = candidates(("a", 0.3, 5), ("b", 0.1, 5), ("c", 0.2, 5), priorities=[1, 2, 0])
    assert names(on_demand_order(OnDemandAllocationStrategy.LOWEST_PRICE, pools)) == ["b", "c", "a"]
    assert names(on_demand_order(OnDemandAllocationStrategy.PRIORITIZED, pools)) == ["c", "a", "b"]


def test_unprioritized_overrides_come_after_prioritized_ones():
    pools = candidates(("a", 0.1, 5), ("b", 0.2, 5), priorities=[None, 3])
    assert names(on_demand_order(OnDemandAllocationStrategy.PRIORITIZED, pools)) == ["b", "a"]
