"""The test API server judged by kubectl: get, cordon, drain; and the server's command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from kubernetes import client

from .helpers import controller, kubectl, kubectl_binary, node, pod, run_pod


def test_kubectl_get_nodes_as_json(kubeconfig: Path, core: client.CoreV1Api) -> None:
    core.create_node(node("n1", {"node.kubernetes.io/instance-type": "m7g.large"}))
    core.create_node(node("n2"))
    listed = json.loads(kubectl(kubeconfig, "get", "nodes", "-o", "json").stdout)
    assert [n["metadata"]["name"] for n in listed["items"]] == ["n1", "n2"]
    assert listed["items"][0]["kind"] == "Node"
    labels = listed["items"][0]["metadata"]["labels"]
    assert labels["node.kubernetes.io/instance-type"] == "m7g.large"
    one = json.loads(kubectl(kubeconfig, "get", "node", "n2", "-o", "json").stdout)
    assert one["status"]["capacity"]["cpu"] == "4"
    missing = kubectl(kubeconfig, "get", "node", "n3", check=False)
    assert missing.returncode == 1
    assert 'nodes "n3" not found' in missing.stderr


def test_kubectl_cordon_and_uncordon(kubeconfig: Path, core: client.CoreV1Api) -> None:
    core.create_node(node("n1"))
    assert "node/n1 cordoned" in kubectl(kubeconfig, "cordon", "n1").stdout
    assert core.read_node("n1").spec.unschedulable is True
    kubectl(kubeconfig, "uncordon", "n1")
    assert not core.read_node("n1").spec.unschedulable


def test_kubectl_drain_evicts_pods_and_leaves_daemonset_pods(
    kubeconfig: Path, api_client: client.ApiClient, core: client.CoreV1Api
) -> None:
    core.create_node(node("n1"))
    core.create_node(node("n2"))
    daemonset = client.AppsV1Api(api_client).create_namespaced_daemon_set(
        "kube-system",
        {
            "metadata": {"name": "agent"},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {
                    "metadata": {"labels": {"app": "agent"}},
                    "spec": {"containers": [{"name": "agent", "image": "agent"}]},
                },
            },
        },
    )
    owner = controller("DaemonSet", "agent", daemonset.metadata.uid)
    replicaset = controller("ReplicaSet", "web-1", "u1")
    core.create_namespaced_pod("kube-system", pod("agent-n1", "n1", {"app": "agent"}, owner))
    core.create_namespaced_pod("default", pod("web-a", "n1", {"app": "web"}, replicaset))
    core.create_namespaced_pod("default", pod("web-b", "n2", {"app": "web"}, replicaset))
    for name, namespace in (
        ("agent-n1", "kube-system"),
        ("web-a", "default"),
        ("web-b", "default"),
    ):
        run_pod(core, name, namespace)

    drained = kubectl(
        kubeconfig, "drain", "n1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=20s"
    )
    assert "evicting pod default/web-a" in drained.stdout
    # kubectl 1.20 (Debian's kubernetes-client) says "evicted", later ones "drained".
    assert re.search(r"^node/n1 (drained|evicted)$", drained.stdout, re.MULTILINE)
    assert core.read_node("n1").spec.unschedulable is True
    left = core.list_pod_for_all_namespaces(field_selector="spec.nodeName=n1").items
    assert [p.metadata.name for p in left] == ["agent-n1"]


def test_kubectl_drain_is_held_by_a_disruption_budget(
    kubeconfig: Path, api_client: client.ApiClient, core: client.CoreV1Api
) -> None:
    core.create_node(node("n1"))
    client.PolicyV1Api(api_client).create_namespaced_pod_disruption_budget(
        "default",
        {
            "metadata": {"name": "web"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
        },
    )
    replicaset = controller("ReplicaSet", "web-1", "u1")
    core.create_namespaced_pod("default", pod("web-a", "n1", {"app": "web"}, replicaset))
    run_pod(core, "web-a")
    held = kubectl(kubeconfig, "drain", "n1", "--ignore-daemonsets", "--timeout=3s", check=False)
    assert held.returncode != 0
    assert "disruption budget" in held.stderr
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["web-a"]


def test_the_command_line_serves_and_writes_a_kubeconfig(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spotwise.testing.kubeapi",
            "--port",
            "0",
            "--kubeconfig",
            str(config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not config.exists() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.05)
        assert config.exists(), server.stderr.read() if server.stderr else ""
        namespaces = json.loads(kubectl(config, "get", "namespaces", "-o", "json").stdout)
        assert "default" in [n["metadata"]["name"] for n in namespaces["items"]]
        version = json.loads(kubectl(config, "version", "-o", "json").stdout)
        assert version["serverVersion"]["minor"] == "32"
    finally:
        server.terminate()
        assert server.wait(timeout=10) == 0


def kubectl_minor() -> int:
    version = json.loads(
        subprocess.run(
            [kubectl_binary(), "version", "--client", "-o", "json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return int(re.sub(r"\D.*", "", version["clientVersion"]["minor"]))


def test_kubectl_label_taint_annotate_patch_delete(
    kubeconfig: Path, core: client.CoreV1Api
) -> None:
    core.create_node(node("n1", {"a": "b"}))
    kubectl(kubeconfig, "label", "node", "n1", "team=x")
    kubectl(kubeconfig, "taint", "node", "n1", "spotwise.io/interrupted=true:NoSchedule")
    kubectl(kubeconfig, "annotate", "node", "n1", "spotwise.io/deadline=2026-12-04T16:00:00Z")
    read = core.read_node("n1")
    assert read.metadata.labels["team"] == "x" and read.metadata.labels["a"] == "b"
    assert [(t.key, t.value, t.effect) for t in read.spec.taints] == [
        ("spotwise.io/interrupted", "true", "NoSchedule")
    ]
    assert read.metadata.annotations == {"spotwise.io/deadline": "2026-12-04T16:00:00Z"}
    kubectl(kubeconfig, "taint", "node", "n1", "spotwise.io/interrupted:NoSchedule-")
    kubectl(
        kubeconfig,
        "patch",
        "node",
        "n1",
        "--type",
        "merge",
        "-p",
        '{"metadata":{"labels":{"a":null}}}',
    )
    kubectl(
        kubeconfig,
        "patch",
        "node",
        "n1",
        "--type",
        "json",
        "-p",
        '[{"op":"add","path":"/metadata/labels/j","value":"1"}]',
    )
    read = core.read_node("n1")
    assert not read.spec.taints
    assert read.metadata.labels == {"kubernetes.io/hostname": "n1", "team": "x", "j": "1"}
    shown = kubectl(kubeconfig, "get", "nodes", "-l", "team=x", "-o", "name").stdout
    assert shown.split() == ["node/n1"]
    kubectl(kubeconfig, "delete", "node", "n1")
    assert core.list_node().items == []


def test_kubectl_create_and_apply_from_a_file(
    kubeconfig: Path, core: client.CoreV1Api, tmp_path: Path
) -> None:
    manifest = tmp_path / "pod.json"
    manifest.write_text(json.dumps(pod("web", labels={"app": "web"})))
    # kubectl 1.27 and later learn from /openapi/v3 that the server validates fields; older
    # ones (Debian's 1.20) validate against /openapi/v2, which this server does not serve.
    validate = [] if kubectl_minor() >= 27 else ["--validate=false"]
    kubectl(kubeconfig, "create", "-f", str(manifest), *validate)
    assert core.read_namespaced_pod("web", "default").metadata.labels == {"app": "web"}
    manifest.write_text(json.dumps(pod("web", labels={"app": "web", "tier": "front"})))
    kubectl(kubeconfig, "apply", "-f", str(manifest), *validate)
    assert core.read_namespaced_pod("web", "default").metadata.labels == {
        "app": "web",
        "tier": "front",
    }
