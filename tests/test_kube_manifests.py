"""Reading inputs: folders, multi-document YAML, JSON, Lists, kinds, duplicates, PDBs."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotwise.errors import UserError
from spotwise.kubernetes.manifests import PodDisruptionBudget, load_workload
from spotwise.kubernetes.manifests.selectors import MATCH_NOTHING
from spotwise.model.scheduling_terms import LabelSelector, Operator, Requirement

MANIFESTS = Path(__file__).parent / "manifests"


def test_folder_is_read_recursively_in_path_order() -> None:
    # shop/backend/api.yml, shop/backend/worker.json, shop/web.yaml; README.md is skipped.
    owners = [p.owner for p in load_workload([MANIFESTS / "shop"]).pods]
    assert owners == ["Deployment/api"] + ["ReplicaSet/worker"] * 2 + ["Deployment/web"] * 3


def test_whole_fixture_tree_loads() -> None:
    workload = load_workload([MANIFESTS], MANIFESTS / "cluster" / "nodes.yaml")
    assert len(workload.nodes) == 3
    assert len(workload.daemonsets) == 2
    assert len(workload.pdbs) == 4
    assert all(p.spec.requests.pods == 1 for p in workload.pods)


def test_a_file_given_twice_is_read_once() -> None:
    web = MANIFESTS / "shop" / "web.yaml"
    assert len(load_workload([web, MANIFESTS / "shop", web]).pods) == 6


def test_list_items_are_expanded_and_foreign_kinds_ignored() -> None:
    # The List holds a Service and an argoproj Rollout besides the Deployment.
    workload = load_workload([MANIFESTS / "list.yaml"])
    assert [p.key for p in workload.pods] == ["platform/cache-0", "platform/cache-1"]


def test_kind_of_another_api_group_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "volcano.yaml"
    path.write_text(
        "apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nmetadata: {name: vj}\n"
        "spec: {tasks: [{replicas: 3}]}\n"
    )
    assert load_workload([path]).pods == ()


def test_typed_list_and_empty_documents(tmp_path: Path) -> None:
    path = tmp_path / "pods.yaml"
    path.write_text(
        """---
---
apiVersion: v1
kind: PodList
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: a}
    spec: {containers: [{name: c, image: x}]}
---
"""
    )
    assert [p.name for p in load_workload([path]).pods] == ["a"]


def test_unquoted_dates_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {released: 2024-05-01}}\n"
        "spec: {containers: [{name: c, image: x}]}\n"
    )
    (pod,) = load_workload([path]).pods
    assert pod.spec.labels["released"] == "2024-05-01"


def test_inputs_override_the_same_object_in_the_nodes_file(tmp_path: Path) -> None:
    dump = tmp_path / "dump.yaml"
    desired = tmp_path / "desired.yaml"
    deployment = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: api}}
spec:
  replicas: {n}
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec: {{containers: [{{name: c, image: x}}]}}
"""
    node = (
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
        "status: {allocatable: {cpu: '2', memory: 8Gi, pods: '29'}}\n---\n"
    )
    dump.write_text(node + deployment.format(n=1))
    desired.write_text(deployment.format(n=4))
    assert len(load_workload([desired], dump).pods) == 4


def test_the_same_object_twice_in_the_inputs_is_an_error(tmp_path: Path) -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c}]}\n"
    (tmp_path / "one.yaml").write_text(pod)
    (tmp_path / "two.yaml").write_text(pod)
    with pytest.raises(UserError) as caught:
        load_workload([tmp_path])
    assert str(caught.value) == (
        f"{tmp_path / 'two.yaml'}, document 1: Pod default/a is defined again"
        f" (first in {tmp_path / 'one.yaml'}, document 1); keep one definition of each object"
    )


def test_pdbs() -> None:
    pdbs = load_workload([MANIFESTS / "pdbs.yaml"]).pdbs
    assert pdbs == (
        PodDisruptionBudget(
            "shop", "web", LabelSelector((("app.kubernetes.io/name", "web"),)), min_available=2
        ),
        PodDisruptionBudget(
            "shop",
            "api",
            LabelSelector(requirements=(Requirement("app", Operator.IN, ("api", "worker")),)),
            max_unavailable="25%",
        ),
        PodDisruptionBudget("default", "everything", LabelSelector(), max_unavailable=1),
        PodDisruptionBudget("default", "nothing", MATCH_NOTHING, min_available="50%"),
    )
    assert pdbs[2].selector.matches({"any": "pod"})
    assert not pdbs[3].selector.matches({})
    assert pdbs[0].key == "shop/web"


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ("minAvailable: 1\n  maxUnavailable: 1", "spec: minAvailable and maxUnavailable cannot"),
        ("minAvailable: '5'", "spec.minAvailable: '5' is not a count or a percentage"),
        ("maxUnavailable: 150%", "spec.maxUnavailable: '150%' is more than 100%"),
        ("maxUnavailable: -1", "spec.maxUnavailable: -1 is less than 0"),
    ],
)
def test_invalid_pdb_bounds(tmp_path: Path, bounds: str, message: str) -> None:
    path = tmp_path / "pdb.yaml"
    path.write_text(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: b}\n"
        f"spec:\n  {bounds}\n  selector: {{}}\n"
    )
    with pytest.raises(UserError, match=f"document 1: {message}"):
        load_workload([path])
