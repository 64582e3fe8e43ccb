"""The simulator launches spot nodes for pods that select nodes by any label.

Pods commonly pin an architecture or a zone with a nodeSelector. Whether they accept spot
is a question about the node they would run on, all of its labels: judged on the
capacity-type labels alone, such pods seemed to refuse spot and to accept nothing at all,
and every node planned for them failed to launch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spotwise.catalog.bundled import load_catalog
from spotwise.catalog.catalog import Catalog
from spotwise.simulator.engine import Simulation
from spotwise.simulator.scenario import load_scenario
from spotwise.simulator.strategies import spotwise

SCENARIO = """\
apiVersion: spotwise.io/v1alpha1
kind: Scenario
metadata: {name: pinned}
spec:
  hours: 0.25
  manifests: [pinned.yaml]
  market: {interruptionScale: 0, shortagesPerPoolPerDay: 0}
"""

PINNED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: pinned, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: pinned}}
  template:
    metadata: {labels: {app: pinned}}
    spec:
      nodeSelector: {%s}
      containers:
        - name: app
          image: app
          resources: {requests: {cpu: 500m, memory: 1Gi}}
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog("us-east-1", None)


@pytest.mark.parametrize(
    "selector",
    ["kubernetes.io/arch: amd64", "topology.kubernetes.io/zone: us-east-1b"],
)
def test_pods_with_a_node_selector_run_on_spot(
    selector: str, catalog: Catalog, tmp_path: Path
) -> None:
    (tmp_path / "pinned.yaml").write_text(PINNED % selector)
    (tmp_path / "scenario.yaml").write_text(SCENARIO)
    scenario = load_scenario(tmp_path / "scenario.yaml")
    summary = Simulation(scenario, spotwise(scenario.nodepools), catalog).run().summary()
    assert summary["launch_failures"] == 0
    assert summary["end_states"] == {"running": 3}
    assert summary["node_hours_spot"] > 0 and summary["node_hours_on_demand"] == 0
