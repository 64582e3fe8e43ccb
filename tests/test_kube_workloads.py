"""Expanding workloads into pods: names, owners, counts, DaemonSets, existing replicas."""

from __future__ import annotations

from pathlib import Path

from spotwise.kubernetes.manifests import load_workload
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import TaintEffect, Toleration, TolerationOperator

MANIFESTS = Path(__file__).parent / "manifests"
MI = 2**20


def names(paths: list[Path], nodes: Path | None = None) -> list[str]:
    return [p.key for p in load_workload(paths, nodes).pods]


def write(tmp_path: Path, text: str, name: str = "in.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: c, image: x}}]
"""


def test_deployment_names_owner_and_default_replicas(tmp_path: Path) -> None:
    pods = load_workload([write(tmp_path, DEPLOYMENT.format(replicas=""))]).pods
    assert [(p.key, p.owner) for p in pods] == [("default/web-0", "Deployment/web")]


def test_zero_replicas_make_no_pod(tmp_path: Path) -> None:
    assert load_workload([write(tmp_path, DEPLOYMENT.format(replicas="replicas: 0"))]).pods == ()


def test_replicasets_deployments_and_lists() -> None:
    assert names([MANIFESTS / "shop"]) == [
        "shop/api-0",
        "shop/worker-0",
        "shop/worker-1",
        "shop/web-0",
        "shop/web-1",
        "shop/web-2",
    ]
    assert names([MANIFESTS / "list.yaml"]) == ["platform/cache-0", "platform/cache-1"]


def test_jobs_parallelism_completions_and_cronjobs() -> None:
    pods = load_workload([MANIFESTS / "jobs.yaml"]).pods
    counts: dict[str, int] = {}
    for pod in pods:
        counts[pod.owner] = counts.get(pod.owner, 0) + 1
    # render: completions 3 < parallelism 5; index: parallelism 4, completions unset;
    # once: both default to 1; nightly-report: one run of its job template; paused: suspended.
    assert counts == {"Job/render": 3, "Job/index": 4, "Job/once": 1, "CronJob/nightly-report": 2}
    report = next(p for p in pods if p.owner == "CronJob/nightly-report")
    assert report.name == "nightly-report-0"
    assert report.spec.requests == Resources(300, 300 * MI, 1)
    assert report.spec.labels["app"] == "report"
    assert report.spec.labels["batch.kubernetes.io/job-name"] == "nightly-report"
    render = next(p for p in pods if p.owner == "Job/render")
    assert render.spec.labels["job-name"] == "render"


def test_job_status_reduces_remaining_completions(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  parallelism: 4
  completions: 10
  template: {spec: {restartPolicy: Never, containers: [{name: c, image: x}]}}
status: {succeeded: 8}
---
apiVersion: batch/v1
kind: Job
metadata: {name: done}
spec:
  template: {spec: {restartPolicy: Never, containers: [{name: c, image: x}]}}
status:
  conditions: [{type: Complete, status: "True"}]
""",
    )
    assert names([path]) == ["default/j-0", "default/j-1"]


def test_statefulset_ordinals_labels_and_claims() -> None:
    pods = load_workload([MANIFESTS / "storage.yaml"]).pods
    db = [p for p in pods if p.owner == "StatefulSet/db"]
    assert [p.name for p in db] == ["db-0", "db-1", "db-2"]
    assert [p.volumes for p in db] == [("data-db-0",), ("data-db-1",), ("data-db-2",)]
    assert db[1].spec.labels["statefulset.kubernetes.io/pod-name"] == "db-1"
    assert db[1].spec.labels["apps.kubernetes.io/pod-index"] == "1"
    assert db[1].spec.labels["app"] == "db"


def test_statefulset_ordinals_start(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kafka, namespace: streams}
spec:
  replicas: 2
  ordinals: {start: 5}
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka}}
    spec: {containers: [{name: c, image: x}]}
