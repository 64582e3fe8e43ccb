"""TestBinder: pending pods bound to Ready nodes they fit, by the packer's rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubernetes import client

from kubeapi.helpers import kubectl, node
from spotwise.testing.binder import TestBinder
from spotwise.testing.kubelet import TestKubelets

from .launch import Nodes, nodepool


def pod(
    name: str,
    cpu: str = "100m",
    selector: dict[str, str] | None = None,
    tolerations: list[dict[str, str]] | None = None,
    node_name: str = "",
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "main",
                "image": "registry.k8s.io/pause",
                "resources": {"requests": {"cpu": cpu}},
            }
        ]
    }
    if selector:
        spec["nodeSelector"] = selector
    if tolerations:
        spec["tolerations"] = tolerations
    if node_name:
        spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def scheduled(core: client.CoreV1Api, name: str) -> client.V1PodCondition | None:
    found = core.read_namespaced_pod(name, "default").status.conditions or []
    return next((c for c in found if c.type == "PodScheduled"), None)


def test_launched_node_registers_then_takes_the_pod_that_fits_and_runs_it(
    nodes: Nodes,
    kubelets: TestKubelets,
    core: client.CoreV1Api,
    image_id: str,
    kubeconfig: Path,
) -> None:
    nodes.launch(nodepool(image_id, labels={"team": "web"}), ("m6i.large",))
    (name,) = kubelets.sync().registered
    core.create_namespaced_pod("default", pod("web", "500m", {"team": "web"}))
    core.create_namespaced_pod("default", pod("big", "4"))  # m6i.large has 1930m
    binder = TestBinder(core)

    result = binder.bind_pending()

    assert result.bound == (("default/web", name),)
    message = "0/1 nodes are available: 1 Insufficient cpu."
    assert result.unschedulable == (("default/big", message),)
    assert core.read_namespaced_pod("web", "default").spec.node_name == name
    big = core.read_namespaced_pod("big", "default")
    assert not big.spec.node_name and big.status.phase == "Pending"
    condition = scheduled(core, "big")
    assert condition is not None
    assert (condition.status, condition.reason) == ("False", "Unschedulable")
    assert condition.message == message

    assert kubelets.sync().started == ("default/web",)
    listed = json.loads(kubectl(kubeconfig, "get", "pods", "-o", "json").stdout)
    phases = {
        p["metadata"]["name"]: (p["status"]["phase"], p["spec"].get("nodeName"))
        for p in listed["items"]
    }
    assert phases == {"web": ("Running", name), "big": ("Pending", None)}

    # Nothing new to bind; the same condition is not written again.
    version = big.metadata.resource_version
    again = binder.bind_pending()
    assert again.bound == ()
    assert [k for k, _ in again.unschedulable] == ["default/big"]
    assert core.read_namespaced_pod("big", "default").metadata.resource_version == version


def test_only_ready_nodes_whose_labels_and_taints_the_pod_accepts(core: client.CoreV1Api) -> None:
    core.create_node(node("plain", {"team": "a"}))
    tainted = node("tainted", {"team": "b"})
    tainted["spec"]["taints"] = [{"key": "dedicated", "value": "b", "effect": "NoSchedule"}]
    core.create_node(tainted)
    booting = node("booting", {"team": "c"})
    booting["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    core.create_node(booting)
    core.create_namespaced_pod("default", pod("to-a", selector={"team": "a"}))
    core.create_namespaced_pod("default", pod("to-b", selector={"team": "b"}))
    toleration = {"key": "dedicated", "operator": "Equal", "value": "b", "effect": "NoSchedule"}
    core.create_namespaced_pod(
        "default", pod("to-b-tolerating", selector={"team": "b"}, tolerations=[toleration])
    )
    core.create_namespaced_pod("default", pod("to-c", selector={"team": "c"}))

    result = TestBinder(core).bind_pending()

    assert sorted(result.bound) == [
        ("default/to-a", "plain"),
        ("default/to-b-tolerating", "tainted"),
    ]
    # As kube-scheduler, a node is refused by its first failing filter: taints before labels.
    both = (
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had untolerated taint {dedicated: b}."
    )
    messages = {"to-b": both, "to-c": both}
    assert sorted(result.unschedulable) == [(f"default/{k}", m) for k, m in messages.items()]
    for name, message in messages.items():
        condition = scheduled(core, name)
        assert condition is not None and condition.reason == "Unschedulable"
        assert condition.message == message
        assert not core.read_namespaced_pod(name, "default").spec.node_name


def test_pods_already_on_a_node_use_its_room(core: client.CoreV1Api) -> None:
    core.create_node(node("n1"))  # 3920m allocatable
    core.create_namespaced_pod("default", pod("running", "3500m", node_name="n1"))
    core.create_namespaced_pod("default", pod("too-big", "500m"))

    first = TestBinder(core).bind_pending()
    assert first.bound == ()
    assert first.unschedulable == (
        ("default/too-big", "0/1 nodes are available: 1 Insufficient cpu."),
    )

    core.create_namespaced_pod("default", pod("small", "400m"))
    second = TestBinder(core).bind_pending()
    assert second.bound == (("default/small", "n1"),)
    assert core.read_namespaced_pod("too-big", "default").spec.node_name is None
