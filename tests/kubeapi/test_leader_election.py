"""Leases judged by the official client's (sync) leader election: one leader at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.leaderelection import electionconfig, leaderelection
from kubernetes.leaderelection.resourcelock.leaselock import LeaseLock


@pytest.fixture
def default_client(kubeconfig: Path) -> Iterator[None]:
    # LeaseLock talks through the client's default configuration.
    config.load_kube_config(config_file=str(kubeconfig))
    yield
    client.Configuration.set_default(client.Configuration())


def candidate(identity: str, leaders: list[str], release: threading.Event) -> threading.Thread:
    def lead() -> None:
        leaders.append(identity)
        release.wait(20)
        raise RuntimeError("step down")  # the election stops renewing when this raises

    election = electionconfig.Config(
        LeaseLock("spotwise", "kube-system", identity),
        lease_duration=3,
        renew_deadline=2,
        retry_period=1,
        onstarted_leading=lead,
        onstopped_leading=lambda: None,
    )
    thread = threading.Thread(target=leaderelection.LeaderElection(election).run, daemon=True)
    thread.start()
    return thread


@pytest.mark.usefixtures("default_client")
def test_leader_election_hands_the_lease_over_only_when_it_expires(
    core: client.CoreV1Api, api_client: client.ApiClient
) -> None:
    leases = client.CoordinationV1Api(api_client)
    leaders: list[str] = []
    release_a, release_b = threading.Event(), threading.Event()
    a = candidate("a", leaders, release_a)
    deadline = time.monotonic() + 10
    while not leaders and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leaders == ["a"]
    b = candidate("b", leaders, release_b)
    time.sleep(4)  # longer than the lease: a renews it, so b must not lead
    assert leaders == ["a"]
    assert leases.read_namespaced_lease("spotwise", "kube-system").spec.holder_identity == "a"
    release_a.set()
    a.join(10)
    deadline = time.monotonic() + 10
    while len(leaders) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leaders == ["a", "b"]
    lease = leases.read_namespaced_lease("spotwise", "kube-system")
    assert lease.spec.holder_identity == "b"
    release_b.set()
    b.join(10)
    assert not a.is_alive() and not b.is_alive()