""",
    )
    assert names([path]) == ["streams/kafka-5", "streams/kafka-6"]


def test_daemonsets_are_specs_with_the_controllers_tolerations() -> None:
    workload = load_workload([MANIFESTS / "daemonsets.yaml"])
    assert workload.pods == ()
    assert workload.daemonset_owners == ("DaemonSet/node-exporter", "DaemonSet/gpu-plugin")
    exporter, gpu = workload.daemonsets
    assert exporter.namespace == "monitoring"
    assert exporter.requests == Resources(100, 180 * MI, 1)
    # hostNetwork: container ports are host ports, and network-unavailable is tolerated.
    assert [p.port for p in exporter.host_ports] == [9100]
    network = Toleration(
        "node.kubernetes.io/network-unavailable",
        TolerationOperator.EXISTS,
        "",
        TaintEffect.NO_SCHEDULE,
    )
    assert network in exporter.tolerations
    assert network not in gpu.tolerations
    unschedulable = Toleration(
        "node.kubernetes.io/unschedulable", TolerationOperator.EXISTS, "", TaintEffect.NO_SCHEDULE
    )
    assert unschedulable in gpu.tolerations
    assert gpu.requests == Resources(50, 64 * MI, 1)
    assert dict(gpu.node_selector) == {"nvidia.com/gpu.present": "true"}


def test_pods_in_a_cluster_dump_count_toward_their_deployment() -> None:
    workload = load_workload([MANIFESTS / "shop"], MANIFESTS / "cluster" / "nodes.yaml")
    web = [p.key for p in workload.pods if p.owner == "Deployment/web"]
    # web wants 3; web-5d8f7c9b6-abcde already runs on a node (ReplicaSet web-5d8f7c9b6).
    assert web == ["shop/web-0", "shop/web-1"]
    pending_from_dump = next(p for p in workload.pods if p.namespace == "finance")
    assert pending_from_dump.owner == "Deployment/billing"


def test_replicaset_owned_by_a_deployment_in_the_inputs_is_not_expanded(tmp_path: Path) -> None:
    write(tmp_path, DEPLOYMENT.format(replicas="replicas: 2"), "deploy.yaml")
    write(
        tmp_path,
        """apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-7c9f
  labels: {pod-template-hash: 7c9f}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}]
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, pod-template-hash: 7c9f}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7c9f-k2j4d
  labels: {app: web, pod-template-hash: 7c9f}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7c9f, controller: true}]
spec: {containers: [{name: c, image: x}]}
status: {phase: Pending}
""",
        "dump.yaml",
    )
    pods = load_workload([tmp_path]).pods
    assert [(p.name, p.owner) for p in pods] == [
        ("web-7c9f-k2j4d", "Deployment/web"),
        ("web-0", "Deployment/web"),
    ]


def test_terminated_pods_are_ignored(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """apiVersion: v1
kind: Pod
metadata: {name: finished}
spec: {containers: [{name: c, image: x}]}
status: {phase: Succeeded}
---
apiVersion: v1
kind: Pod
metadata: {generateName: runner-}
spec: {containers: [{name: c, image: x}]}
""",
    )
    assert names([path]) == ["default/runner-0"]


def test_ownership_chain_through_a_replicaset_in_the_inputs(tmp_path: Path) -> None:
    write(tmp_path, DEPLOYMENT.format(replicas="replicas: 2"), "deploy.yaml")
    write(
        tmp_path,
        """apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-abc
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}]
spec:
  template: {spec: {containers: [{name: c, image: x}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-abc-1
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, controller: true}]
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-abc-2
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, controller: true}]
spec: {containers: [{name: c, image: x}]}
""",
        "dump.yaml",
    )
    pods = load_workload([tmp_path]).pods
    assert [(p.name, p.owner) for p in pods] == [
        ("web-abc-1", "Deployment/web"),
        ("web-abc-2", "Deployment/web"),
    ]


def test_cronjob_job_in_a_dump_is_not_run_twice(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """apiVersion: batch/v1
kind: CronJob
metadata: {name: sweep}
spec:
  schedule: "@hourly"
  jobTemplate:
    spec:
      parallelism: 2
      template: {spec: {restartPolicy: Never, containers: [{name: c, image: x}]}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: sweep-28391022
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: sweep, controller: true}]
spec:
  parallelism: 2
  template: {spec: {restartPolicy: Never, containers: [{name: c, image: x}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: sweep-28391022-x1
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: sweep-28391022, controller: true}]
spec: {containers: [{name: c, image: x}]}
status: {phase: Running}
""",
    )
    assert [(p.name, p.owner) for p in load_workload([path]).pods] == [
        ("sweep-28391022-x1", "CronJob/sweep"),
        ("sweep-0", "CronJob/sweep"),
    ]
