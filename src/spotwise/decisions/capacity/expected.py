"""What a spot launch is expected to pay, and what its interruptions are expected to cost.

A node's launch list names many pools (type x zone); EC2's allocation strategy picks one.
The planner cannot know which, but it knows how the strategy chooses and how deep each
pool is expected to be (`spotwise.decisions.capacity.spot_model`, from the advisor's bucket), so it
asks the same ordering the simulated cloud launches by (`spotwise.decisions.capacity.allocation`)
which pool comes first. For price-capacity-optimized that is the cheapest of the deep
pools, usually not the cheapest pool of the list: pricing a node at its list's cheapest
type would undercount what it costs.

An interruption's cost is counted in hours of the node's price: the replacement overlap
(a new node runs while the old one drains, `OVERLAP_HOURS`) and the work its pods start
again (`RESTARTED_WORK_HOURS`). Times the pool's expected reclaim rate, that is a cost per
node-hour. At the advisor's rates it is small (under 0.1% of the price for the stormiest
bucket): in dollars, diversity buys little; it buys availability.

A pool the cluster saw interrupted lately is expected to be stormier and shallower than
its bucket says (`spotwise.decisions.capacity.observed`): a quote carries the pool's
decayed count of interruptions, and both its cost and the depth the pick assumes follow
from the rate that count implies. A quote with none is priced exactly by its bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spotwise.decisions.capacity import observed, spot_model
from spotwise.decisions.capacity.allocation import Candidate, spot_order
from spotwise.model.allocation import SpotAllocationStrategy
from spotwise.model.offering import InterruptionBucket
from spotwise.ports.cloud import Override

# A replacement-first drain runs both nodes from the replacement's launch to the end of
# the drain: a launch and a join (about 2 minutes), then the drain (up to 3).
OVERLAP_HOURS = 5 / 60
# The work an interrupted node's pods do again, in hours of the node: a service's warm-up
# is minutes, a batch pod without checkpoints loses what it has done; one hour is a middle.
RESTARTED_WORK_HOURS = 1.0


@dataclass(frozen=True, slots=True)
class PoolQuote:
    """One spot pool a launch list names, as the planner knows it.

    Attributes:
        instance_type: The pool's type.
        zone: The pool's zone.
        price: Its spot price, USD per hour.
        bucket: The advisor's interruption bucket (None when not listed).
        observed: The pool's interruptions seen lately, decayed to now (``K`` of
            `spotwise.decisions.capacity.observed`); 0 when none.
    """

    instance_type: str
    zone: str
    price: float
    bucket: InterruptionBucket | None
    observed: float = 0.0


def expected_pick(strategy: SpotAllocationStrategy, quotes: Sequence[PoolQuote]) -> PoolQuote:
    """The pool ``strategy`` is expected to launch from, every pool at its expected depth.

    A pool's expected depth is its bucket's, made shallower by the interruptions seen in
    it lately (`spotwise.decisions.capacity.observed.expected_share`).

    Args:
        strategy: The spot allocation strategy of the launch.
        quotes: The pools of the launch list, in the list's order (the last tie-break,
            and the priority order of capacity-optimized-prioritized).

    Raises:
        ValueError: When ``quotes`` is empty.
    """
    if not quotes:
        raise ValueError("a launch list needs at least one pool")
    candidates = [
        Candidate(
            Override(q.instance_type, q.zone, priority=float(i)),
            q.price,
            spot_model.depth(observed.expected_share(q.bucket, q.observed)),
            i,
        )
        for i, q in enumerate(quotes)
    ]
    return quotes[spot_order(strategy, candidates)[0].index]


def interruption_cost_per_hour(quote: PoolQuote) -> float:
    """The expected cost of the pool's interruptions per node-hour, USD.

    Args:
        quote: The pool, with its price, advisor bucket and interruptions seen; its
            reclaim rate is the advisor's raised by what was seen
            (`spotwise.decisions.capacity.observed.rate_per_hour`; the buyer's own
            holdings in the pool are not counted).
    """
    rate = observed.rate_per_hour(quote.bucket, quote.observed)
    return rate * quote.price * (OVERLAP_HOURS + RESTARTED_WORK_HOURS)
