"""A scenario in one paragraph, for the report's header: the load, the pools, the market."""

from __future__ import annotations

from spotwise.decisions.scheduling.plan_output import counted
from spotwise.simulator.scenario import Scenario


def scenario_words(scenario: Scenario) -> str:
    """What the scenario runs, on which pools, in which market, from its own settings."""
    _, peak = scenario.peak_replicas()
    base = len(scenario.base.pods) if scenario.base else 0
    load = (
        f"{counted(len(scenario.deployments), 'Deployment')} (at most {peak:,} replicas "
        f"together), {counted(len(scenario.jobs), 'Job stream')} and "
        f"{counted(base, 'pod')} from manifests"
    )
    pools = ", ".join(p.name for p in scenario.nodepools) or "one default pool of every type"
    m = scenario.market
    low, high = m.rebalance_lead_minutes
    market = (
        f"interruption hazard {m.interruption_scale:g}x the Spot Advisor's rates, "
        f"{100 * m.rebalance_share:.0f}% of reclaims announced by a rebalance recommendation "
        f"{low:g}-{high:g} minutes before the warning, a reclaim taking "
        f"{100 * m.correlation:.0f}% of its pool's nodes, {m.shortages_per_pool_per_day:g} "
        f"capacity shortages per pool per day, nodes Ready "
        f"{m.boot_seconds + m.join_seconds:g} s after launch"
    )
    return (
        f"Load: {load}. Pools: {pools}, in {scenario.region} from hour "
        f"{scenario.start_hour:g} of the day. Market: {market}."
    )
