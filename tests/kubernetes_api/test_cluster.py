"""KubernetesCluster: the Cluster port over the test API server, judged by reads and kubectl."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from spotwise.kubernetes.api import cluster as cluster_module
from spotwise.kubernetes.api import raw
from spotwise.kubernetes.api.cluster import KubernetesCluster
from spotwise.kubernetes.api.informer import PODS
from spotwise.kubernetes.api.provider_id import parse_provider_id, provider_id
from spotwise.model.instance_type import CapacityType
from spotwise.model.scheduling_terms import Taint, TaintEffect
from spotwise.ports.cluster import Cluster, ClusterEvent, Eviction, NodePatch
from spotwise.testing.kubeapi import KubeApiServer

from kubeapi.helpers import controller, kubectl, node, pod, run_pod  # isort: skip

Obj = dict[str, Any]
CaughtUp = Callable[[], None]


def ec2_node(name: str, zone: str = "us-east-1a", **labels: str) -> Obj:
    body = node(name, {"topology.kubernetes.io/zone": zone, **labels})
    body["spec"]["providerID"] = provider_id(zone, f"i-{name}")
    return body


def daemonset_body(name: str) -> Obj:
    return {
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": name, "image": name, "resources": {"requests": {"cpu": "100m"}}}
                    ]
                },
            },
        },
    }


def pdb(name: str, labels: dict[str, str], min_available: int) -> Obj:
    return {
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": labels}, "minAvailable": min_available},
    }


def test_it_is_a_cluster_port(cluster: KubernetesCluster) -> None:
    port: Cluster = cluster
    assert port.snapshot().nodes == ()


def test_snapshot_binds_running_pods_and_lists_only_pods_waiting_for_a_node(
    cluster: KubernetesCluster,
    core: client.CoreV1Api,
    apps: client.AppsV1Api,
    caught_up: CaughtUp,
) -> None:
    core.create_node(ec2_node("n1", **{"karpenter.sh/capacity-type": "spot"}))
    core.create_node(ec2_node("n2", zone="us-east-1b"))
    agent = apps.create_namespaced_daemon_set("kube-system", daemonset_body("agent"))
    daemon_owner = controller("DaemonSet", "agent", agent.metadata.uid)
    core.create_namespaced_pod("kube-system", pod("agent-n1", "n1", {"app": "agent"}, daemon_owner))
    core.create_namespaced_pod(
        "kube-system", pod("agent-new", None, {"app": "agent"}, daemon_owner)
    )
    core.create_namespaced_pod("default", pod("web-0", "n1"))
    run_pod(core, "web-0")
    core.create_namespaced_pod("default", pod("done", "n1"))
    core.patch_namespaced_pod_status("done", "default", {"status": {"phase": "Succeeded"}})
    core.create_namespaced_pod("default", pod("waiting"))
    core.create_namespaced_pod("default", pod("finished-unbound"))
    core.patch_namespaced_pod_status("finished-unbound", "default", {"status": {"phase": "Failed"}})
    other = pod("other-scheduler")
    other["spec"]["schedulerName"] = "volcano"
    core.create_namespaced_pod("default", other)
    leaving = pod("leaving")
    leaving["metadata"]["finalizers"] = ["example.com/hold"]
    core.create_namespaced_pod("default", leaving)
    core.delete_namespaced_pod("leaving", "default")  # held by its finalizer: being deleted
    caught_up()

    snapshot = cluster.snapshot()
    assert [n.name for n in snapshot.nodes] == ["n1", "n2"]
    n1, n2 = snapshot.nodes
    assert [p.key for p in n1.pods] == ["default/web-0", "kube-system/agent-n1"]
    assert n2.pods == ()
    assert n1.provider_id == "aws:///us-east-1a/i-n1"
    assert n1.capacity_type is CapacityType.SPOT
    assert n1.zone == "us-east-1a"
    assert n1.requested.pods == 2  # the finished pod holds nothing
    assert [p.key for p in snapshot.pending] == ["default/waiting"]
    assert n1.pods[1].owner == "DaemonSet/agent"
    assert len(snapshot.daemonsets) == 1
    daemon = snapshot.daemonsets[0]
    assert daemon.namespace == "kube-system" and daemon.requests.cpu_milli == 100
    # The DaemonSet controller's tolerations come with the spec, as from a manifest.
    assert "node.kubernetes.io/unschedulable" in {t.key for t in daemon.tolerations}


def test_pods_carry_what_a_drain_reads(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    core.create_node(ec2_node("n1"))
    slow = pod("db-0", "n1")
    slow["spec"]["terminationGracePeriodSeconds"] = 90
    core.create_namespaced_pod("default", slow)
    agent = pod("fluent-bit", "n1")
    agent["spec"]["priorityClassName"] = "system-node-critical"
    core.create_namespaced_pod("kube-system", agent)
    static = pod("kube-proxy-n1", "n1")
    static["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "abc"}
    core.create_namespaced_pod("kube-system", static)
    held = pod("web-0", "n1")
    held["metadata"]["finalizers"] = ["example.com/hold"]
    core.create_namespaced_pod("default", held)
    core.delete_namespaced_pod("web-0", "default")
    caught_up()
    (n1,) = cluster.snapshot().nodes
    pods = {p.key: p for p in n1.pods}
    assert pods["default/db-0"].grace_seconds == 90.0
    assert not pods["default/db-0"].critical and not pods["default/db-0"].per_node
    assert pods["kube-system/fluent-bit"].critical
    assert pods["kube-system/kube-proxy-n1"].per_node
    assert pods["default/web-0"].terminating and pods["default/web-0"].grace_seconds == 30.0


def test_more_schedulers_can_be_served(
    api: client.ApiClient, core: client.CoreV1Api, kubeapi: KubeApiServer
) -> None:
    other = pod("batch-0")
    other["spec"]["schedulerName"] = "volcano"
    core.create_namespaced_pod("default", other)
    cluster = KubernetesCluster(api, schedulers=("default-scheduler", "volcano")).start()
    try:
        assert cluster.wait_synced(10)
        assert [p.key for p in cluster.snapshot().pending] == ["default/batch-0"]
    finally:
        cluster.stop()


def test_snapshot_budgets_and_volume_zones(
    cluster: KubernetesCluster,
    core: client.CoreV1Api,
    policy: client.PolicyV1Api,
    caught_up: CaughtUp,
) -> None:
    policy.create_namespaced_pod_disruption_budget("default", pdb("web", {"app": "web"}, 1))
    core.create_persistent_volume(
        {
            "metadata": {"name": "pv-1"},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-1"},
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {
                                        "key": "topology.kubernetes.io/zone",
                                        "operator": "In",
                                        "values": ["us-east-1c"],
                                    }
                                ]
                            }
                        ]
                    }
                },
            },
        }
    )
    core.create_namespaced_persistent_volume_claim(
        "default",
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "volumeName": "pv-1",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    with_claim = pod("db-0")
    with_claim["spec"]["volumes"] = [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
    core.create_namespaced_pod("default", with_claim)
    caught_up()

    snapshot = cluster.snapshot()
    assert [(b.key, b.min_available) for b in snapshot.budgets] == [("default/web", 1)]
    (db,) = snapshot.pending
    assert db.spec.zones == frozenset({"us-east-1c"})
    assert db.volumes == ("data",)


def test_each_object_is_converted_once_per_resource_version(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    core.create_namespaced_pod("default", pod("a"))
    core.create_namespaced_pod("default", pod("b"))
    caught_up()
    first = {p.name: p for p in cluster.snapshot().pending}
    core.patch_namespaced_pod("b", "default", {"metadata": {"labels": {"tier": "x"}}})
    caught_up()
    second = {p.name: p for p in cluster.snapshot().pending}
    assert second["a"] is first["a"]  # unchanged: the same model object
    assert second["b"] is not first["b"]
    assert second["b"].spec.labels.get("tier") == "x"


def test_a_snapshot_reads_only_what_changed_since_the_last(
    cluster: KubernetesCluster,
    core: client.CoreV1Api,
    caught_up: CaughtUp,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    core.create_namespaced_pod("default", pod("a"))
    core.create_namespaced_pod("default", pod("b"))
    caught_up()
    first = {p.name: p for p in cluster.snapshot().pending}
    converted: list[str] = []
    live_pod = cluster_module.objects.live_pod

    def counted(obj: Obj, *args: Any) -> Any:
        converted.append(obj["metadata"]["name"])
        return live_pod(obj, *args)

    monkeypatch.setattr(cluster_module.objects, "live_pod", counted)
    items = cluster.informers[PODS].items
    monkeypatch.setattr(cluster.informers[PODS], "items", lambda: pytest.fail("walked"))
    core.delete_namespaced_pod("a", "default")
    core.create_namespaced_pod("default", pod("c"))
    caught_up()
    second = {p.name: p for p in cluster.snapshot().pending}
    assert sorted(second) == ["b", "c"] and second["b"] is first["b"]
    assert converted == ["c"]
    # A namespace's labels are read by pods' selectors: every pod is looked at again.
    monkeypatch.setattr(cluster.informers[PODS], "items", items)
    core.patch_namespace("default", {"metadata": {"labels": {"team": "x"}}})
    caught_up()
    assert sorted(p.name for p in cluster.snapshot().pending) == ["b", "c"]


def test_an_unchanged_node_is_not_rebuilt(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    core.create_node(ec2_node("n1"))
    core.create_node(ec2_node("n2"))
    core.create_namespaced_pod("default", pod("a", "n1"))
    core.create_namespaced_pod("default", pod("b", "n2"))
    caught_up()
    n1, n2 = cluster.snapshot().nodes
    core.create_namespaced_pod("default", pod("c", "n2"))
    caught_up()
    again = cluster.snapshot().nodes
    assert again[0] is n1
    assert again[1] is not n2 and [p.name for p in again[1].pods] == ["b", "c"]


def test_the_pod_cache_keeps_what_scheduling_reads_and_drops_the_rest(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    body = pod("web-0")
    body["spec"]["terminationGracePeriodSeconds"] = 45
    body["spec"]["containers"][0].update(
        env=[{"name": "A", "value": "1" * 1000}],
        resources={"requests": {"cpu": "250m"}},
        ports=[{"containerPort": 80, "hostPort": 8080}],
    )
    body["spec"]["volumes"] = [
        {"name": "cfg", "configMap": {"name": "web"}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
    ]
    core.create_namespaced_pod("default", body)
    caught_up()
    cached = cluster.informers[PODS].get("default/web-0")
    assert cached is not None
    container = cached["spec"]["containers"][0]
    assert "env" not in container and "image" not in container
    assert container["resources"] == {"requests": {"cpu": "250m"}}
    assert cached["spec"]["volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
    ]
    assert cached["spec"]["terminationGracePeriodSeconds"] == 45
    (web,) = cluster.snapshot().pending
    assert web.spec.requests.cpu_milli == 250 and web.spec.host_ports[0].port == 8080
    assert web.volumes == ("data",)


def test_node_by_provider_id(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    core.create_node(ec2_node("n1"))
    core.create_node(ec2_node("n2", zone="us-east-1b"))
    caught_up()
    found = cluster.node_by_provider_id("aws:///us-east-1b/i-n2")
    assert found is not None and found.name == "n2"
    assert cluster.node_by_provider_id("aws:///us-east-1a/i-none") is None


def test_parse_provider_id() -> None:
    assert parse_provider_id("aws:///us-east-1a/i-0abc") == ("us-east-1a", "i-0abc")
    assert parse_provider_id("aws:///i-0abc") == ("", "i-0abc")
    assert provider_id("us-east-1a", "i-0abc") == "aws:///us-east-1a/i-0abc"
    for bad in ("gce://p/z/n", "aws:///us-east-1a/", "aws:///a/b/i-1", "i-0abc"):
        with pytest.raises(ValueError):
            parse_provider_id(bad)


def node_json(kubeconfig: Path, name: str) -> Obj:
    found: Obj = json.loads(kubectl(kubeconfig, "get", "node", name, "-o", "json").stdout)
    return found


def test_patch_node_changes_only_what_it_names(
    cluster: KubernetesCluster, core: client.CoreV1Api, kubeconfig: Path
) -> None:
    body = ec2_node("n1", team="a", old="x")
    body["spec"]["taints"] = [
        {"key": "someone.else/taint", "value": "keep", "effect": "NoSchedule"},
        {"key": "spotwise.io/draining", "value": "old", "effect": "NoSchedule"},
        {"key": "spotwise.io/draining", "effect": "NoExecute"},
    ]
    core.create_node(body)
    cluster.patch_node(
        "n1",
        NodePatch(
            labels={"spotwise.io/state": "draining", "old": None},
            annotations={"spotwise.io/interruption-deadline": "2026-12-04T17:00:00Z"},
            add_taints=(Taint("spotwise.io/draining", "new", TaintEffect.NO_SCHEDULE),),
            remove_taints=(Taint("spotwise.io/draining", "", TaintEffect.NO_EXECUTE),),
            unschedulable=True,
        ),
    )
    got = node_json(kubeconfig, "n1")
    labels = got["metadata"]["labels"]
    assert labels["spotwise.io/state"] == "draining" and labels["team"] == "a"
    assert "old" not in labels
    assert got["metadata"]["annotations"] == {
        "spotwise.io/interruption-deadline": "2026-12-04T17:00:00Z"
    }
    assert got["spec"]["unschedulable"] is True
    assert got["spec"]["taints"] == [
        {"key": "someone.else/taint", "value": "keep", "effect": "NoSchedule"},
        {"key": "spotwise.io/draining", "value": "new", "effect": "NoSchedule"},
    ]
    assert got["spec"]["providerID"] == "aws:///us-east-1a/i-n1"

    cluster.patch_node(
        "n1",
        NodePatch(unschedulable=False, annotations={"spotwise.io/interruption-deadline": None}),
    )
    got = node_json(kubeconfig, "n1")
    assert not got["spec"].get("unschedulable")
    assert not got["metadata"].get("annotations")
    assert len(got["spec"]["taints"]) == 2  # a cordon-only patch leaves the taints alone
    cluster.patch_node("gone", NodePatch(unschedulable=True))  # a missing node is no error


def running(core: client.CoreV1Api, name: str, labels: dict[str, str]) -> None:
    core.create_namespaced_pod("default", pod(name, "n1", labels))
    run_pod(core, name)


def test_evict_honours_budgets(
    cluster: KubernetesCluster, core: client.CoreV1Api, policy: client.PolicyV1Api
) -> None:
    core.create_node(ec2_node("n1"))
    policy.create_namespaced_pod_disruption_budget("default", pdb("web", {"app": "web"}, 1))
    running(core, "web-0", {"app": "web"})
    assert cluster.evict("default/web-0") is Eviction.BLOCKED
    assert core.read_namespaced_pod("web-0", "default").metadata.deletion_timestamp is None
    running(core, "web-1", {"app": "web"})
    assert cluster.evict("default/web-0") is Eviction.EVICTED
    assert cluster.evict("default/web-0") is Eviction.GONE
    assert cluster.evict("default/never") is Eviction.GONE


def test_evict_is_refused_when_two_budgets_cover_the_pod(
    cluster: KubernetesCluster, core: client.CoreV1Api, policy: client.PolicyV1Api
) -> None:
    core.create_node(ec2_node("n1"))
    policy.create_namespaced_pod_disruption_budget("default", pdb("a", {"app": "web"}, 0))
    policy.create_namespaced_pod_disruption_budget("default", pdb("b", {"tier": "front"}, 0))
    running(core, "web-0", {"app": "web", "tier": "front"})
    assert cluster.evict("default/web-0") is Eviction.REFUSED
    assert core.read_namespaced_pod("web-0", "default").metadata.deletion_timestamp is None


def test_deletes_are_idempotent(cluster: KubernetesCluster, core: client.CoreV1Api) -> None:
    core.create_node(ec2_node("n1"))
    core.create_namespaced_pod("default", pod("a", "n1"))
    cluster.delete_pod("default/a")
    cluster.delete_pod("default/a")
    cluster.delete_node("n1")
    cluster.delete_node("n1")
    assert core.list_namespaced_pod("default").items == []
    assert core.list_node().items == []


def events(core: client.CoreV1Api, namespace: str) -> list[Any]:
    return list(core.list_namespaced_event(namespace).items)


def test_a_repeated_event_counts_up_instead_of_adding_events(
    cluster: KubernetesCluster, core: client.CoreV1Api, caught_up: CaughtUp
) -> None:
    core.create_node(ec2_node("n1"))
    core.create_namespaced_pod("default", pod("web-0", "n1"))
    caught_up()
    warning = ClusterEvent("Node", "n1", "SpotInterrupted", "EC2 reclaims it in 2 minutes", True)
    cluster.emit(warning)
    cluster.emit(warning)
    cluster.emit(warning)
    (only,) = events(core, "default")
    assert only.count == 3
    assert only.type == "Warning" and only.reason == "SpotInterrupted"
    assert only.involved_object.kind == "Node" and only.involved_object.name == "n1"
    assert only.involved_object.uid == core.read_node("n1").metadata.uid
    assert only.reporting_component == "spotwise" and only.source.component == "spotwise"

    cluster.emit(ClusterEvent("Pod", "default/web-0", "Evicted", "drained from n1"))
    pod_event = next(e for e in events(core, "default") if e.reason == "Evicted")
    assert pod_event.count == 1 and pod_event.type == "Normal"
    assert pod_event.involved_object.namespace == "default"
    assert len(events(core, "default")) == 2


def test_emit_never_raises(cluster: KubernetesCluster, core: client.CoreV1Api) -> None:
    # No namespace "nowhere": the API server refuses the Event (404), emit drops it.
    cluster.emit(ClusterEvent("Pod", "nowhere/web-0", "Evicted", "refused by the server"))
    assert events(core, "default") == []


def test_a_taint_written_by_someone_else_between_read_and_patch_is_kept(
    cluster: KubernetesCluster,
    core: client.CoreV1Api,
    kubeconfig: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    core.create_node(ec2_node("n1"))
    real_call = raw.call
    raced: list[bool] = []

    def call_with_a_writer_in_between(api_: Any, method: str, path: str, **kwargs: Any) -> Any:
        answer = real_call(api_, method, path, **kwargs)
        if method == "GET" and not raced:
            raced.append(True)  # another controller taints the node after our read
            taint = {"key": "other/taint", "effect": "NoExecute"}
            core.patch_node("n1", {"spec": {"taints": [taint]}})
        return answer

    monkeypatch.setattr(cluster_module.raw, "call", call_with_a_writer_in_between)
    cluster.patch_node(
        "n1", NodePatch(add_taints=(Taint("spotwise.io/x", "", TaintEffect.NO_SCHEDULE),))
    )
    assert raced
    taints = node_json(kubeconfig, "n1")["spec"]["taints"]
    assert taints == [
        {"key": "other/taint", "effect": "NoExecute"},
        {"key": "spotwise.io/x", "effect": "NoSchedule"},
    ]


def test_an_event_deleted_meanwhile_is_written_again(
    cluster: KubernetesCluster, core: client.CoreV1Api
) -> None:
    event = ClusterEvent("Node", "n1", "Consolidating", "replacing n1 with a cheaper node")
    cluster.emit(event)
    (first,) = events(core, "default")
    core.delete_namespaced_event(first.metadata.name, "default")
    cluster.emit(event)
    (second,) = events(core, "default")
    assert second.count == 1 and second.metadata.name != first.metadata.name


def test_attached_volumes_come_from_volume_attachments(
    cluster: KubernetesCluster, api: client.ApiClient, caught_up: CaughtUp
) -> None:
    storage = client.StorageV1Api(api)
    for name, node_name, attached in (
        ("va-1", "n1", True),
        ("va-2", "n1", False),
        ("va-3", "n2", True),
    ):
        storage.create_volume_attachment(
            {
                "metadata": {"name": name},
                "spec": {
                    "attacher": "ebs.csi.aws.com",
                    "nodeName": node_name,
                    "source": {"persistentVolumeName": f"pv-{name}"},
                },
                "status": {"attached": attached},
            }
        )
    caught_up()
    assert cluster.attached_volumes("n1") == ("pv-va-1",)
    assert cluster.attached_volumes("n3") == ()


def test_the_pod_cache_keeps_one_copy_of_repeated_strings() -> None:
    def parsed(name: str) -> Obj:
        body = pod(name, "node-1", {"app": "web"})
        body["metadata"]["namespace"] = "shop"
        body["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "250m"}}
        return dict(json.loads(json.dumps(body)))  # parsed apart, as two list pages are

    a, b = (cluster_module.objects.trim_pod(parsed(n)) for n in ("a", "b"))
    assert a["metadata"]["labels"]["app"] is b["metadata"]["labels"]["app"]
    assert a["metadata"]["namespace"] is b["metadata"]["namespace"]
    assert a["spec"]["nodeName"] is b["spec"]["nodeName"]
    cpu = [p["spec"]["containers"][0]["resources"]["requests"]["cpu"] for p in (a, b)]
    assert cpu[0] is cpu[1] and cpu[0] == "250m"
    assert a == {**b, "metadata": {**b["metadata"], "name": "a"}}
