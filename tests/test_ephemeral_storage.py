"""Ephemeral-storage requests count against the node's root filesystem, as kube-scheduler's.

A node offers pods its root filesystem (99.5% of the volume) less the eviction threshold
(10%) and kube-reserved (1 GiB); the volume is the pool's `/dev/xvda` (or the one marked
`rootVolume`), 20 GiB when the pool does not size it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from spotwise.catalog.bundled import load_bundled
from spotwise.cli.app import main
from spotwise.config.nodepool import load_nodepools, parse_nodepool
from spotwise.decisions.scheduling.overhead import allocatable, ephemeral_allocatable
from spotwise.errors import UserError
from spotwise.kubernetes.manifests import load_workload
from spotwise.model.resources import Resources
from spotwise.provisioning.pools import build_pool

GI = 2**30


def deployment(replicas: int, storage: str, init: str | None = None) -> str:
    init_containers = (
        f"      initContainers:\n      - name: fetch\n        image: busybox\n"
        f"        resources: {{requests: {{ephemeral-storage: {init}}}}}\n"
        if init
        else ""
    )
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: scratch}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: scratch}}}}
  template:
    metadata: {{labels: {{app: scratch}}}}
    spec:
{init_containers}      containers:
      - name: c
        image: busybox
        resources:
          requests: {{cpu: 250m, memory: 512Mi}}
          limits: {{ephemeral-storage: {storage}}}
"""


def pool(volumes: str = "") -> str:
    launch = (
        "  launch:\n    ami: {id: ami-0123456789abcdef0}\n    instanceProfile: nodes\n"
        f"    blockDeviceMappings:\n{volumes}"
        if volumes
        else ""
    )
    return (
        "apiVersion: spotwise.io/v1alpha1\nkind: NodePool\nmetadata: {name: disk}\n"
        "spec:\n  instanceTypes: [m7g.xlarge]\n  capacityTypes: [on-demand]\n" + launch
    )


def plan(capsys, tmp_path: Path, manifest: str, pool_text: str | None = None) -> dict:
    (tmp_path / "app.yaml").write_text(manifest)
    args = ["plan", "-f", str(tmp_path / "app.yaml"), "-o", "json"]
    if pool_text is not None:
        (tmp_path / "pool.yaml").write_text(pool_text)
        args += ["--pool", str(tmp_path / "pool.yaml")]
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def pods_per_node(doc: dict) -> list[int]:
    return sorted((len(n["pods"]) for n in doc["nodes"]), reverse=True)


def offered(volume_gib: float) -> int:
    return int(volume_gib * GI * 0.995 * 0.9) - GI


def test_a_node_offers_its_root_volume_less_reserve_and_eviction_threshold():
    assert ephemeral_allocatable() == offered(20)  # 16.91 GiB
    assert ephemeral_allocatable(100 * GI) == offered(100)  # 88.55 GiB
    m7g = load_bundled().instance_type("m7g.xlarge")
    assert allocatable(m7g).ephemeral_bytes == offered(20)
    assert allocatable(m7g, 50 * GI).ephemeral_bytes == offered(50)


