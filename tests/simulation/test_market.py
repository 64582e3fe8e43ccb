"""The simulated spot market: notices in order, rates from the pool model, shortages."""

from __future__ import annotations

import pytest

from spotwise.model.offering import BUCKETS
from spotwise.simulated.market import (
    WARNING_SECONDS,
    MarketParameters,
    NoticeKind,
    SpotMarket,
)
from spotwise.simulated.spot_pools import SpotPools

CALM, STORMY = ("c.large", "a"), ("s.large", "a")
BUCKET_OF = {"c.large": BUCKETS[0], "s.large": BUCKETS[4]}.get


def market(**parameters: object) -> SpotMarket:
    return SpotMarket(MarketParameters(**parameters), 7, SpotPools(7, BUCKET_OF))  # type: ignore[arg-type]


def test_every_reclaim_is_warned_two_minutes_ahead_and_rebalanced_within_the_lead() -> None:
    m = market(
        interruption_scale=1e9, rebalance_share=1.0, rebalance_lead=(120, 600), correlation=1
    )
    ids = [f"i-{n}" for n in range(20)]
    notices = m.reclaims(STORMY, ids, 0.0, 15.0)
    assert {n.instance_id for n in notices} == set(ids)
    for instance_id in ids:
        mine = {n.kind: n.at for n in notices if n.instance_id == instance_id}
        lead = mine[NoticeKind.WARNING] - mine[NoticeKind.REBALANCE]
        assert 120 <= lead <= 600
        assert mine[NoticeKind.TERMINATION] - mine[NoticeKind.WARNING] == pytest.approx(
            WARNING_SECONDS
        )
    # The leads are drawn, not one constant.
    assert len({n.at for n in notices if n.kind is NoticeKind.WARNING}) > 1


def test_without_rebalance_share_the_warning_is_the_first_notice() -> None:
    m = market(interruption_scale=1e9, rebalance_share=0.0, correlation=1)
    notices = m.reclaims(STORMY, ["i-1"], 0.0, 15.0)
    assert [n.kind for n in notices] == [NoticeKind.WARNING, NoticeKind.TERMINATION]


def test_stormy_pools_are_reclaimed_far_more_often_than_calm_ones() -> None:
    m = market(interruption_scale=2000, correlation=1)
    hits = {CALM: 0, STORMY: 0}
    for step in range(4000):
        for pool in hits:
            hits[pool] += bool(m.reclaims(pool, ["i-1"], step * 15.0, 15.0))
    # The calm pool loses 1-5% a month, the stormy one 20-40%: several times the rate.
    assert hits[STORMY] > 3 * hits[CALM] > 0


def test_holding_more_of_a_pool_brings_more_reclaim_events() -> None:
    m = market(interruption_scale=2000, correlation=1)
    depth = m.pools.depth(*STORMY)
    events = {1: 0, depth: 0}
    for step in range(4000):
        for held in events:
            ids = [f"i-{n}" for n in range(held)]
            events[held] += bool(m.reclaims(STORMY, ids, step * 15.0, 15.0))
    assert events[depth] > 1.4 * events[1]


def test_stormy_pools_run_dry_more_often() -> None:
    m = market(shortages_per_pool_per_day=5.0)
    calm = len(m.shortages(CALM, 24 * 30))
    stormy = len(m.shortages(STORMY, 24 * 30))
    assert stormy > 3 * calm > 0
