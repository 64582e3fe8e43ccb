"""The adapter against the project's Kubernetes API test server on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client

from spotwise.kubernetes.api.client import connect
from spotwise.kubernetes.api.cluster import KubernetesCluster
from spotwise.testing.kubeapi import KubeApiServer

from .waiting import until


@pytest.fixture
def kubeapi(tmp_path: Path) -> Iterator[KubeApiServer]:
    """The test API server as tests/kubeapi starts it: a small event log, quick bookmarks."""
    server = KubeApiServer(port=0, log_size=50, bookmark_interval=0.2)
    with server:
        server.write_kubeconfig(tmp_path / "kubeconfig")
        yield server


@pytest.fixture
def kubeconfig(kubeapi: KubeApiServer, tmp_path: Path) -> Path:
    return tmp_path / "kubeconfig"


@pytest.fixture
def api(kubeconfig: Path) -> Iterator[client.ApiClient]:
    """A client from `connect`: rate-limited and retried, as the controller's."""
    made = connect(kubeconfig)
    yield made
    made.close()


@pytest.fixture
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def apps(api: client.ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api)


@pytest.fixture
def policy(api: client.ApiClient) -> client.PolicyV1Api:
    return client.PolicyV1Api(api)


@pytest.fixture
def cluster(api: client.ApiClient) -> Iterator[KubernetesCluster]:
    made = KubernetesCluster(api, reporting_instance="test").start()
    assert made.wait_synced(10)
    yield made
    made.stop()


@pytest.fixture
def caught_up(kubeapi: KubeApiServer, cluster: KubernetesCluster) -> Callable[[], None]:
    """Wait until every informer has seen every write made so far (bookmarks carry it)."""

    def wait() -> None:
        target = kubeapi.store.resource_version
        until(
            lambda: all(int(i.resource_version or 0) >= target for i in cluster.informers.values()),
            f"informers at resourceVersion {target}",
        )

    return wait
