"""Pods that take time to stop: the stand-in kubelet deletes them when their grace ends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from spotwise.testing.kubeapi import KubeApiServer

from .helpers import controller, kubectl, node, pod, run_pod

STOP_SECONDS = 1.0


@pytest.fixture
def slow_kubelet(tmp_path: Path) -> Iterator[tuple[Path, client.CoreV1Api]]:
    with KubeApiServer(pod_termination=STOP_SECONDS) as server:
        kubeconfig = tmp_path / "kubeconfig"
        server.write_kubeconfig(kubeconfig)
        api = config.new_client_from_config(config_file=str(kubeconfig))
        yield kubeconfig, client.CoreV1Api(api)
        api.close()


def gone(core: client.CoreV1Api, name: str) -> bool:
    try:
        core.read_namespaced_pod(name, "default")
    except ApiException as e:
        assert e.status == 404
        return True
    return False


def test_a_deleted_pod_stays_terminating_until_its_kubelet_stops_it(
    slow_kubelet: tuple[Path, client.CoreV1Api],
) -> None:
    _, core = slow_kubelet
    core.create_namespaced_pod("default", pod("p", "n1"))
    start = core.list_namespaced_pod("default").metadata.resource_version
    began = time.monotonic()
    core.delete_namespaced_pod("p", "default")  # grace 30 s: the kubelet takes 1 s
    terminating = core.read_namespaced_pod("p", "default")
    assert terminating.metadata.deletion_timestamp is not None
    assert terminating.metadata.deletion_grace_period_seconds == 30
    # Writes during termination (the kubelet reporting status) keep the pod.
    core.patch_namespaced_pod_status("p", "default", {"status": {"phase": "Running"}})
    assert not gone(core, "p")
    w = watch.Watch()
    seen = []
    for event in w.stream(
        core.list_namespaced_pod, "default", resource_version=start, timeout_seconds=10
    ):
        seen.append(event["type"])
        if event["type"] == "DELETED":
            break
    w.stop()
    assert seen == ["MODIFIED", "MODIFIED", "DELETED"]
    assert time.monotonic() - began >= STOP_SECONDS * 0.9
    assert gone(core, "p")


def test_a_forced_delete_removes_a_terminating_pod_at_once(
    slow_kubelet: tuple[Path, client.CoreV1Api],
) -> None:
    _, core = slow_kubelet
    core.create_namespaced_pod("default", pod("p", "n1"))
    core.delete_namespaced_pod("p", "default")
    assert not gone(core, "p")
    core.delete_namespaced_pod("p", "default", grace_period_seconds=0)
    assert gone(core, "p")


def test_a_pod_not_on_a_node_or_with_no_grace_goes_at_once(
    slow_kubelet: tuple[Path, client.CoreV1Api],
) -> None:
    _, core = slow_kubelet
    core.create_namespaced_pod("default", pod("unbound"))
    core.create_namespaced_pod("default", pod("bound", "n1"))
    core.delete_namespaced_pod("unbound", "default")
    core.delete_namespaced_pod("bound", "default", grace_period_seconds=0)
    assert gone(core, "unbound") and gone(core, "bound")


def test_kubectl_drain_waits_for_the_pods_to_stop(
    slow_kubelet: tuple[Path, client.CoreV1Api],
) -> None:
    kubeconfig, core = slow_kubelet
    core.create_node(node("n1"))
    core.create_namespaced_pod(
        "default", pod("web", "n1", owner=controller("ReplicaSet", "web-1", "u1"))
    )
    run_pod(core, "web")
    began = time.monotonic()
    kubectl(kubeconfig, "drain", "n1", "--ignore-daemonsets", "--timeout=20s")
    assert time.monotonic() - began >= STOP_SECONDS * 0.9
    assert gone(core, "web")