def test_a_limit_alone_is_the_request_and_an_init_container_can_set_the_peak(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text(deployment(1, "2Gi", init="12Gi"))
    (found,) = load_workload([path]).pods
    assert found.spec.requests.ephemeral_bytes == 12 * GI
    path.write_text(deployment(1, "2Gi"))
    (found,) = load_workload([path]).pods
    assert found.spec.requests.ephemeral_bytes == 2 * GI


def test_storage_limits_how_many_pods_a_default_node_takes(capsys, tmp_path):
    # CPU and memory would put all six on one m7g.xlarge; 16.9 GiB of disk takes two of 8.
    doc = plan(capsys, tmp_path, deployment(6, "8Gi"), pool())
    assert pods_per_node(doc) == [2, 2, 2]
    doc = plan(capsys, tmp_path, deployment(6, "1Gi"), pool())
    assert pods_per_node(doc) == [6]


def test_a_pod_asking_more_than_the_root_volume_offers_is_unschedulable_with_the_fix(
    capsys, tmp_path
):
    doc = plan(capsys, tmp_path, deployment(1, "30Gi"), pool())
    assert not doc["nodes"]
    (reason,) = {u["reason"] for u in doc["unschedulable"]}
    assert "needs 30 GiB of ephemeral storage" in reason
    assert "offer 16.9 GiB" in reason and "blockDeviceMappings" in reason


def test_a_larger_root_volume_takes_larger_requests(capsys, tmp_path):
    xvda = "      - deviceName: /dev/xvda\n        ebs: {volumeSize: 100Gi}\n"
    doc = plan(capsys, tmp_path, deployment(3, "30Gi"), pool(xvda))
    assert pods_per_node(doc) == [2, 1]  # 88.5 GiB: two of 30 GiB each


def test_the_volume_marked_root_is_the_one_counted(capsys, tmp_path):
    # Bottlerocket keeps the OS on /dev/xvda and the kubelet's data on /dev/xvdb.
    bottlerocket = (
        "      - deviceName: /dev/xvda\n        ebs: {volumeSize: 4Gi}\n"
        "      - deviceName: /dev/xvdb\n        ebs: {volumeSize: 50Gi}\n        rootVolume: true\n"
    )
    doc = plan(capsys, tmp_path, deployment(2, "40Gi"), pool(bottlerocket))
    assert pods_per_node(doc) == [1, 1]  # 43.8 GiB each


def test_two_root_volumes_are_refused(tmp_path):
    two = (
        "      - deviceName: /dev/xvda\n        ebs: {volumeSize: 4Gi}\n        rootVolume: true\n"
        "      - deviceName: /dev/xvdb\n        ebs: {volumeSize: 50Gi}\n        rootVolume: true\n"
    )
    path = tmp_path / "pool.yaml"
    path.write_text(pool(two))
    with pytest.raises(UserError, match="more than one volume rootVolume"):
        load_nodepools(path)


def test_the_pool_built_for_planning_carries_the_root_volume():
    text = pool("      - deviceName: /dev/xvda\n        ebs: {volumeSize: 60Gi}\n")
    built = build_pool(parse_nodepool(yaml.safe_load(text)), load_bundled())
    assert {s.allocatable.ephemeral_bytes for s in built.shapes} == {offered(60)}


def test_an_existing_node_offers_what_its_allocatable_says_less_its_pods(capsys, tmp_path):
    nodes = tmp_path / "nodes.yaml"
    nodes.write_text(
        """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata:
    name: ip-10-0-1-10
    labels:
      kubernetes.io/hostname: ip-10-0-1-10
      kubernetes.io/arch: arm64
      kubernetes.io/os: linux
      node.kubernetes.io/instance-type: m7g.xlarge
      topology.kubernetes.io/zone: us-east-1a
      karpenter.sh/capacity-type: on-demand
  status:
    allocatable: {cpu: 3920m, memory: 15094448Ki, pods: "58", ephemeral-storage: 18Gi}
- apiVersion: v1
  kind: Pod
  metadata: {name: cache, namespace: default}
  spec:
    nodeName: ip-10-0-1-10
    containers:
    - {name: c, image: x, resources: {requests: {ephemeral-storage: 10Gi}}}
  status: {phase: Running}
"""
    )
    (tmp_path / "app.yaml").write_text(deployment(2, "6Gi"))
    (tmp_path / "pool.yaml").write_text(pool())
    files = ["-f", str(tmp_path / "app.yaml"), "--nodes", str(nodes)]
    assert main(["plan", *files, "--pool", str(tmp_path / "pool.yaml"), "-o", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # 8 GiB left on the node: one pod of 6 GiB there, the other on a new node.
    assert [e["node"] for e in doc["existing"]] == ["ip-10-0-1-10"]
    assert pods_per_node(doc) == [1]


def test_a_resource_a_pod_does_not_ask_for_is_never_compared():
    # A hand-written node without allocatable storage, holding a pod that asks for some,
    # has negative storage free: a pod asking none still fits, as kube-scheduler sees it.
    overcommitted = Resources(4000, 8 * GI, 10, ephemeral_bytes=-GI)
    assert Resources(500, GI, 1).fits_in(overcommitted)
    assert not Resources(500, GI, 1, ephemeral_bytes=1).fits_in(overcommitted)
