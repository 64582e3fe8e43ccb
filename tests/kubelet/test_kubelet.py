"""TestKubelets against moto and the API test server: nodes launched by spotwise register."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from aws.conftest import CLUSTER, Network
from kubeapi.helpers import kubectl, pod
from spotwise.aws.user_data import node_user_data
from spotwise.catalog.catalog import Catalog
from spotwise.decisions.scheduling.overhead import allocatable
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import capacity_type_labels
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import Taint, TaintEffect
from spotwise.testing.kubelet import TestKubelets, registration_from_user_data

from .launch import JOIN, Nodes, nodepool

SPOT_TAINT = Taint("spotInstance", "true", TaintEffect.PREFER_NO_SCHEDULE)

TAINTS = [
    {"key": "spotInstance", "value": "true", "effect": "PreferNoSchedule"},
    {"key": "example.com/dedicated", "effect": "NoExecute"},
]


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def bind(core: client.CoreV1Api, pod_name: str, node_name: str) -> None:
    body = client.V1Binding(
        metadata=client.V1ObjectMeta(name=pod_name),
        target=client.V1ObjectReference(kind="Node", name=node_name),
    )
    core.create_namespaced_binding("default", body, _preload_content=False)


def ready(node: client.V1Node) -> str:
    (condition,) = [c for c in node.status.conditions if c.type == "Ready"]
    return str(condition.status)


def test_sync_registers_the_launched_instance_with_its_user_datas_labels_and_taints(
    nodes: Nodes,
    kubelets: TestKubelets,
    core: client.CoreV1Api,
    ec2: Any,
    image_id: str,
    catalog: Catalog,
    kubeconfig: Path,
) -> None:
    pool = nodepool(image_id, labels={"team": "web"}, taints=TAINTS)
    instance = nodes.launch(pool, ("m6i.large",))
    (reservation,) = ec2.describe_instances(InstanceIds=[instance.instance_id])["Reservations"]
    dns_name = reservation["Instances"][0]["PrivateDnsName"]
    assert dns_name

    synced = kubelets.sync()

    assert synced.registered == (dns_name,)
    (node,) = core.list_node().items
    assert node.metadata.name == dns_name
    assert node.spec.provider_id == f"aws:///us-east-1a/{instance.instance_id}"
    labels = node.metadata.labels
    assert {k: labels[k] for k in (*capacity_type_labels(CapacityType.SPOT), "team")} == {
        **capacity_type_labels(CapacityType.SPOT),
        "team": "web",
    }
    assert labels["spotwise.io/node-pool"] == "general"
    assert labels["kubernetes.io/hostname"] == dns_name
    assert labels["kubernetes.io/arch"] == "amd64"
    assert labels["kubernetes.io/os"] == "linux"
    assert labels["node.kubernetes.io/instance-type"] == "m6i.large"
    assert labels["topology.kubernetes.io/zone"] == "us-east-1a"
    assert labels["topology.kubernetes.io/region"] == "us-east-1"
    assert [(t.key, t.value, t.effect) for t in node.spec.taints] == [
        ("spotInstance", "true", "PreferNoSchedule"),
        ("example.com/dedicated", None, "NoExecute"),
    ]
    # Allocatable as EKS computes it (kube-reserved, eviction threshold), in whole KiB.
    expected = allocatable(catalog.instance_type("m6i.large"))
    assert node.status.allocatable["cpu"] == "1930m"
    assert Resources.parse(node.status.allocatable) == Resources(
        expected.cpu_milli,
        expected.memory_bytes // 1024 * 1024,
        expected.pods,
        ephemeral_bytes=expected.ephemeral_bytes // 1024 * 1024,
    )
    assert node.status.capacity["cpu"] == "2" and node.status.capacity["pods"] == "29"
    assert ready(node) == "True"
    assert node.status.node_info.architecture == "amd64"
    assert node.status.node_info.kubelet_version.startswith("v1.32")
    lease = client.CoordinationV1Api(core.api_client).read_namespaced_lease(
        dns_name, "kube-node-lease"
    )
    assert lease.spec.holder_identity == dns_name

    again = kubelets.sync()
    assert again.registered == ()
    assert again.heartbeats == (dns_name,)
    assert [n.metadata.name for n in core.list_node().items] == [dns_name]

    listed = json.loads(kubectl(kubeconfig, "get", "nodes", "-o", "json").stdout)
    (seen,) = listed["items"]
    assert seen["spec"]["providerID"] == f"aws:///us-east-1a/{instance.instance_id}"
    assert seen["metadata"]["labels"]["team"] == "web"
    # This server has no Table output: plain `get` lists names (and ages) only.
    assert dns_name in kubectl(kubeconfig, "get", "nodes").stdout.split()


def test_only_the_clusters_running_instances_register_each_with_its_own_pool(
    nodes: Nodes,
    kubelets: TestKubelets,
    core: client.CoreV1Api,
    ec2: Any,
    network: Network,
    image_id: str,
) -> None:
    spot = nodes.launch(nodepool(image_id, "batch", taints=TAINTS[:1]), ("m7g.large",))
    on_demand = nodes.launch(
        nodepool(image_id, "steady", labels={"tier": "db"}), ("c6i.xlarge",), CapacityType.ON_DEMAND
    )
    gone = nodes.launch(nodepool(image_id, "batch", taints=TAINTS[:1]), ("m6i.large",))
    ec2.terminate_instances(InstanceIds=[gone.instance_id])
    ec2.run_instances(
        ImageId=image_id,
        MinCount=1,
        MaxCount=1,
        InstanceType="m6i.large",
        SubnetId=network.subnets["us-east-1a"],
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "spotwise.io/cluster", "Value": "other"}]}
        ],
    )

    assert len(kubelets.sync().registered) == 2

    by_instance = {n.spec.provider_id.rsplit("/", 1)[1]: n for n in core.list_node().items}
    assert set(by_instance) == {spot.instance_id, on_demand.instance_id}
    arm = by_instance[spot.instance_id]
    assert arm.metadata.labels["spotwise.io/node-pool"] == "batch"
    assert arm.metadata.labels["kubernetes.io/arch"] == "arm64"
    assert arm.metadata.labels["karpenter.sh/capacity-type"] == "spot"
    assert [t.key for t in arm.spec.taints] == ["spotInstance"]
    steady = by_instance[on_demand.instance_id]
    assert steady.metadata.labels["spotwise.io/node-pool"] == "steady"
    assert steady.metadata.labels["karpenter.sh/capacity-type"] == "on-demand"
    assert steady.metadata.labels["tier"] == "db"
    assert steady.spec.taints is None
    assert steady.status.capacity["cpu"] == "4"


def test_a_new_node_is_not_ready_for_a_while_and_then_starts_its_pods(
    nodes: Nodes,
    ec2: Any,
    core: client.CoreV1Api,
    catalog: Catalog,
    image_id: str,
    kubeconfig: Path,
) -> None:
    clock = Clock()
    kubelets = TestKubelets(ec2, core, CLUSTER, catalog, ready_after_seconds=30, clock=clock)
    nodes.launch(nodepool(image_id), ("m6i.large",))
    (name,) = kubelets.sync().registered
    assert ready(core.read_node(name)) == "False"
    core.create_namespaced_pod("default", pod("web"))
    bind(core, "web", name)

    clock.now += 29
    early = kubelets.sync()
    assert early.ready == () and early.started == ()
    assert core.read_namespaced_pod("web", "default").status.phase == "Pending"

    clock.now += 1
    synced = kubelets.sync()
    assert synced.ready == (name,)
    assert synced.started == ("default/web",)
    node = core.read_node(name)
    assert ready(node) == "True"
    (condition,) = [c for c in node.status.conditions if c.type == "Ready"]
    assert condition.reason == "KubeletReady"
    running = core.read_namespaced_pod("web", "default")
    assert running.status.phase == "Running"
    conditions = {c.type: c.status for c in running.status.conditions}
    assert conditions["Ready"] == "True" and conditions["PodScheduled"] == "True"
    assert running.status.host_ip == node.status.addresses[0].address
    assert running.status.container_statuses[0].state.running is not None

    assert kubelets.sync().started == ()  # already running
    assert "web" in kubectl(kubeconfig, "get", "pods").stdout.split()
    phase = kubectl(kubeconfig, "get", "pod", "web", "-o", "jsonpath={.status.phase}").stdout
    assert phase == "Running"


def test_a_node_whose_instance_is_gone_gets_no_heartbeat_and_stays(
    nodes: Nodes, kubelets: TestKubelets, core: client.CoreV1Api, ec2: Any, image_id: str
) -> None:
    first = nodes.launch(nodepool(image_id), ("m6i.large",))
    nodes.launch(nodepool(image_id), ("m6i.large",))
    assert len(kubelets.sync().registered) == 2
    ec2.terminate_instances(InstanceIds=[first.instance_id])
    synced = kubelets.sync()
    assert synced.registered == ()
    names = {n.metadata.name: n.spec.provider_id for n in core.list_node().items}
    assert len(names) == 2  # the controller deletes nodes, not the kubelet
    (beating,) = synced.heartbeats
    assert not names[beating].endswith(first.instance_id)


def test_user_data_without_node_config_registers_nothing_special() -> None:
    assert registration_from_user_data("#!/bin/bash\necho hi\n").labels == {}
    assert registration_from_user_data("").taints == ()


def test_node_configs_merge_in_order_and_bad_flags_are_refused() -> None:
    pool_own = (
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="B"\n\n'
        "--B\nContent-Type: application/node.eks.aws\n\n"
        "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n"
        "    flags:\n    - --node-labels=team=db,extra=1\n"
        "    - --register-with-taints=gpu=yes:NoSchedule\n"
        "--B\nContent-Type: text/x-shellscript\n\n#!/bin/bash\necho hi\n--B--\n"
    )
    text = node_user_data(JOIN, {"team": "web", "a": "b"}, [SPOT_TAINT], pool_own)
    found = registration_from_user_data(text)
    assert found.labels == {"a": "b", "team": "db", "extra": "1"}
    assert [str(t) for t in found.taints] == [
        "spotInstance=true:PreferNoSchedule",
        "gpu=yes:NoSchedule",
    ]
    with pytest.raises(ValueError, match="malformed taint"):
        registration_from_user_data(
            node_user_data(JOIN, {}, [], pool_own.replace(":NoSchedule", ""))
        )


def test_kubelets_started_again_keep_a_ready_node_ready(
    nodes: Nodes, ec2: Any, core: client.CoreV1Api, catalog: Catalog, image_id: str
) -> None:
    nodes.launch(nodepool(image_id), ("m6i.large",))
    (name,) = TestKubelets(ec2, core, CLUSTER, catalog).sync().registered
    assert ready(core.read_node(name)) == "True"
    # A restarted loop, whose clock is well past the node's creation.
    later = Clock(core.read_node(name).metadata.creation_timestamp.timestamp() + 60)
    again = TestKubelets(ec2, core, CLUSTER, catalog, ready_after_seconds=30, clock=later)
    assert again.sync().heartbeats == (name,)
    assert ready(core.read_node(name)) == "True"
