"""Objects preloaded from a file (``--load``): served, listed in pages and watched."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from spotwise.testing.kubeapi import KubeApiServer

from .helpers import node, pod


def cluster_objects() -> list[dict[str, Any]]:
    running = pod("web-0", "n1", {"app": "web"})
    running["metadata"]["namespace"] = "shop"
    running["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    }
    system = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}
    return [system, node("n1"), node("n2"), node("n3"), running, budget]


def test_loaded_objects_are_served_with_resource_versions(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps(cluster_objects()))
    with KubeApiServer(load=path, bookmark_interval=0.2) as server:
        server.write_kubeconfig(tmp_path / "kubeconfig")
        api = config.new_client_from_config(config_file=str(tmp_path / "kubeconfig"))
        core = client.CoreV1Api(api)
        nodes = core.list_node(limit=2)
        rest = core.list_node(limit=2, _continue=nodes.metadata._continue)
        assert [n.metadata.name for n in [*nodes.items, *rest.items]] == ["n1", "n2", "n3"]
        assert nodes.metadata.remaining_item_count == 1
        assert rest.metadata._continue is None
        namespaces = {n.metadata.name for n in core.list_namespace().items}
        assert {"default", "kube-system", "shop"} <= namespaces  # shop made for its pod
        web = core.read_namespaced_pod("web-0", "shop")
        assert web.status.phase == "Running"  # the status as loaded, not Pending
        assert web.spec.node_name == "n1"
        assert web.metadata.uid and web.metadata.creation_timestamp
        versions = [int(n.metadata.resource_version) for n in [*nodes.items, *rest.items]]
        assert len(set(versions)) == 3
        assert int(web.metadata.resource_version) > max(versions)
        listed = int(nodes.metadata.resource_version)
        assert listed >= int(web.metadata.resource_version)
        budgets = client.PolicyV1Api(api).list_namespaced_pod_disruption_budget("shop")
        assert [b.metadata.name for b in budgets.items] == ["web"]
        # The loaded objects are history: a watch from before them is 410 Gone.
        with pytest.raises(ApiException) as gone:
            for _ in watch.Watch().stream(core.list_node, resource_version="1", timeout_seconds=2):
                pass
        assert gone.value.status == 410
        # A watch from the list's resourceVersion sees the writes after it.
        w = watch.Watch()
        stream = w.stream(core.list_node, resource_version=str(listed), timeout_seconds=5)
        core.patch_node("n2", {"spec": {"unschedulable": True}})
        seen = next(e for e in stream if e["type"] != "BOOKMARK")
        assert (seen["type"], seen["object"].metadata.name) == ("MODIFIED", "n2")
        w.stop()
        # A watch without a resourceVersion starts with them as ADDED.
        w = watch.Watch()
        first = [
            e["object"].metadata.name
            for _, e in zip(range(3), w.stream(core.list_node, timeout_seconds=5), strict=False)
        ]
        assert first == ["n1", "n2", "n3"]
        w.stop()
        api.close()


def test_the_command_loads_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all(cluster_objects()))
    kubeconfig = tmp_path / "kubeconfig"
    command = [sys.executable, "-m", "spotwise.testing.kubeapi", "--kubeconfig", str(kubeconfig)]
    process = subprocess.Popen([*command, "--load", str(path)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not kubeconfig.exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        api = config.new_client_from_config(config_file=str(kubeconfig))
        names = [n.metadata.name for n in client.CoreV1Api(api).list_node().items]
        assert names == ["n1", "n2", "n3"]
        api.close()
    finally:
        process.terminate()
        process.wait(10)


def test_an_object_of_no_served_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"kind": "List", "items": [{"apiVersion": "v1", "kind": "Nope"}]}))
    with pytest.raises(Exception, match="no resource of kind Nope"):
        KubeApiServer(load=path)
