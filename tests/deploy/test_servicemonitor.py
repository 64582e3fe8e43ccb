"""The optional ServiceMonitor, checked structurally.

Neither kubernetes-validate nor this repository has the Prometheus operator's CRD, so the
ServiceMonitor is not checked against a schema: these tests check its shape and that it
scrapes the controller's metrics Service by the Service's labels and port name.
"""

from __future__ import annotations

from .conftest import Manifest, one


def test_the_servicemonitor_is_apart(
    rendered: list[Manifest], rendered_servicemonitor: list[Manifest]
) -> None:
    assert not [m for m in rendered if m["kind"] == "ServiceMonitor"]
    assert [m["kind"] for m in rendered_servicemonitor] == ["ServiceMonitor"]


def test_the_servicemonitor_scrapes_the_metrics_service(
    rendered: list[Manifest], rendered_servicemonitor: list[Manifest]
) -> None:
    monitor = one(rendered_servicemonitor, "ServiceMonitor")
    service = one(rendered, "Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(monitor) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(monitor["spec"]) == {"namespaceSelector", "selector", "endpoints"}
    assert monitor["metadata"]["namespace"] == service["metadata"]["namespace"]
    assert monitor["spec"]["namespaceSelector"] == {
        "matchNames": [service["metadata"]["namespace"]]
    }
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout", "scheme"}
