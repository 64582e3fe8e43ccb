"""An IMDS test server per test on a free loopback port, on a clock that moves when told."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spotwise.aws.imds import ImdsClient
from spotwise.ports.clock import ManualClock
from spotwise.testing.imds import ImdsServer

# 2026-12-04T16:00:00Z: times in answers read as real ones.
START = 1796400000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def imds(clock: ManualClock) -> Iterator[ImdsServer]:
    with ImdsServer(port=0, clock=clock, instance_id="i-0abc", zone="eu-west-1b") as server:
        yield server


@pytest.fixture
def client(imds: ImdsServer, clock: ManualClock) -> ImdsClient:
    return ImdsClient(imds.url, clock=clock)
