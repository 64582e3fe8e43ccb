"""The API test server with the official client (from tests/kubeapi), and EC2 in moto."""

from __future__ import annotations

from aws.conftest import calls, cloud_session, ec2, hooks, network
from kubeapi.conftest import api_client, core, kubeapi, kubeconfig

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
