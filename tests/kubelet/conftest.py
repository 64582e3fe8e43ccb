"""The API test server with the official client (from tests/kubeapi), and EC2 in moto."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from kubernetes import client

from aws.conftest import CLUSTER, Network, calls, cloud_session, ec2, hooks, network
from kubeapi.conftest import api_client, core, kubeapi, kubeconfig
from spotwise.catalog.bundled import load_bundled
from spotwise.catalog.catalog import Catalog
from spotwise.testing.kubelet import TestKubelets

from .launch import Nodes

__all__ = [
    "api_client",
    "calls",
    "cloud_session",
    "core",
    "ec2",
    "hooks",
    "kubeapi",
    "kubeconfig",
    "network",
]


@pytest.fixture
def catalog() -> Catalog:
    return load_bundled()


@pytest.fixture
def image_id(ec2: Any) -> str:
    return str(
        ec2.register_image(Name="eks-node", Architecture="x86_64", RootDeviceName="/dev/xvda")[
            "ImageId"
        ]
    )


@pytest.fixture
def nodes(
    cloud_session: boto3.Session, aws_endpoint: str, network: Network, catalog: Catalog
) -> Nodes:
    return Nodes(cloud_session, aws_endpoint, catalog)


@pytest.fixture
def kubelets(ec2: Any, core: client.CoreV1Api, catalog: Catalog) -> TestKubelets:
    return TestKubelets(ec2, core, CLUSTER, catalog)
