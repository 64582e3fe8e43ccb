"""Watches through the official client's Watch: from a resourceVersion, 410, bookmarks."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from spotwise.testing.kubeapi import KubeApiServer

from .helpers import node, pod, run_pod


def events(stream: Any, count: int) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for event in stream:
        if event["type"] != "BOOKMARK":
            seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == count:
            break
    return seen


def test_watch_from_a_resource_version_sees_every_later_write_in_order(
    core: client.CoreV1Api,
) -> None:
    core.create_node(node("before"))
    start = core.list_node().metadata.resource_version
    core.create_node(node("n1"))
    core.patch_node("n1", {"spec": {"unschedulable": True}})
    core.delete_node("n1")
    w = watch.Watch()
    stream = w.stream(core.list_node, resource_version=start, timeout_seconds=5)
    assert events(stream, 3) == [("ADDED", "n1"), ("MODIFIED", "n1"), ("DELETED", "n1")]
    w.stop()


def test_watch_without_a_resource_version_starts_with_the_current_objects(
    core: client.CoreV1Api,
) -> None:
    core.create_node(node("n1"))
    w = watch.Watch()
    stream = w.stream(core.list_node, timeout_seconds=5)
    assert events(stream, 1) == [("ADDED", "n1")]
    core.create_node(node("n2"))
    assert events(stream, 1) == [("ADDED", "n2")]
    w.stop()


def test_watch_with_selectors_sees_objects_enter_and_leave(core: client.CoreV1Api) -> None:
    start = core.list_namespaced_pod("default").metadata.resource_version
    core.create_namespaced_pod("default", pod("a", "n1"))
    core.create_namespaced_pod("default", pod("b", "n2"))
    run_pod(core, "a")  # enters status.phase=Running
    core.patch_namespaced_pod("a", "default", {"metadata": {"labels": {"x": "y"}}})
    core.patch_namespaced_pod_status("a", "default", {"status": {"phase": "Failed"}})  # leaves
    w = watch.Watch()
    stream = w.stream(
        core.list_pod_for_all_namespaces,
        field_selector="spec.nodeName=n1,status.phase=Running",
        resource_version=start,
        timeout_seconds=5,
    )
    assert events(stream, 3) == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    w.stop()


def test_watch_from_a_compacted_resource_version_is_410_gone(
    kubeapi: KubeApiServer, core: client.CoreV1Api
) -> None:
    start = core.list_node().metadata.resource_version
    core.create_node(node("n1"))
    kubeapi.store.compact()
    w = watch.Watch()
    with pytest.raises(ApiException) as gone:
        events(w.stream(core.list_node, resource_version=start, timeout_seconds=5), 1)
    assert gone.value.status == 410
    assert "Expired" in str(gone.value.reason)


def test_the_event_log_keeps_only_the_last_events(
    kubeapi: KubeApiServer, core: client.CoreV1Api
) -> None:
    # The fixture's server keeps 50 events: 60 writes push the first out.
    start = core.list_node().metadata.resource_version
    for i in range(60):
        core.create_node(node(f"n{i:02}"))
    w = watch.Watch()
    with pytest.raises(ApiException) as gone:
        events(w.stream(core.list_node, resource_version=start, timeout_seconds=5), 1)
    assert gone.value.status == 410
    recent = str(kubeapi.store.resource_version - 10)
    stream = w.stream(core.list_node, resource_version=recent, timeout_seconds=5)
    assert events(stream, 10) == [("ADDED", f"n{i}") for i in range(50, 60)]
    w.stop()


def test_bookmarks_carry_the_current_resource_version(core: client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", pod("a", "n1"))
    start = core.list_node().metadata.resource_version
    core.create_namespaced_pod("default", pod("b", "n1"))  # a write no node watch sees
    w = watch.Watch()
    stream = w.stream(
        core.list_node, resource_version=start, allow_watch_bookmarks=True, timeout_seconds=5
    )
    bookmark = next(stream)
    assert bookmark["type"] == "BOOKMARK"
    assert int(bookmark["raw_object"]["metadata"]["resourceVersion"]) > int(start)
    assert w.resource_version == bookmark["raw_object"]["metadata"]["resourceVersion"]
    w.stop()


def test_a_watch_ends_at_its_timeout(core: client.CoreV1Api) -> None:
    w = watch.Watch()
    assert list(w.stream(core.list_node, resource_version="1", timeout_seconds=1)) == []


def test_a_watch_whose_client_hung_up_ends(kubeapi: KubeApiServer) -> None:
    before = set(threading.enumerate())
    response = requests.get(
        f"{kubeapi.url}/api/v1/nodes",
        params={"watch": "true", "resourceVersion": "1"},
        stream=True,
        timeout=5,
    )
    assert response.status_code == 200
    serving = set(threading.enumerate()) - before  # the thread serving the watch
    assert len(serving) == 1
    response.close()
    deadline = time.monotonic() + 5
    while any(t.is_alive() for t in serving) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.is_alive() for t in serving)


def test_a_malformed_resource_version_is_a_400_before_any_event(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as bad:
        list(watch.Watch().stream(core.list_node, resource_version="x", timeout_seconds=1))
    assert bad.value.status == 400
