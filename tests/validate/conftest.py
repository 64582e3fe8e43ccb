"""Fixtures for the validate tests: a small catalog, pools, and a recorded moto session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

# The moto VPC fixtures of the AWS adapter tests, reused here.
from aws.conftest import (  # noqa: F401  (fixtures shared with the AWS adapter's tests)
    CLUSTER,
    Hooks,
    Network,
    calls,
    ec2,
    hooks,
    network,
    new_session,
    recorded_session,
)
from spotwise.catalog.catalog import Catalog, CatalogMetadata
from spotwise.config.nodepool import NodePool, parse_nodepool
from spotwise.model.instance_type import Architecture, CapacityType, InstanceType
from spotwise.model.offering import Offering, PriceSource
from spotwise.validate import VALIDATE_CALLS, AwsFacts

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
SPOT = CapacityType.SPOT
ON_DEMAND = CapacityType.ON_DEMAND
X86 = Architecture.X86_64
ARM = Architecture.ARM64
BOTH = {SPOT: ZONES, ON_DEMAND: ZONES}
# name -> (architecture, capacity type -> zones offering it)
TYPES: dict[str, tuple[Architecture, dict[CapacityType, tuple[str, ...]]]] = {
    "m6i.large": (X86, BOTH),
    "m6a.large": (X86, BOTH),
    "m5.large": (X86, BOTH),
    "c6i.large": (X86, BOTH),
    "r6i.large": (X86, BOTH),
    "m7g.large": (ARM, BOTH),
    "c7g.large": (ARM, BOTH),
    # Only in two zones.
    "m7i.large": (X86, {SPOT: ZONES[:2], ON_DEMAND: ZONES[:2]}),
    # On-demand only, in one zone.
    "p5.48xlarge": (X86, {ON_DEMAND: ZONES[:1]}),
    # A Mac: an architecture no NodePool image is given for.
    "mac1.metal": (Architecture.X86_64_MAC, {ON_DEMAND: ZONES[:1]}),
}
FIVE_X86 = ["m6i.large", "m6a.large", "m5.large", "c6i.large", "r6i.large"]


def make_catalog() -> Catalog:
    metadata = CatalogMetadata(
        region="us-east-1",
        built_at="2026-01-01T00:00:00Z",
        sources=(),
        zone_ids={zone: f"use1-az{i}" for i, zone in enumerate(ZONES, start=1)},
    )
    types = {
        name: InstanceType(name=name, vcpus=2, memory_mib=8192, architectures=(arch,))
        for name, (arch, _) in TYPES.items()
    }
    offerings = [
        Offering(name, zone, capacity_type, 0.1, PriceSource.PUBLISHED)
        for name, (_, offered) in TYPES.items()
        for capacity_type, zones in offered.items()
        for zone in zones
    ]
    return Catalog(metadata, types, {}, offerings)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return make_catalog()


LAUNCH: dict[str, Any] = {"ami": {"id": "ami-0123456789abcdef0"}, "instanceProfile": "NodeProfile"}


def make_pool(name: str = "general", launch: dict[str, Any] | None = None, **spec: Any) -> NodePool:
    """A pool; ``launch`` is merged over a minimal spec.launch, or omitted when None.

    A ``launch`` with ``amiByArchitecture`` replaces the minimal one's ``ami``.
    """
    body = dict(spec)
    if launch is not None:
        base = {k: v for k, v in LAUNCH.items() if k != "ami" or "amiByArchitecture" not in launch}
        body["launch"] = {**base, **launch}
    return parse_nodepool(
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": name},
            "spec": body,
        }
    )


@pytest.fixture
def validate_session(
    aws_endpoint: str,
    calls: list[str],  # noqa: F811  (the shared fixture)
    hooks: Hooks,  # noqa: F811
) -> Iterator[boto3.Session]:
    """A session for the code under test; every call it makes must be in VALIDATE_CALLS."""
    session = recorded_session(calls, hooks, ("before-call", "after-call"))
    yield session
    unlisted = sorted(set(calls) - VALIDATE_CALLS)
    assert not unlisted, f"calls missing from VALIDATE_CALLS: {unlisted}"


@pytest.fixture
def facts(validate_session: boto3.Session, aws_endpoint: str, ec2: Any) -> AwsFacts:  # noqa: F811
    """AwsFacts on moto for the cluster CLUSTER (ec2 first: it trims moto's default AMIs)."""
    return AwsFacts(
        validate_session, region="us-east-1", cluster=CLUSTER, endpoint_url=aws_endpoint
    )
