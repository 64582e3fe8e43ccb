"""Rules the docs claim beyond the basics, each through the official client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from .helpers import node, pod, run_pod

STRATEGIC = "application/strategic-merge-patch+json"


def test_json_patch(core: client.CoreV1Api) -> None:
    core.create_node(node("n1", {"a": "1"}))
    core.patch_node(
        "n1",
        [
            {"op": "test", "path": "/metadata/labels/a", "value": "1"},
            {"op": "add", "path": "/metadata/labels/spotwise.io~1state", "value": "draining"},
            {"op": "remove", "path": "/metadata/labels/a"},
            {"op": "add", "path": "/spec/taints", "value": [{"key": "k", "effect": "NoSchedule"}]},
        ],
    )
    read = core.read_node("n1")
    assert read.metadata.labels["spotwise.io/state"] == "draining"
    assert "a" not in read.metadata.labels
    assert [t.key for t in read.spec.taints] == ["k"]
    with pytest.raises(ApiException) as failed:
        core.patch_node("n1", [{"op": "test", "path": "/metadata/labels/a", "value": "1"}])
    assert failed.value.status == 422


def test_strategic_patch_directives_and_finalizers_as_a_set(core: client.CoreV1Api) -> None:
    core.create_node(
        {**node("n1"), "metadata": {"name": "n1", "finalizers": ["a", "b"]}},
    )
    core.patch_node("n1", {"metadata": {"finalizers": ["b", "c"]}}, _content_type=STRATEGIC)
    assert core.read_node("n1").metadata.finalizers == ["a", "b", "c"]
    core.patch_node(
        "n1", {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, _content_type=STRATEGIC
    )
    assert core.read_node("n1").metadata.finalizers == ["b", "c"]
    core.patch_node_status(
        "n1",
        {"status": {"conditions": [{"type": "Ready", "$patch": "delete"}]}},
        _content_type=STRATEGIC,
    )
    assert not core.read_node("n1").status.conditions


def test_delete_preconditions(core: client.CoreV1Api) -> None:
    created = core.create_node(node("n1"))
    core.patch_node("n1", {"metadata": {"labels": {"x": "y"}}})
    with pytest.raises(ApiException) as stale:
        core.delete_node(
            "n1",
            body=client.V1DeleteOptions(
                preconditions=client.V1Preconditions(
                    resource_version=created.metadata.resource_version
                )
            ),
        )
    assert stale.value.status == 409
    core.delete_node(
        "n1",
        body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=created.metadata.uid)),
    )
    assert core.list_node().items == []


def test_delete_collection_with_a_selector(core: client.CoreV1Api) -> None:
    for name, node_name in (("a", "n1"), ("b", "n1"), ("c", "n2")):
        core.create_namespaced_pod("default", pod(name, node_name))
    core.delete_collection_namespaced_pod(
        "default", field_selector="spec.nodeName=n1", grace_period_seconds=0
    )
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["c"]


def test_a_graceful_pod_delete_is_seen_as_modified_then_deleted(core: client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", pod("bound", "n1"))
    core.create_namespaced_pod("default", pod("pending"))
    start = core.list_namespaced_pod("default").metadata.resource_version
    core.delete_namespaced_pod("bound", "default")
    core.delete_namespaced_pod("pending", "default")
    seen: list[tuple[str, str, bool]] = []
    w = watch.Watch()
    for event in w.stream(
        core.list_namespaced_pod, "default", resource_version=start, timeout_seconds=5
    ):
        meta = event["object"].metadata
        seen.append((event["type"], meta.name, meta.deletion_timestamp is not None))
        if len(seen) == 3:
            break
    w.stop()
    assert seen == [
        ("MODIFIED", "bound", True),
        ("DELETED", "bound", True),
        ("DELETED", "pending", False),
    ]


def test_a_new_pod_is_pending_whatever_status_it_is_sent_with(core: client.CoreV1Api) -> None:
    body: dict[str, Any] = {**pod("p", "n1"), "status": {"phase": "Running"}}
    created = core.create_namespaced_pod("default", body)
    assert created.status.phase == "Pending"
    assert created.spec.termination_grace_period_seconds == 30
    run_pod(core, "p")
    assert core.read_namespaced_pod("p", "default").status.phase == "Running"


def test_a_pod_not_running_is_evicted_whatever_its_budget(
    api_client: client.ApiClient, core: client.CoreV1Api
) -> None:
    client.PolicyV1Api(api_client).create_namespaced_pod_disruption_budget(
        "default",
        {"metadata": {"name": "all"}, "spec": {"maxUnavailable": 0, "selector": {}}},
    )
    core.create_namespaced_pod("default", pod("pending", "n1"))
    core.create_namespaced_pod("default", pod("running", "n1"))
    run_pod(core, "running")
    core.create_namespaced_pod_eviction("pending", "default", {"metadata": {"name": "pending"}})
    with pytest.raises(ApiException) as blocked:
        core.create_namespaced_pod_eviction("running", "default", {"metadata": {"name": "running"}})
    assert blocked.value.status == 429
    causes = json.loads(blocked.value.body)["details"]["causes"]
    assert causes == [
        {
            "reason": "DisruptionBudget",
            "message": "The disruption budget all needs 1 healthy pods and has 1 currently",
        }
    ]
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["running"]
