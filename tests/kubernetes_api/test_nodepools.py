"""NodePools from custom resources: parsed, checked, watched for changes."""

from __future__ import annotations

from typing import Any

from kubernetes import client

from spotwise.kubernetes.api.client import connect
from spotwise.kubernetes.api.nodepools import NodePoolSource, parse_custom_resources

from .waiting import until

GROUP, VERSION, PLURAL = "spotwise.io", "v1alpha1", "nodepools"


def resource(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "NodePool",
        "metadata": {"name": name},
        "spec": spec,
    }


def test_server_fields_are_dropped_and_an_invalid_pool_is_named_in_one_line() -> None:
    served = resource("web", zones=["us-east-1a"])
    served["metadata"].update(uid="u-1", resourceVersion="7", generation=2)
    served["status"] = {"conditions": []}
    pools, errors = parse_custom_resources([served, resource("bad", minInstanceTypes=0)])
    assert [p.name for p in pools] == ["web"]
    (error,) = errors
    assert error.startswith("NodePool bad: spec.minInstanceTypes:")
    assert "\n" not in error


def test_the_source_reads_the_cluster_and_sees_edits(kubeconfig: Any) -> None:
    api = connect(kubeconfig)
    objects = client.CustomObjectsApi(api)
    objects.create_cluster_custom_object(GROUP, VERSION, PLURAL, resource("web", weight=10))
    source = NodePoolSource(api, check=lambda p: "too heavy" if p.spec.weight > 50 else None)
    try:
        assert source.start().wait_synced(10)
        first = source.changed()
        assert first is not None and [p.name for p in first.nodepools] == ["web"]
        assert source.changed() is None  # nothing new
        objects.patch_cluster_custom_object(GROUP, VERSION, PLURAL, "web", {"spec": {"weight": 60}})
        seen: list[Any] = []
        until(lambda: bool(seen.append(source.changed()) or seen[-1]), "the edit")
        edited = seen[-1]
        assert edited.nodepools == () and edited.errors == ("too heavy",)
    finally:
        source.stop()
        api.close()
