"""Expiry in the simulator: old nodes replaced, replacement first, within the budgets.

A Deployment of six pods with a PodDisruptionBudget (minAvailable 5) runs on an on-demand
pool (no interruption takes a node first) whose nodes expire after half an hour. The
consolidation loop marks each node as it expires; the drain moves its pods one at a time
as the budget allows, onto replacements launched first. With a one-second
``terminationGracePeriod`` the drain may not wait: the pods are deleted at once, budgets
aside, and the Deployment drops below its budget; the figure says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spotwise.catalog.bundled import load_catalog
from spotwise.simulator.engine import Simulation
from spotwise.simulator.scenario import load_scenario
from spotwise.simulator.strategies import spotwise

SCENARIO = """\
apiVersion: spotwise.io/v1alpha1
kind: Scenario
metadata: {{name: expiry}}
spec:
  hours: 2
  deployments:
    - name: web
      requests: {{cpu: 500m, memory: 1Gi}}
      replicas: 6
      pdb: {{minAvailable: 5}}
      startupSeconds: 20
  pools:
    - apiVersion: spotwise.io/v1alpha1
      kind: NodePool
      metadata: {{name: fixed}}
      spec:
        capacityTypes: [on-demand]
        instanceTypes: [m5.large, m5.xlarge]
        disruption: {{consolidateAfter: Never, expireAfter: 30m{extra}}}
"""


def simulate(tmp_path: Path, extra: str = "") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    (tmp_path / "scenario.yaml").write_text(SCENARIO.format(extra=extra))
    scenario = load_scenario(tmp_path / "scenario.yaml")
    trace: list[dict[str, Any]] = []
    sim = Simulation(
        scenario, spotwise(scenario.nodepools), load_catalog("us-east-1", None), trace.append
    )
    return sim.run().summary(), trace


@pytest.fixture(scope="module")
def expiring(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[dict]]:
    return simulate(tmp_path_factory.mktemp("expiry"))


def test_nodes_are_replaced_as_they_expire_and_nothing_is_lost(expiring) -> None:
    summary, trace = expiring
    moves = [e for e in trace if e["event"] == "consolidation"]
    assert moves and {e["kind"] for e in moves} == {"expired"}
    assert all("expireAfter of 0.5 h" in e["reason"] for e in moves)
    # Two hours of half-hour lives: each node line is replaced about three times.
    assert summary["nodes_disrupted"] >= 3
    assert summary["pods_lost"] == 0
    assert summary["pods_moved_by_consolidation"] >= 6
    assert summary["pods_deleted_at_deadline"] == 0  # no terminationGracePeriod: no deadline


def test_the_budget_holds_while_expired_nodes_are_drained(expiring) -> None:
    summary, _ = expiring
    assert summary["longest_below_pdb_after_consolidation_seconds"] == 0.0


def test_a_termination_grace_period_too_short_for_the_budget_breaks_it(tmp_path) -> None:
    summary, _ = simulate(tmp_path, ", terminationGracePeriod: 1s")
    # Deleted at the drain's deadline, budgets aside: consolidation's, not an interruption's.
    assert summary["pods_deleted_at_deadline"] == 0
    assert summary["pods_moved_by_consolidation"] > 0
    assert summary["longest_below_pdb_after_consolidation_seconds"] > 0
