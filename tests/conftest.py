"""Shared fixtures: a moto server on loopback, one per session, reset per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from spotwise.testing import moto_lifecycle

# Credentials that can never reach a real account.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint URL of a moto server on a free loopback port."""
    moto_lifecycle.install()  # CompleteLifecycleAction and heartbeats, as AWS answers them
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_endpoint(moto_server: str) -> Iterator[str]:
    """The moto endpoint, with all state reset before the test."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    moto_lifecycle.reset()
    yield moto_server


@pytest.fixture
def boto_session() -> boto3.Session:
    """A boto3 session with test credentials in us-east-1."""
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


def client(session: boto3.Session, service: str, endpoint: str, **kwargs: Any) -> Any:
    """A boto3 client of ``service`` talking to the moto server."""
    return session.client(service, endpoint_url=endpoint, **kwargs)
