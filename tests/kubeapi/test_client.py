"""The test API server driven by the official Python client: CRUD, selectors, patches."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException

from spotwise.testing.kubeapi import KubeApiServer

from .helpers import node, pod, run_pod

MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"


def status_of(error: ApiException) -> dict[str, object]:
    body: dict[str, object] = json.loads(error.body)
    return body


def test_version_and_discovery_read_by_the_client(api_client: client.ApiClient) -> None:
    version = client.VersionApi(api_client).get_code()
    assert (version.major, version.minor) == ("1", "32")
    resources = client.CoreV1Api(api_client).get_api_resources()
    names = {r.name for r in resources.resources}
    assert {"nodes", "nodes/status", "pods", "pods/status", "pods/eviction"} <= names
    groups = {g.name for g in client.ApisApi(api_client).get_api_versions().groups}
    assert {"apps", "policy", "coordination.k8s.io", "events.k8s.io"} <= groups


def test_create_sets_server_fields_and_each_write_a_newer_resource_version(
    core: client.CoreV1Api,
) -> None:
    created = core.create_node(node("n1"))
    assert created.metadata.uid and created.metadata.creation_timestamp is not None
    first = int(created.metadata.resource_version)
    labelled = core.patch_node("n1", {"metadata": {"labels": {"team": "a"}}})
    assert int(labelled.metadata.resource_version) > first
    fetched = core.read_node("n1")
    assert fetched.metadata.labels["team"] == "a"
    assert fetched.metadata.uid == created.metadata.uid
    listed = core.list_node()
    assert [n.metadata.name for n in listed.items] == ["n1"]
    assert int(listed.metadata.resource_version) >= int(labelled.metadata.resource_version)


def test_errors_are_status_objects(core: client.CoreV1Api) -> None:
    core.create_node(node("n1"))
    with pytest.raises(ApiException) as exists:
        core.create_node(node("n1"))
    assert exists.value.status == 409
    assert status_of(exists.value)["reason"] == "AlreadyExists"
    with pytest.raises(ApiException) as missing:
        core.read_node("n2")
    assert missing.value.status == 404
    body = status_of(missing.value)
    assert (body["kind"], body["reason"], body["message"]) == (
        "Status",
        "NotFound",
        'nodes "n2" not found',
    )
    with pytest.raises(ApiException) as no_namespace:
        core.create_namespaced_pod("nowhere", pod("p"))
    assert no_namespace.value.status == 404


def test_update_with_a_stale_resource_version_is_a_conflict(core: client.CoreV1Api) -> None:
    stale = core.create_node(node("n1"))
    core.patch_node("n1", {"metadata": {"labels": {"team": "a"}}})
    stale.metadata.labels["team"] = "b"
    with pytest.raises(ApiException) as conflict:
        core.replace_node("n1", stale)
    assert conflict.value.status == 409
    assert status_of(conflict.value)["reason"] == "Conflict"
    fresh = core.read_node("n1")
    fresh.metadata.labels["team"] = "b"
    replaced = core.replace_node("n1", fresh)
    assert replaced.metadata.labels["team"] == "b"
    assert int(replaced.metadata.resource_version) > int(fresh.metadata.resource_version)


def test_a_no_op_patch_keeps_the_resource_version(core: client.CoreV1Api) -> None:
    created = core.create_node(node("n1", {"team": "a"}))
    same = core.patch_node("n1", {"metadata": {"labels": {"team": "a"}}})
    assert same.metadata.resource_version == created.metadata.resource_version


def test_merge_and_strategic_patches_on_labels_taints_and_unschedulable(
    core: client.CoreV1Api,
) -> None:
    core.create_node(node("n1", {"drop": "me", "keep": "me"}))
    taint = {"key": "spotwise.io/interrupted", "value": "true", "effect": "NoSchedule"}
    core.patch_node(
        "n1",
        {
            "metadata": {"labels": {"drop": None}},
            "spec": {"unschedulable": True, "taints": [taint]},
        },
        _content_type=MERGE,
    )
    patched = core.read_node("n1")
    assert "drop" not in patched.metadata.labels and patched.metadata.labels["keep"] == "me"
    assert patched.spec.unschedulable is True
    assert [t.key for t in patched.spec.taints] == ["spotwise.io/interrupted"]
    other = {"key": "other", "effect": "NoExecute"}
    core.patch_node("n1", {"spec": {"taints": [taint, other]}}, _content_type=STRATEGIC)
    assert [t.key for t in core.read_node("n1").spec.taints] == ["spotwise.io/interrupted", "other"]
    core.patch_node("n1", {"spec": {"taints": [other]}}, _content_type=STRATEGIC)
    assert [t.key for t in core.read_node("n1").spec.taints] == ["other"]


def test_node_status_is_written_through_its_subresource_only(core: client.CoreV1Api) -> None:
    core.create_node(node("n1"))
    # A write to the node leaves its status alone...
    core.patch_node("n1", {"status": {"conditions": [{"type": "Ready", "status": "False"}]}})
    assert core.read_node("n1").status.conditions[0].status == "True"
    # ...nodes/status merges conditions by type and leaves the rest alone.
    pressure = {"type": "MemoryPressure", "status": "True"}
    core.patch_node_status(
        "n1",
        {"metadata": {"labels": {"ignored": "x"}}, "status": {"conditions": [pressure]}},
        _content_type=STRATEGIC,
    )
    read = core.read_node("n1")
    assert {(c.type, c.status) for c in read.status.conditions} == {
        ("Ready", "True"),
        ("MemoryPressure", "True"),
    }
    assert "ignored" not in read.metadata.labels


def test_label_and_field_selectors(core: client.CoreV1Api) -> None:
    for name, node_name, app in (("a", "n1", "web"), ("b", "n1", "db"), ("c", "n2", "web")):
        core.create_namespaced_pod("default", pod(name, node_name, {"app": app}))
    run_pod(core, "a")
    core.create_namespaced_pod("kube-system", pod("d", "n1", {"app": "web"}))

    def names(**kwargs: str) -> list[str]:
        return [p.metadata.name for p in core.list_pod_for_all_namespaces(**kwargs).items]

    assert names(field_selector="spec.nodeName=n1") == ["a", "b", "d"]
    assert names(field_selector="spec.nodeName=n1,status.phase=Running") == ["a"]
    assert names(field_selector="status.phase!=Running") == ["b", "c", "d"]
    assert names(field_selector="metadata.name=c") == ["c"]
    assert names(field_selector="metadata.namespace=kube-system") == ["d"]
    assert names(label_selector="app=web") == ["a", "c", "d"]
    assert names(label_selector="app in (db),app!=web") == ["b"]
    assert names(label_selector="app notin (web)") == ["b"]
    assert names(label_selector="!app") == []
    assert names(label_selector="app", field_selector="spec.nodeName=n2") == ["c"]
    namespaced = core.list_namespaced_pod("default", field_selector="spec.nodeName=n1")
    assert [p.metadata.name for p in namespaced.items] == ["a", "b"]
    with pytest.raises(ApiException) as bad:
        names(field_selector="spec.nodename=n1")
    assert bad.value.status == 400


def test_list_pages_with_limit_and_continue(core: client.CoreV1Api) -> None:
    for i in range(5):
        core.create_node(node(f"n{i}"))
    first = core.list_node(limit=2)
    assert [n.metadata.name for n in first.items] == ["n0", "n1"]
    second = core.list_node(limit=2, _continue=first.metadata._continue)
    third = core.list_node(limit=2, _continue=second.metadata._continue)
    assert [n.metadata.name for n in second.items + third.items] == ["n2", "n3", "n4"]
    assert third.metadata._continue is None


def test_delete_with_finalizers_waits_for_them(core: client.CoreV1Api) -> None:
    core.create_node({**node("n1"), "metadata": {"name": "n1", "finalizers": ["spotwise.io/x"]}})
    core.delete_node("n1")
    held = core.read_node("n1")
    assert held.metadata.deletion_timestamp is not None
    core.patch_node("n1", {"metadata": {"finalizers": None}}, _content_type=MERGE)
    with pytest.raises(ApiException) as gone:
        core.read_node("n1")
    assert gone.value.status == 404


def test_pod_delete_with_a_grace_period(core: client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", pod("p", "n1"))
    deleted = core.delete_namespaced_pod("p", "default", grace_period_seconds=5)
    assert deleted.metadata.deletion_grace_period_seconds == 5
    assert deleted.metadata.deletion_timestamp is not None
    assert core.list_namespaced_pod("default").items == []


def test_eviction_answers_429_when_the_budget_allows_no_disruption(
    api_client: client.ApiClient, core: client.CoreV1Api
) -> None:
    client.PolicyV1Api(api_client).create_namespaced_pod_disruption_budget(
        "default",
        {
            "metadata": {"name": "web"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
        },
    )
    for name in ("a", "b"):
        core.create_namespaced_pod("default", pod(name, "n1", {"app": "web"}))
        run_pod(core, name)
    eviction = {"metadata": {"name": "a", "namespace": "default"}}
    core.create_namespaced_pod_eviction("a", "default", eviction)
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["b"]
    with pytest.raises(ApiException) as blocked:
        core.create_namespaced_pod_eviction("b", "default", {"metadata": {"name": "b"}})
    assert blocked.value.status == 429
    assert "disruption budget" in status_of(blocked.value)["message"]  # type: ignore[operator]
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["b"]


def test_leases_and_events(api_client: client.ApiClient, core: client.CoreV1Api) -> None:
    leases = client.CoordinationV1Api(api_client)
    lease = leases.create_namespaced_lease(
        "kube-system",
        {
            "metadata": {"name": "spotwise"},
            "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15},
        },
    )
    lease.spec.holder_identity = "b"
    assert (
        leases.replace_namespaced_lease("spotwise", "kube-system", lease).spec.holder_identity
        == "b"
    )
    with pytest.raises(ApiException) as taken:
        leases.replace_namespaced_lease("spotwise", "kube-system", lease)  # stale now
    assert taken.value.status == 409
    core.create_namespaced_event(
        "default",
        {
            "metadata": {"generateName": "n1."},
            "involvedObject": {"kind": "Node", "name": "n1"},
            "reason": "SpotInterruption",
            "message": "two minutes",
            "type": "Warning",
        },
    )
    events = core.list_namespaced_event("default", field_selector="involvedObject.name=n1")
    assert [e.reason for e in events.items] == ["SpotInterruption"]
    assert events.items[0].metadata.name.startswith("n1.")


def test_server_state_is_per_server(kubeapi: KubeApiServer, core: client.CoreV1Api) -> None:
    assert kubeapi.url.startswith("http://127.0.0.1:")
    assert [n.metadata.name for n in core.list_namespace().items] == [
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
    ]


def test_a_continue_token_older_than_the_event_log_is_410(
    kubeapi: KubeApiServer, core: client.CoreV1Api
) -> None:
    for i in range(3):
        core.create_node(node(f"n{i}"))
    first = core.list_node(limit=2)
    core.create_node(node("n3"))
    kubeapi.store.compact()  # forgets the writes up to n3's, after the token's
    with pytest.raises(ApiException) as expired:
        core.list_node(limit=2, _continue=first.metadata._continue)
    assert expired.value.status == 410
    assert status_of(expired.value)["reason"] == "Expired"


def test_concurrent_read_modify_write_loses_no_update(kubeconfig: Path) -> None:
    # Each writer increments a counter with the optimistic-concurrency loop controllers
    # use: read, change, replace with the read resourceVersion, again on 409.
    writers, increments = 6, 5
    setup = config.new_client_from_config(config_file=str(kubeconfig))
    client.CoreV1Api(setup).create_node(
        {**node("n1"), "metadata": {"name": "n1", "annotations": {"count": "0"}}}
    )

    def write() -> None:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        core = client.CoreV1Api(api)
        for _ in range(increments):
            while True:
                current = core.read_node("n1")
                count = int(current.metadata.annotations["count"])
                current.metadata.annotations["count"] = str(count + 1)
                try:
                    core.replace_node("n1", current)
                    break
                except ApiException as e:
                    assert e.status == 409
        api.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    final = client.CoreV1Api(setup).read_node("n1")
    setup.close()
    assert final.metadata.annotations["count"] == str(writers * increments)


def test_the_dynamic_client_finds_resources_through_discovery(
    api_client: client.ApiClient,
) -> None:
    dyn = dynamic.DynamicClient(api_client)
    nodes = dyn.resources.get(api_version="v1", kind="Node")
    nodes.create(body={"metadata": {"name": "n1"}})
    patched = nodes.patch(
        name="n1",
        body={"metadata": {"labels": {"a": "b"}}},
        content_type="application/merge-patch+json",
    )
    assert patched.to_dict()["metadata"]["labels"] == {"a": "b"}
    assert [n.metadata.name for n in nodes.get().items] == ["n1"]
    pods = dyn.resources.get(api_version="v1", kind="Pod")
    assert pods.namespaced and set(pods.subresources) == {"status", "eviction", "binding"}
    budgets = dyn.resources.get(api_version="policy/v1", kind="PodDisruptionBudget")
    assert budgets.get(namespace="default").items == []
