"""What the simulator counts: time pending, time below a budget, pods lost with their node.

The figures are checked where they are known exactly whatever the provisioner and the
market do: pods no instance type can hold are pending, and their Deployment below its
budget, for every second of the run; a node deleted under pods in known phases loses
exactly the ones that had started.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spotwise.catalog.bundled import load_catalog
from spotwise.catalog.catalog import Catalog
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.resources import Resources
from spotwise.simulated.cluster import Phase, SimNode, SimPod
from spotwise.simulator.engine import Simulation
from spotwise.simulator.results import RunResult
from spotwise.simulator.scenario import Scenario, load_scenario
from spotwise.simulator.strategies import spotwise

HOURS = 0.25
STUCK = 2  # replicas of the Deployment no type can hold

# 2,000 vCPUs a pod: no instance type holds one, so the pods stay pending all run long,
# and a budget that wants one of them available is never met.
SCENARIO = f"""\
apiVersion: spotwise.io/v1alpha1
kind: Scenario
metadata: {{name: stuck}}
spec:
  hours: {HOURS}
  deployments:
    - name: giant
      requests: {{cpu: "2000", memory: 1Gi}}
      replicas: {STUCK}
      pdb: {{minAvailable: 1}}
"""


def scenario(folder: Path, text: str) -> Scenario:
    """The scenario written in ``text``, read from a file in ``folder``."""
    path = folder / "scenario.yaml"
    path.write_text(text)
    return load_scenario(path)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog("us-east-1", None)


@pytest.fixture(scope="module")
def stuck(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    s = scenario(tmp_path_factory.mktemp("stuck"), SCENARIO)
    return Simulation(s, spotwise(s.nodepools), catalog).run()


def test_pods_no_type_holds_are_pending_for_every_second_of_the_run(stuck: RunResult) -> None:
    (state,) = stuck.end_states
    assert state.startswith("pending: ") and "needs 2000 CPU" in state
    assert stuck.end_states[state] == STUCK
    assert stuck.totals.pending_pod_seconds == STUCK * HOURS * 3600


def test_a_budget_never_met_is_below_for_the_whole_run(stuck: RunResult) -> None:
    assert stuck.totals.below_pdb_seconds == {"giant": HOURS * 3600}
    assert stuck.summary()["longest_below_pdb_seconds"] == HOURS * 3600


def test_a_node_deleted_under_its_pods_loses_those_that_had_started(
    catalog: Catalog, tmp_path: Path
) -> None:
    empty = "apiVersion: spotwise.io/v1alpha1\nkind: Scenario\nmetadata: {name: empty}\n"
    s = scenario(tmp_path, empty)
    sim = Simulation(s, spotwise(s.nodepools), catalog)
    sim.cluster.add_node(node("n1"))
    starting, running, stopping = (bound_pod(sim, name, "n1") for name in ("a", "b", "c"))
    for key in (running, stopping):
        sim.cluster.set_running(key)
    sim.port.delete_pod(stopping)  # in its grace period when the node goes
    assert [sim.cluster.pods[k].phase for k in (starting, running, stopping)] == [
        Phase.STARTING,
        Phase.RUNNING,
        Phase.TERMINATING,
    ]
    sim.port.delete_node("n1")
    # All three are force-deleted; the one whose containers never started loses nothing.
    assert (sim.totals.pods_force_deleted, sim.totals.pods_lost) == (3, 2)
    assert {sim.cluster.pods[k].phase for k in (starting, running, stopping)} == {Phase.GONE}


def node(name: str) -> SimNode:
    """A ready on-demand m5.large named ``name``, with nothing on it."""
    return SimNode(
        name=name,
        instance_id=f"i-{name}",
        instance_type="m5.large",
        zone="us-east-1a",
        capacity_type=CapacityType.ON_DEMAND,
        pool="default",
        labels=LabelSet({HOSTNAME: name}),
        allocatable=Resources.parse({"cpu": "1930m", "memory": "6Gi"}),
        price=0.096,
        on_demand_price=0.096,
        launched_at=0.0,
        registered_at=0.0,
        ready_at=0.0,
    )


def bound_pod(sim: Simulation, name: str, node_name: str) -> str:
    """Create a web pod and bind it to ``node_name``, its containers starting; its key.

    Args:
        sim: The simulation whose cluster gets the pod.
        name: The pod's name.
        node_name: The node it is bound to.
    """
    pod = Pod(name, PodSpec("shop", LabelSet({"app": "web"}), Resources(100, 2**27, 1)))
    sim.cluster.add_pod(SimPod(pod, 0.0, "Deployment/web"))
    sim.cluster.bind(pod.key, node_name, ready_at=60.0)
    return pod.key
