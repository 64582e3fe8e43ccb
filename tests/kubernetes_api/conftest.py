"""The adapter against the project's Kubernetes API test server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client

from spotwise.kubernetes.api.client import connect
from spotwise.testing.kubeapi import KubeApiServer


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
