"""pods/binding on the API test server, through the official client and kubectl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubeapi.helpers import kubectl, node, pod


def binding(pod_name: str, node_name: str, **metadata: str) -> client.V1Binding:
    return client.V1Binding(
        metadata=client.V1ObjectMeta(name=pod_name, **metadata),
        target=client.V1ObjectReference(kind="Node", name=node_name),
    )


def bind(core: client.CoreV1Api, body: client.V1Binding, pod_name: str = "web") -> dict:
    # The API server answers a Status, which the client cannot read as a V1Binding.
    response = core.create_namespaced_binding("default", body, _preload_content=False)
    assert response.status == 201
    answer: dict = json.loads(response.data)
    return answer


def status_of(error: ApiException) -> dict:
    answer: dict = json.loads(error.body)
    return answer


def test_binding_sets_the_node_name_and_the_scheduled_condition(core: client.CoreV1Api) -> None:
    core.create_node(node("n1"))
    core.create_namespaced_pod("default", pod("web"))
    answer = bind(core, binding("web", "n1", annotations={"team": "a"}))
    assert answer["kind"] == "Status" and answer["status"] == "Success"
    bound = core.read_namespaced_pod("web", "default")
    assert bound.spec.node_name == "n1"
    assert bound.metadata.annotations == {"team": "a"}
    assert [(c.type, c.status) for c in bound.status.conditions] == [("PodScheduled", "True")]
    assert bound.status.phase == "Pending"  # the kubelet starts it, not the binding
    listed = core.list_namespaced_pod("default", field_selector="spec.nodeName=n1")
    assert [p.metadata.name for p in listed.items] == ["web"]


def test_binding_a_bound_pod_is_a_conflict_and_an_unknown_pod_not_found(
    core: client.CoreV1Api,
) -> None:
    core.create_namespaced_pod("default", pod("web"))
    bind(core, binding("web", "n1"))
    with pytest.raises(ApiException) as bound:
        bind(core, binding("web", "n2"))
    assert bound.value.status == 409
    assert status_of(bound.value)["message"] == (
        'Operation cannot be fulfilled on pods/binding "web": '
        'pod web is already assigned to node "n1"'
    )
    assert core.read_namespaced_pod("web", "default").spec.node_name == "n1"
    with pytest.raises(ApiException) as missing:
        bind(core, binding("nope", "n1"))
    assert missing.value.status == 404
    assert status_of(missing.value)["reason"] == "NotFound"


def test_binding_checks_its_name_target_and_preconditions(core: client.CoreV1Api) -> None:
    created = core.create_namespaced_pod("default", pod("web"))
    with pytest.raises(ApiException) as renamed:
        core.create_namespaced_pod_binding("web", "default", binding("other", "n1"))
    assert renamed.value.status == 400
    with pytest.raises(ApiException) as no_target:
        bind(core, {"metadata": {"name": "web"}, "target": {"kind": "Node"}})  # type: ignore[arg-type]
    assert no_target.value.status == 422
    with pytest.raises(ApiException) as not_a_node:
        bind(core, {"metadata": {"name": "web"}, "target": {"kind": "Pod", "name": "x"}})  # type: ignore[arg-type]
    assert not_a_node.value.status == 422
    with pytest.raises(ApiException) as stale:
        bind(core, binding("web", "n1", uid="not-its-uid"))
    assert stale.value.status == 409
    assert not core.read_namespaced_pod("web", "default").spec.node_name
    bind(core, binding("web", "n1", uid=created.metadata.uid))
    assert core.read_namespaced_pod("web", "default").spec.node_name == "n1"


def test_the_pods_binding_subresource_binds_as_the_bindings_resource(
    core: client.CoreV1Api,
) -> None:
    core.create_namespaced_pod("default", pod("web"))
    response = core.create_namespaced_pod_binding(
        "web", "default", binding("web", "n1"), _preload_content=False
    )
    assert response.status == 201
    assert json.loads(response.data)["status"] == "Success"
    assert core.read_namespaced_pod("web", "default").spec.node_name == "n1"
    with pytest.raises(ApiException) as again:
        core.create_namespaced_pod_binding("web", "default", binding("web", "n2"))
    assert again.value.status == 409


def test_a_terminating_pod_cannot_be_bound(core: client.CoreV1Api) -> None:
    core.create_namespaced_pod(
        "default", {**pod("web"), "metadata": {"name": "web", "finalizers": ["x/y"]}}
    )
    core.delete_namespaced_pod("web", "default")
    with pytest.raises(ApiException) as deleting:
        bind(core, binding("web", "n1"))
    assert deleting.value.status == 409
    assert "is being deleted" in status_of(deleting.value)["message"]


def test_discovery_and_kubectl_see_the_binding(core: client.CoreV1Api, kubeconfig: Path) -> None:
    resources = {r.name: r for r in core.get_api_resources().resources}
    assert resources["pods/binding"].kind == "Binding"
    assert resources["pods/binding"].verbs == ["create"]
    core.create_node(node("n1"))
    core.create_namespaced_pod("default", pod("web"))
    bind(core, binding("web", "n1"))
    shown = kubectl(kubeconfig, "get", "pods", "-o", "wide").stdout
    (row,) = [line for line in shown.splitlines() if line.startswith("web")]
    assert row.split()[0] == "web"
    assert (
        json.loads(kubectl(kubeconfig, "get", "pod", "web", "-o", "json").stdout)["spec"][
            "nodeName"
        ]
        == "n1"
    )
