"""Existing nodes from a nodes file, with the pods bound to them."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotwise.errors import UserError
from spotwise.kubernetes.manifests import load_workload
from spotwise.model.instance_type import CapacityType
from spotwise.model.node import Node
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import Taint, TaintEffect

MANIFESTS = Path(__file__).parent / "manifests"
NODES = MANIFESTS / "cluster" / "nodes.yaml"
KI = 2**10
GI = 2**30


def nodes() -> dict[str, Node]:
    return {n.name: n for n in load_workload([], NODES).nodes}


def test_node_labels_taints_allocatable_and_capacity_type() -> None:
    node = nodes()["ip-10-0-1-10.ec2.internal"]
    assert node.zone == "us-east-1a"
    assert node.instance_type == "m7g.xlarge"
    assert node.hostname == "ip-10-0-1-10"
    assert node.taints == (Taint("spotInstance", "true", TaintEffect.PREFER_NO_SCHEDULE),)
    assert node.allocatable == Resources(3920, 15094448 * KI, 58, ephemeral_bytes=95551679124)
    assert node.capacity_type is CapacityType.SPOT
    assert node.price is None
    assert not node.unschedulable
    assert node.provider_id == "aws:///us-east-1a/i-0123456789abcdef0"


def test_capacity_fallback_cordon_and_other_capacity_type_conventions() -> None:
    found = nodes()
    cordoned = found["ip-10-0-2-20.ec2.internal"]
    assert cordoned.unschedulable
    assert cordoned.allocatable == Resources(8000, 32 * GI, 110)
    assert cordoned.capacity_type is CapacityType.ON_DEMAND
    assert found["ip-10-0-3-30.ec2.internal"].capacity_type is CapacityType.SPOT


def test_bound_pods_count_on_their_node_and_are_not_pending() -> None:
    workload = load_workload([], NODES)
    node = next(n for n in workload.nodes if n.name == "ip-10-0-1-10.ec2.internal")
    assert [(p.key, p.owner) for p in node.pods] == [
        ("monitoring/node-exporter-x7k2p", "DaemonSet/node-exporter"),
        ("shop/web-5d8f7c9b6-abcde", "Deployment/web"),
    ]
    assert node.requested == Resources(350, 436 * 2**20, 2)
    # The Succeeded job pod holds nothing; the Pending billing pod is pending.
    other = next(n for n in workload.nodes if n.name == "ip-10-0-2-20.ec2.internal")
    assert other.pods == ()
    assert [p.key for p in workload.pods] == ["finance/billing-6f9d8b7c5-q2w3e"]


def test_pods_in_the_inputs_bind_to_nodes_of_the_nodes_file(tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(
        """apiVersion: v1
kind: Pod
metadata: {name: pinned, namespace: ops}
spec:
  nodeName: ip-10-0-3-30.ec2.internal
  containers: [{name: c, image: x, resources: {requests: {cpu: 1}}}]
"""
    )
    workload = load_workload([path], NODES)
    node = next(n for n in workload.nodes if n.name == "ip-10-0-3-30.ec2.internal")
    assert [p.key for p in node.pods] == ["ops/pinned"]
    assert "ops/pinned" not in [p.key for p in workload.pods]


def test_pod_bound_to_an_unknown_node_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: lost}\n"
        "spec: {nodeName: gone, containers: [{name: c, image: x}]}\n"
    )
    with pytest.raises(UserError) as caught:
        load_workload([path], NODES)
    assert str(caught.value).startswith(
        f"{path}, document 1: spec.nodeName: pod default/lost is bound to node 'gone'"
    )


def test_node_without_status_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "nodes.yaml"
    path.write_text("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n")
    with pytest.raises(UserError, match=r"document 1: status\.allocatable: is missing"):
        load_workload([], path)


def test_malformed_allocatable_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "nodes.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
        "status: {allocatable: {cpu: 4, memory: lots}}\n"
    )
    with pytest.raises(UserError, match=r"status\.allocatable\.memory: 'lots' is not a Kub"):
        load_workload([], path)
