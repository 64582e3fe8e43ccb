"""`spotwise plan --kubeconfig`: planning for a live cluster, against the API test server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config

from spotwise.cli.app import main
from spotwise.kubernetes.api.cluster import KubernetesCluster
from spotwise.testing.kubeapi import KubeApiServer

MANIFESTS = Path(__file__).parent / "manifests"
Obj = dict[str, Any]


@pytest.fixture
def kubeapi(tmp_path: Path) -> Iterator[KubeApiServer]:
    server = KubeApiServer(port=0, log_size=50, bookmark_interval=0.2)
    with server:
        server.write_kubeconfig(tmp_path / "kubeconfig")
        yield server


@pytest.fixture
def kubeconfig(kubeapi: KubeApiServer, tmp_path: Path) -> Path:
    return tmp_path / "kubeconfig"


@pytest.fixture
def core(kubeconfig: Path) -> Iterator[client.CoreV1Api]:
    api = config.new_client_from_config(config_file=str(kubeconfig))
    yield client.CoreV1Api(api)
    api.close()


@pytest.fixture
def apps(core: client.CoreV1Api) -> client.AppsV1Api:
    return client.AppsV1Api(core.api_client)


def node(name: str, cpu: str = "4", memory: str = "16Gi", *, cordoned: bool = False) -> Obj:
    spec: Obj = {"providerID": f"aws:///us-east-1a/i-{name}"}
    if cordoned:
        spec["unschedulable"] = True
        spec["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/arch": "arm64",
                "kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": "m7g.xlarge",
                "topology.kubernetes.io/zone": "us-east-1a",
                "karpenter.sh/capacity-type": "spot",
            },
        },
        "spec": spec,
        "status": {
            "capacity": {"cpu": cpu, "memory": memory, "pods": "58"},
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "58"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def pod(name: str, cpu: str, node_name: str | None = None, memory: str = "1Gi") -> Obj:
    spec: Obj = {
        "containers": [
            {
                "name": "main",
                "image": "registry.k8s.io/pause",
                "resources": {"requests": {"cpu": cpu, "memory": memory}},
            }
        ]
    }
    if node_name:
        spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def bound(core: client.CoreV1Api, name: str, cpu: str, node_name: str) -> None:
    """A pod running on ``node_name``, as its kubelet reports it."""
    core.create_namespaced_pod("default", pod(name, cpu, node_name))
    core.patch_namespaced_pod_status(name, "default", {"status": {"phase": "Running"}})


def plan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["plan", *args])
    out, err = capsys.readouterr()
    return code, out, err


def plan_json(capsys: pytest.CaptureFixture[str], kubeconfig: Path, *args: str) -> Obj:
    code, out, err = plan(capsys, "--kubeconfig", str(kubeconfig), "-o", "json", *args)
    assert code == 0, err
    doc: Obj = json.loads(out)
    return doc


def placed_new(doc: Obj) -> set[str]:
    return {p for n in doc["nodes"] for p in n["pods"]}


def on_existing(doc: Obj) -> dict[str, str]:
    return {e["pod"]: e["node"] for e in doc["existing"]}


def test_pending_pods_fill_existing_nodes_before_new_ones(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, core: client.CoreV1Api
) -> None:
    core.create_node(node("n1", cpu="4"))
    core.create_namespaced_pod("default", pod("small-a", "1"))
    core.create_namespaced_pod("default", pod("small-b", "1"))
    core.create_namespaced_pod("default", pod("big", "6"))

    doc = plan_json(capsys, kubeconfig)
    assert on_existing(doc) == {"default/small-a": "n1", "default/small-b": "n1"}
    assert placed_new(doc) == {"default/big"}  # too big for n1: a new node
    assert doc["unschedulable"] == []
    assert doc["cost_per_hour"] > 0
    # The informers are stopped once the cluster has been read.
    assert not [t for t in threading.enumerate() if t.name.startswith("informer-")]


def test_pods_bound_to_a_node_count_against_it(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, core: client.CoreV1Api
) -> None:
    core.create_node(node("n1", cpu="4"))
    core.create_node(node("n2", cpu="4"))
    bound(core, "busy", "3", "n1")
    bound(core, "busier", "3500m", "n2")
    core.create_namespaced_pod("default", pod("fits-n1", "1"))
    core.create_namespaced_pod("default", pod("fits-neither", "2"))

    doc = plan_json(capsys, kubeconfig)
    # 4 CPUs less the 3 bound there leave 1 on n1 and 0.5 on n2.
    assert on_existing(doc) == {"default/fits-n1": "n1"}
    assert placed_new(doc) == {"default/fits-neither"}


def test_a_cordoned_node_takes_nothing(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, core: client.CoreV1Api
) -> None:
    core.create_node(node("cordoned", cpu="8", cordoned=True))
    core.create_node(node("open", cpu="2"))
    core.create_namespaced_pod("default", pod("a", "1"))
    core.create_namespaced_pod("default", pod("b", "1500m"))

    doc = plan_json(capsys, kubeconfig)
    assert "cordoned" not in on_existing(doc).values()
    assert len(on_existing(doc)) == 1 and set(on_existing(doc).values()) == {"open"}
    assert len(placed_new(doc)) == 1


def test_daemonsets_take_room_on_new_nodes(
    capsys: pytest.CaptureFixture[str],
    kubeconfig: Path,
    core: client.CoreV1Api,
    apps: client.AppsV1Api,
    tmp_path: Path,
) -> None:
    pools = tmp_path / "pools.yaml"
    pools.write_text(
        "apiVersion: spotwise.io/v1alpha1\nkind: NodePool\nmetadata: {name: two}\n"
        "spec: {instanceTypes: [m7g.large, m7g.xlarge], capacityTypes: [on-demand]}\n"
    )
    core.create_namespaced_pod("default", pod("web", "1"))
    (new,) = plan_json(capsys, kubeconfig, "--pool", str(pools))["nodes"]
    assert new["expected_instance_type"] == "m7g.large"

    agent = {
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {
                    "containers": [
                        {"name": "a", "image": "a", "resources": {"requests": {"cpu": "1500m"}}}
                    ]
                },
            },
        },
    }
    apps.create_namespaced_daemon_set("kube-system", agent)
    # 1 CPU of pods and 1.5 of the agent do not fit the 2 vCPUs of an m7g.large.
    (new,) = plan_json(capsys, kubeconfig, "--pool", str(pools))["nodes"]
    assert new["expected_instance_type"] == "m7g.xlarge"

    # The same DaemonSet in -f is the one running: its overhead counts once.
    applied = tmp_path / "agent.yaml"
    applied.write_text(
        yaml.safe_dump({"apiVersion": "apps/v1", "kind": "DaemonSet", **agent}).replace(
            "name: agent\n", "name: agent\n  namespace: kube-system\n", 1
        )
    )
    doc = plan_json(capsys, kubeconfig, "--pool", str(pools), "-f", str(applied))
    assert [n["expected_instance_type"] for n in doc["nodes"]] == ["m7g.xlarge"]


def test_manifests_are_planned_as_if_applied_to_the_cluster(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, core: client.CoreV1Api, tmp_path: Path
) -> None:
    core.create_node(node("n1", cpu="4"))
    core.create_namespaced_pod("default", pod("live", "1"))
    bound(core, "running", "1", "n1")
    manifest = tmp_path / "extra.yaml"
    manifest.write_text(
        yaml.safe_dump_all([pod("extra", "1"), pod("huge", "6"), pod("running", "1")])
    )

    doc = plan_json(capsys, kubeconfig, "-f", str(manifest))
    assert on_existing(doc) == {"default/live": "n1", "default/extra": "n1"}
    # A pod the cluster already runs is not planned again.
    assert placed_new(doc) == {"default/huge"}


def test_every_output_format_works_on_a_live_cluster(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, core: client.CoreV1Api
) -> None:
    core.create_node(node("n1", cpu="1"))
    core.create_namespaced_pod("default", pod("web", "2"))
    core.create_namespaced_pod("default", pod("tiny", "100m"))
    code, out, err = plan(capsys, "--kubeconfig", str(kubeconfig))
    assert code == 0, err
    assert "new-default-1" in out and "1 pod fits on existing nodes (n1)" in out
    code, out, err = plan(capsys, "--kubeconfig", str(kubeconfig), "-o", "yaml")
    assert code == 0, err
    assert placed_new(yaml.safe_load(out)) == {"default/web"}


def test_context_picks_the_cluster(
    capsys: pytest.CaptureFixture[str],
    kubeapi: KubeApiServer,
    core: client.CoreV1Api,
    tmp_path: Path,
) -> None:
    core.create_namespaced_pod("default", pod("web", "1"))
    document = json.loads(kubeapi.kubeconfig())
    document["clusters"].append({"name": "dead", "cluster": {"server": dead_server()}})
    document["contexts"].append(
        {"name": "dead", "context": {"cluster": "dead", "user": "spotwise-test"}}
    )
    document["current-context"] = "dead"
    both = tmp_path / "both.yaml"
    both.write_text(json.dumps(document))

    doc = plan_json(capsys, both, "--context", "spotwise-test")
    assert placed_new(doc) == {"default/web"}
    code, _, err = plan(capsys, "--kubeconfig", str(both), "--context", "nope")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "nope" in err


def dead_server() -> str:
    """The URL of a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_an_unreachable_server_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server = dead_server()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    code, out, err = plan(capsys, "--kubeconfig", str(kubeconfig), "--timeout", "5")
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert server in line and "cannot be reached: [Errno 111] Connection refused" in line


def test_informers_that_do_not_sync_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    kubeconfig: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Informers that never list, as behind a proxy that drops watches.
    monkeypatch.setattr(KubernetesCluster, "start", lambda self: self)
    code, out, err = plan(capsys, "--kubeconfig", str(kubeconfig), "--timeout", "0.5")
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "not listed within 0.5s" in line and "pods" in line


def test_a_missing_or_malformed_kubeconfig_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = plan(capsys, "--kubeconfig", str(tmp_path / "nope"))
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "nope" in line and "no such file" in line
    garbage = tmp_path / "garbage"
    garbage.write_text("just words\n")
    code, out, err = plan(capsys, "--kubeconfig", str(garbage))
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "garbage" in line and "not a kubeconfig" in line


def test_nodes_with_kubeconfig_is_refused(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path
) -> None:
    code, out, err = plan(
        capsys, "--kubeconfig", str(kubeconfig), "--nodes", str(MANIFESTS / "cluster")
    )
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "--nodes" in line and "--kubeconfig" in line


def test_without_files_or_kubeconfig_there_is_nothing_to_plan(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = plan(capsys)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "-f" in line and "--kubeconfig" in line
