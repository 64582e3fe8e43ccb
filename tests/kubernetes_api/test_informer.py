"""Informers: list, watch, resume where the watch stopped, list again after 410 Gone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client

from spotwise.kubernetes.api.informer import NODES, PODS, PVCS, Informer
from spotwise.testing.kubeapi import KubeApiServer

from kubeapi.helpers import node, pod  # isort: skip

from .waiting import until


def names(informer: Informer) -> list[str]:
    return sorted(
        f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}".lstrip("/")
        for o in informer.items()
    )


@pytest.fixture
def informers() -> Iterator[list[Informer]]:
    made: list[Informer] = []
    yield made
    for informer in made:
        informer.stop()


def test_an_informer_lists_then_follows_every_change(
    api: client.ApiClient, core: client.CoreV1Api, informers: list[Informer]
) -> None:
    core.create_node(node("n1"))
    core.create_namespaced_pod("default", pod("a", "n1"))
    nodes = Informer(api, NODES).start()
    pods = Informer(api, PODS).start()
    informers += [nodes, pods]
    assert nodes.wait_synced(10) and pods.wait_synced(10)
    assert names(nodes) == ["n1"] and names(pods) == ["default/a"]
    assert nodes.get("n1") is not None and pods.get("default/a") is not None
    core.create_node(node("n2"))
    core.patch_node("n1", {"metadata": {"labels": {"seen": "yes"}}})
    core.delete_namespaced_pod("a", "default")
    until(lambda: names(nodes) == ["n1", "n2"], "n2 added")
    until(lambda: (nodes.get("n1") or {})["metadata"]["labels"].get("seen") == "yes", "n1 changed")
    until(lambda: names(pods) == [], "pod a deleted")
    assert nodes.lists == 1 and pods.lists == 1


def test_a_large_list_is_read_in_pages_into_one_cache(
    api: client.ApiClient, core: client.CoreV1Api, informers: list[Informer]
) -> None:
    for i in range(7):
        core.create_node(node(f"n{i}"))
    nodes = Informer(api, NODES, page_size=2).start()
    informers.append(nodes)
    assert nodes.wait_synced(10)
    assert names(nodes) == [f"n{i}" for i in range(7)]
    assert nodes.lists == 1


def test_cached_objects_drop_managed_fields_and_keep_their_kind(
    api: client.ApiClient, core: client.CoreV1Api, informers: list[Informer]
) -> None:
    body = node("n1")
    body["metadata"]["managedFields"] = [{"manager": "kubectl", "operation": "Apply"}]
    core.create_node(body)
    nodes = Informer(api, NODES).start()
    informers.append(nodes)
    assert nodes.wait_synced(10)
    cached = nodes.get("n1")
    assert cached is not None
    assert "managedFields" not in cached["metadata"]
    assert cached["kind"] == "Node" and cached["apiVersion"] == "v1"


def test_a_dropped_watch_resumes_from_the_last_resource_version_without_listing(
    api: client.ApiClient, core: client.CoreV1Api, informers: list[Informer]
) -> None:
    core.create_node(node("n1"))
    core.create_node(node("n2"))
    nodes = Informer(api, NODES).start()
    informers.append(nodes)
    assert nodes.wait_synced(10)
    nodes.stop()  # the connection is gone; the cache and its resourceVersion stay
    core.create_node(node("n3"))
    core.delete_node("n1")
    nodes.start()
    until(lambda: names(nodes) == ["n2", "n3"], "the writes made while disconnected")
    assert nodes.lists == 1
    assert nodes.watches == 2


def test_a_watch_the_server_ends_is_opened_again(
    api: client.ApiClient, core: client.CoreV1Api, informers: list[Informer]
) -> None:
    nodes = Informer(api, NODES, watch_seconds=1).start()
    informers.append(nodes)
    assert nodes.wait_synced(10)
    until(lambda: nodes.watches >= 2, "a second watch")
    core.create_node(node("n1"))
    until(lambda: names(nodes) == ["n1"], "n1 through the new watch")
    assert nodes.lists == 1


def test_after_410_gone_the_informer_lists_again(
    kubeapi: KubeApiServer,
    api: client.ApiClient,
    core: client.CoreV1Api,
    informers: list[Informer],
) -> None:
    core.create_node(node("n1"))
    nodes = Informer(api, NODES).start()
    informers.append(nodes)
    assert nodes.wait_synced(10)
    nodes.stop()
    core.create_node(node("n2"))
    core.delete_node("n1")
    kubeapi.store.compact()  # the informer's resourceVersion is now too old to watch from
    nodes.start()
    until(lambda: nodes.lists == 2, "a second list")
    until(lambda: names(nodes) == ["n2"], "the cache replaced by the new list")


def test_the_storage_resources_are_served_and_watched(
    api: client.ApiClient, core: client.CoreV1Api, informers: list[Informer]
) -> None:
    claims = Informer(api, PVCS).start()
    informers.append(claims)
    assert claims.wait_synced(10)
    core.create_namespaced_persistent_volume_claim(
        "default",
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    until(lambda: names(claims) == ["default/data"], "the claim")


def test_on_change_names_each_changed_object(
    api: client.ApiClient, core: client.CoreV1Api, informers: list[Informer]
) -> None:
    core.create_node(node("n1"))
    changed: list[str] = []
    nodes = Informer(api, NODES, on_change=changed.append).start()
    informers.append(nodes)
    assert nodes.wait_synced(10)
    core.create_node(node("n2"))
    core.delete_node("n1")
    until(lambda: changed == ["n1", "n2", "n1"], "the list's n1, then n2 added, n1 deleted")
