"""The simulation engine end to end on small scenarios: reproducible, nothing lost, honest money.

The runs are short (two simulated hours at most) on tests/simulation/small.yaml, whose
market interrupts 10,000 times as often as the Spot Advisor says, so that pods are killed
and replaced within them. An observer hooked to the run's progress callback looks at the
cluster after every tick, so invariants are checked all along, not only at the end.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from spotwise.catalog.bundled import load_catalog
from spotwise.catalog.catalog import Catalog
from spotwise.model.instance_type import CapacityType
from spotwise.simulated.cluster import Phase
from spotwise.simulator.engine import TICK_SECONDS, Simulation
from spotwise.simulator.results import RunResult
from spotwise.simulator.scenario import Scenario, default_scenario, load_scenario
from spotwise.simulator.strategies import (
    Strategy,
    node_groups,
    on_demand,
    spotwise,
    without_handler,
)

HERE = Path(__file__).parent
SMALL = HERE / "small.yaml"
SCENARIOS = HERE / "scenarios"
HOURS = 2.0
ON_DEMAND_SERVICE = "Deployment/payments"
LOSS_EVENTS = ("node-lost", "node-removed-empty", "node-drained")
REPLACEMENT = re.compile(r"-r\d+$")  # a pod recreated after its node was lost


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog("us-east-1", None)


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load_scenario(SMALL).with_hours(HOURS)


@dataclass
class Observed:
    """One run, its trace, and what the observer saw after every tick."""

    sim: Simulation
    result: RunResult
    trace: list[dict[str, Any]]
    # owner -> capacity types of the nodes its pods were ever seen bound to
    ran_on: dict[str, set[CapacityType]] = field(default_factory=lambda: defaultdict(set))
    # node -> the pods bound to it when last seen
    last_pods: dict[str, set[str]] = field(default_factory=dict)
    # (seconds, owner, active pods, replicas wanted) where the two differ
    replica_gaps: list[tuple[float, str, int, int]] = field(default_factory=list)
    # (seconds, job, pods not gone, parallelism) where the two differ
    job_gaps: list[tuple[float, str, int, int]] = field(default_factory=list)
    ticks_with_losses: int = 0
    ticks: int = 0
    lost_in_last_tick: bool = False

    @property
    def summary(self) -> dict[str, Any]:
        return self.result.summary()

    def events(self, *kinds: str) -> list[dict[str, Any]]:
        return [e for e in self.trace if e["event"] in kinds]


def observe(scenario: Scenario, strategy: Strategy, catalog: Catalog) -> Observed:
    """Run ``strategy`` on ``scenario``, checking the cluster after every tick."""
    trace: list[dict[str, Any]] = []
    sim = Simulation(scenario, strategy, catalog, trace.append)
    seen = Observed(sim, RunResult(strategy.name, sim.totals, [], [], {}, 0.0), trace)
    parallelism = {f"Job/{j.name}": j.parallelism for j in scenario.jobs}
    cursor = 0

    def after_tick(_hours: float) -> None:
        nonlocal cursor
        now = sim.clock.now()
        fresh = trace[cursor:]
        cursor = len(trace)
        # Pods killed with a node, or moved off one by the handler, after the controllers
        # ran in this tick: their owners replace them in the next.
        lost_now = any(e["event"] in ("node-lost", "pods-moved") for e in fresh)
        seen.ticks += 1
        seen.ticks_with_losses += lost_now
        seen.lost_in_last_tick = lost_now
        cluster = sim.cluster
        for name, node in cluster.nodes.items():
            seen.last_pods[name] = set(node.pods)
            for key in node.pods:
                seen.ran_on[cluster.pods[key].owner].add(node.capacity_type)
        # Deployments: the controller keeps the replicas the curve wants; pods killed in
        # this tick's market step (after the controllers ran) come back in the next tick.
        if not lost_now:
            for deployment in scenario.deployments:
                wanted = deployment.replicas.at(scenario.clock_hour(now))
                have = cluster.active_count(deployment.owner)
                if have != wanted:
                    seen.replica_gaps.append((now, deployment.owner, have, wanted))
        # Jobs: a killed pod is recreated at once, so each Job always has all its pods.
        alive: Counter[str] = Counter()
        for pod in cluster.pods.values():
            if pod.owner.startswith("Job/"):
                alive[pod.owner] += pod.phase is not Phase.GONE
        for owner, count in alive.items():
            want = parallelism[owner.rsplit("-", 1)[0]]  # Job/<stream>-<run>
            if count != want:
                seen.job_gaps.append((now, owner, count, want))

    seen.result = sim.run(after_tick)
    return seen


@pytest.fixture(scope="module")
def run(small: Scenario, catalog: Catalog) -> Observed:
    """The baseline without an interruption handler: interrupted instances just vanish."""
    return observe(small, without_handler(spotwise(small.nodepools)), catalog)


@pytest.fixture(scope="module")
def run_on_demand(small: Scenario, catalog: Catalog) -> Observed:
    return observe(small, on_demand(), catalog)


@pytest.fixture(scope="module")
def run_node_groups(small: Scenario, catalog: Catalog) -> Observed:
    return observe(small, node_groups(catalog), catalog)


# -- determinism -------------------------------------------------------------------------


def _plain(scenario: Scenario, catalog: Catalog) -> tuple[RunResult, list[dict[str, Any]]]:
    trace: list[dict[str, Any]] = []
    strategy = without_handler(spotwise(scenario.nodepools))
    result = Simulation(scenario, strategy, catalog, trace.append).run()
    return result, trace


def test_the_same_seed_gives_the_same_figures_and_trace(
    small: Scenario, catalog: Catalog, run: Observed
) -> None:
    again, trace = _plain(small, catalog)
    assert again.summary() == run.summary
    assert trace == run.trace
    assert again.samples == run.result.samples
    assert again.events == run.result.events


def test_another_seed_gives_other_figures(small: Scenario, catalog: Catalog, run: Observed) -> None:
    other, trace = _plain(small.with_seed(small.seed + 1), catalog)
    assert other.summary() != run.summary
    assert trace != run.trace


def test_the_same_seed_gives_the_same_run_in_another_process(tmp_path: Path) -> None:
    """Nothing may depend on Python's per-process string hashing (PYTHONHASHSEED).

    Ten pods start in one tick, one per node, and four are scaled away: which four (and so
    which nodes empty and go) must be the same in every process.
    """
    outputs = []
    for hash_seed in ("1", "2"):
        trace = tmp_path / f"trace-{hash_seed}.jsonl"
        done = subprocess.run(
            [sys.executable, "-m", "spotwise.cli.app", "simulate",
             str(SCENARIOS / "scale-down.yaml"), "--json", "--trace", str(trace)],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        outputs.append((done.stdout, trace.read_text()))
    assert outputs[0][0] == outputs[1][0]
    assert outputs[0][1].count("node-removed-empty") == 4
    assert outputs[0][1] == outputs[1][1]


# -- conservation --------------------------------------------------------------------------


def test_every_pod_created_ends_in_one_state(run: Observed) -> None:
    summary = run.summary
    assert sum(summary["end_states"].values()) == summary["pods_created"]
    assert summary["pods_created"] == len(run.sim.cluster.pods)
    assert summary["pods_force_deleted"] > 0  # pods were killed, and still all are counted


def test_pending_pods_at_the_end_say_why(catalog: Catalog) -> None:
    scenario = load_scenario(SCENARIOS / "stuck.yaml")
    seen = observe(scenario, spotwise(scenario.nodepools), catalog)
    ends = seen.summary["end_states"]
    assert sum(ends.values()) == seen.summary["pods_created"]
    stuck = {state: n for state, n in ends.items() if state.startswith("pending")}
    assert sum(stuck.values()) == 2
    assert all("needs 2000 CPU" in state for state in stuck)
    assert ends["running"] == 6
    nominated = seen.sim.provisioner.inflight.nominated()
    for pod in seen.sim.cluster.pending():
        assert pod.pending_reason or pod.pod.key in nominated


def test_pods_pending_at_the_end_carry_a_reason_or_a_booting_node(run: Observed) -> None:
    """A pod still pending has a reason, or capacity on its way: a node in flight (its
    pods nominated), or one registered but not Ready yet that the plan counts on."""
    cluster = run.sim.cluster
    now = run.sim.clock.now()
    nominated = run.sim.provisioner.inflight.nominated()
    joining = any(not n.is_ready(now) for n in cluster.nodes.values())
    pending = cluster.pending()
    for pod in pending:
        assert pod.pending_reason or pod.pod.key in nominated or joining, pod.pod.key


def test_deployments_keep_their_replicas_through_interruptions(
    small: Scenario, run: Observed
) -> None:
    assert run.summary["interruptions"]["termination"] > 0
    assert run.replica_gaps == []
    assert run.ticks == HOURS * 3600 / TICK_SECONDS
    assert run.ticks_with_losses < run.ticks / 10  # the check above ran on most ticks
    # And at the end: the curve's replicas, none lost (unless the very last tick took a
    # node, whose pods the controllers replace in a tick that never comes).
    cluster, now = run.sim.cluster, run.sim.clock.now() - TICK_SECONDS
    for deployment in small.deployments:
        wanted = deployment.replicas.at(small.clock_hour(now))
        have = cluster.active_count(deployment.owner)
        assert have <= wanted if run.lost_in_last_tick else have == wanted, deployment.name


def test_jobs_recreate_pods_killed_with_their_node(small: Scenario, catalog: Catalog) -> None:
    """A Job's pod whose node vanishes is recreated at once, and its work starts over.

    The node is taken away by hand, through the Cluster port, so that the test does not
    depend on which pools the market happens to reclaim.
    """
    sim = Simulation(small.with_hours(1.0), spotwise(small.nodepools), catalog)
    taken: list[str] = []

    def take_a_job_node(_hours: float) -> None:
        if taken:
            return
        for pod in sim.cluster.pods.values():
            if pod.owner.startswith("Job/") and pod.phase is Phase.RUNNING and pod.node:
                taken.append(pod.pod.key)
                sim.port.delete_node(pod.node)
                return

    sim.run(take_a_job_node)
    assert taken, "no Job pod ever ran"
    first = sim.cluster.pods[taken[0]]
    assert first.phase is Phase.GONE
    again = [
        p
        for p in sim.cluster.pods.values()
        if REPLACEMENT.search(p.pod.name) and REPLACEMENT.sub("", p.pod.name) == first.pod.name
    ]
    assert len(again) == 1 and again[0].owner == first.owner
    assert again[0].work_seconds == first.work_seconds  # the work starts over


def test_interrupted_nodes_take_their_pods_with_them(run: Observed) -> None:
    summary = run.summary
    lost = [e["node"] for e in run.events("node-lost")]
    assert len(lost) == summary["interruptions"]["termination"] > 0
    cluster = run.sim.cluster
    on_lost = set().union(*(run.last_pods.get(n, set()) for n in lost))
    assert not set(lost) & set(cluster.nodes)
    for key in on_lost:
        assert cluster.pods[key].node is None
        assert cluster.pods[key].phase in (Phase.GONE, Phase.SUCCEEDED)
    # Every pod still on the node when it vanished was force-deleted, none evicted:
    # no interruption handler runs yet.
    assert 0 < summary["pods_force_deleted"] <= len(on_lost)
    assert summary["pods_lost"] <= summary["pods_force_deleted"]
    assert summary["pods_evicted"] == 0
    assert summary["replacement_ready_percent"] is None  # no handler measures it yet


def test_notices_come_in_order_before_the_instance_goes(run: Observed) -> None:
    by_node: dict[str, dict[str, float]] = defaultdict(dict)
    for e in run.events("rebalance-recommendation", "interruption-warning", "termination"):
        by_node[e["node"]].setdefault(e["event"], e["t"])
    lost = {e["node"]: e["t"] for e in run.events("node-lost")}
    assert sum("rebalance-recommendation" in n for n in by_node.values()) > 0
    for node, notices in by_node.items():
        if "termination" not in notices:
            continue  # warned near the end of the run
        warning, end = notices["interruption-warning"], notices["termination"]
        # Two minutes, to the tick: notices are delivered at the first tick after them.
        assert 120 - TICK_SECONDS <= end - warning <= 120 + TICK_SECONDS, node
        assert notices.get("rebalance-recommendation", warning) <= warning
        assert lost[node] == end


# -- money -------------------------------------------------------------------------------


def _node_lives(run: Observed) -> list[tuple[str, str, CapacityType, float]]:
    """(type, zone, capacity type, measured seconds) of every node, from the trace.

    Launches of the warm-up come at negative times; only their life from 0 on counts.
    """
    ends = {e["node"]: e["t"] for e in run.events(*LOSS_EVENTS)}
    horizon = run.sim.scenario.hours * 3600
    return [
        (e["instance_type"], e["zone"], CapacityType(e["capacity_type"]),
         max(ends.get(e["node"], horizon), 0.0) - max(e["t"], 0.0))
        for e in run.events("launch")
    ]  # fmt: skip


def _price(catalog: Catalog, name: str, zone: str, capacity_type: CapacityType) -> float:
    (offering,) = catalog.offerings_of(name, capacity_type, (zone,))
    return offering.price


def test_savings_lie_within_what_the_prices_allow(run: Observed, catalog: Catalog) -> None:
    """Savings are a blend of the spot discounts of the offerings used, and 0 on-demand.

    Weighted by what each node would have cost on-demand, the blend lies between the
    smallest and largest discount of the spot offerings used, scaled by the spot share.
    """
    cost = on_demand_cost = spot_on_demand_cost = 0.0
    discounts = []
    for name, zone, capacity_type, seconds in _node_lives(run):
        full = catalog.economics[name].on_demand_price
        assert full is not None
        price = _price(catalog, name, zone, capacity_type)
        cost += price * seconds / 3600
        on_demand_cost += full * seconds / 3600
        if capacity_type is CapacityType.SPOT:
            spot_on_demand_cost += full * seconds / 3600
            discounts.append(1 - price / full)
        else:
            assert price == pytest.approx(full)
    summary = run.summary
    # The trace accounts for every node and every second of it.
    assert summary["cost"] == pytest.approx(cost, abs=1e-3)
    assert summary["on_demand_cost"] == pytest.approx(on_demand_cost, abs=1e-3)
    share = spot_on_demand_cost / on_demand_cost
    low, high = 100 * min(discounts) * share, 100 * max(discounts) * share
    assert 0 < share < 1  # spot nodes, and on-demand ones for the payments service
    assert low - 0.01 <= summary["savings_vs_own_on_demand_price_percent"] <= high + 0.01
    assert summary["node_hours_spot"] > 0 and summary["node_hours_on_demand"] > 0


def test_concentration_figures_match_the_nodes_lives(run: Observed) -> None:
    by_pool: Counter[tuple[str, str]] = Counter()
    for name, zone, capacity_type, seconds in _node_lives(run):
        if capacity_type is CapacityType.SPOT and seconds > 0:
            by_pool[(name, zone)] += seconds
    by_type: Counter[str] = Counter()
    for (name, _), seconds in by_pool.items():
        by_type[name] += seconds
    total = sum(by_pool.values())
    summary = run.summary
    assert summary["spot_pools_used"] == len(by_pool) > 1
    assert summary["largest_pool_share"] == pytest.approx(
        100 * max(by_pool.values()) / total, abs=0.05
    )
    assert summary["largest_type_share"] == pytest.approx(
        100 * max(by_type.values()) / total, abs=0.05
    )


def test_on_demand_strategy_saves_nothing(run_on_demand: Observed) -> None:
    summary = run_on_demand.summary
    assert summary["node_hours_spot"] == 0
    assert summary["node_hours_on_demand"] > 0
    assert summary["savings_vs_own_on_demand_price_percent"] == pytest.approx(0, abs=0.01)
    assert summary["interruptions"]["termination"] == 0
    assert summary["pods_force_deleted"] == 0
    assert summary["replacement_ready_percent"] is None  # nothing disrupted: n/a
    assert summary["spot_pools_used"] == 0 and summary["largest_type_share"] is None
    assert {e["capacity_type"] for e in run_on_demand.events("launch")} == {"on-demand"}


def test_on_demand_strategy_buys_the_scenarios_own_pools_on_demand() -> None:
    scenario = default_scenario()
    split = scenario.nodepools[0].model_copy(
        update={
            "spec": scenario.nodepools[0].spec.model_copy(
                update={"on_demand_base": 2, "on_demand_percentage_above_base": 20}
            )
        }
    )
    pools = (split, *scenario.nodepools[1:])
    reference = on_demand(pools).nodepools
    assert [p.name for p in reference] == ["general", "gpu"]
    for mine, theirs in zip(reference, pools, strict=True):
        assert mine.spec.capacity_types == (CapacityType.ON_DEMAND,)
        assert mine.spec.on_demand_above_base == 100 and mine.spec.on_demand_base == 0
        assert (mine.spec.requirements, mine.spec.taints) == (
            theirs.spec.requirements,
            theirs.spec.taints,
        )


# -- warm start ----------------------------------------------------------------------------


def test_the_measured_run_starts_from_a_cluster_provisioned_for_its_load(
    small: Scenario, run: Observed
) -> None:
    first = run.result.samples[0]
    assert first.hours == 0
    assert first.pending_pods == 0
    assert first.running_pods == small.replicas_at(0.0)  # every replica, nothing else yet
    assert first.spot_nodes + first.on_demand_nodes > 0
    assert any(e["t"] < 0 for e in run.events("launch"))


def test_without_a_warm_up_the_run_starts_cold(small: Scenario, catalog: Catalog) -> None:
    cold = dataclasses.replace(small.with_hours(0.25), warm_up_seconds=0.0)
    result, trace = _plain(cold, catalog)
    first = result.samples[0]
    assert first.pending_pods >= cold.replicas_at(0.0) and first.running_pods == 0
    assert all(e["t"] >= 0 for e in trace)
    warm, _ = _plain(small.with_hours(0.25), catalog)
    assert warm.totals.pending_pod_seconds < result.totals.pending_pod_seconds


def test_spotwise_costs_less_than_on_demand(run: Observed, run_on_demand: Observed) -> None:
    assert run.summary["cost"] < run_on_demand.summary["cost"]


def test_node_groups_launch_only_their_groups_types(run_node_groups: Observed) -> None:
    allowed = {
        t for pool in run_node_groups.sim.strategy.nodepools for t in pool.spec.instance_types
    }
    launched = {e["instance_type"] for e in run_node_groups.events("launch")}
    assert launched and launched <= allowed


@pytest.mark.parametrize("strategy", ["spotwise", "node-groups"])
def test_the_on_demand_service_runs_only_on_on_demand_nodes(
    strategy: str, run: Observed, run_node_groups: Observed
) -> None:
    seen = run if strategy == "spotwise" else run_node_groups
    assert seen.ran_on[ON_DEMAND_SERVICE] == {CapacityType.ON_DEMAND}
    assert CapacityType.SPOT in seen.ran_on["Deployment/web"]


def test_a_pod_only_on_demand_types_hold_gets_an_on_demand_node(
    catalog: Catalog, tmp_path: Path
) -> None:
    """The default pool allows on-demand, and u7i types (on-demand only) have 896 vCPUs.

    The all-on-demand strategy places a 500-CPU pod; spotwise, whose pool allows both
    capacity types, must too, rather than leave it pending for ever.
    """
    text = (SCENARIOS / "stuck.yaml").read_text().replace('cpu: "2000"', 'cpu: "500"')
    scenario = load_scenario(_write(tmp_path, text))
    for strategy in (on_demand(), spotwise(scenario.nodepools)):
        seen = observe(scenario, strategy, catalog)
        assert seen.summary["end_states"] == {"running": 8}, strategy.name
        assert seen.ran_on["Deployment/giant"] == {CapacityType.ON_DEMAND}


def _write(folder: Path, text: str) -> Path:
    path = folder / "scenario.yaml"
    path.write_text(text)
    return path


# -- the interruption handler, in the simulator --------------------------------------------


@pytest.fixture(scope="module")
def run_handled(small: Scenario, catalog: Catalog) -> Observed:
    return observe(small, spotwise(small.nodepools), catalog)


def test_the_handler_drains_interrupted_nodes_before_they_go(
    run_handled: Observed, run: Observed
) -> None:
    """The market's warnings reach the controller's handler as queue messages."""
    summary = run_handled.summary
    handled = run_handled.events("interruption-handled")
    drained = {e["node"] for e in run_handled.events("node-drained")}
    assert handled and drained
    assert summary["pods_evicted"] > 0
    # Fewer pods die with their instance than without a handler.
    assert summary["pods_lost"] < run.summary["pods_lost"]
    assert summary["replacement_ready_percent"] is not None
    assert run_handled.replica_gaps == []
    # A drained node's pods were evicted, not killed with it.
    lost = {e["node"] for e in run_handled.events("node-lost")}
    assert not drained & lost


def test_breaches_of_a_budget_after_an_interruption_are_told_apart(
    tmp_path: Path, catalog: Catalog, run: Observed, run_on_demand: Observed
) -> None:
    """Time below a PDB counts scale-ups too; the stretches an interruption was in apart."""
    key = "longest_below_pdb_after_interruption_seconds"
    # The small scenario's budgets leave room for a lost node: no breach.
    assert run.summary["pods_lost"] > 0 and run.summary[key] == 0
    assert run_on_demand.summary[key] == 0  # no interruption at all
    # A budget that allows no disruption is breached by any pod killed with its node.
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        SMALL.read_text().replace("pdb: {maxUnavailable: 25%}", "pdb: {minAvailable: 100%}")
    )
    scenario = load_scenario(strict).with_hours(HOURS)
    killed = observe(scenario, without_handler(spotwise(scenario.nodepools)), catalog).summary
    assert killed["pods_lost"] > 0
    assert 0 < killed[key] <= killed["longest_below_pdb_seconds"]
