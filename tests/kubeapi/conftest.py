"""A Kubernetes API test server per test, on a free loopback port, and real clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from spotwise.testing.kubeapi import KubeApiServer


@pytest.fixture
def kubeapi(tmp_path: Path) -> Iterator[KubeApiServer]:
    server = KubeApiServer(port=0, log_size=50, bookmark_interval=0.2)
    with server:
        server.write_kubeconfig(tmp_path / "kubeconfig")
        yield server


@pytest.fixture
def kubeconfig(kubeapi: KubeApiServer, tmp_path: Path) -> Path:
    return tmp_path / "kubeconfig"


@pytest.fixture
def api_client(kubeconfig: Path) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(config_file=str(kubeconfig))
    yield api
    api.close()


@pytest.fixture
def core(api_client: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api_client)
