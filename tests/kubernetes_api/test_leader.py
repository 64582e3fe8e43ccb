"""LeaderElector: one leader at a time over a Lease, on a manual clock."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from kubernetes import client

from spotwise.kubernetes.api import leader, raw
from spotwise.kubernetes.api.leader import LeaderElector, micro_time, parse_time
from spotwise.ports.clock import ManualClock

from .waiting import PATIENCE

MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
START = 1_800_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def elector(api: client.ApiClient, identity: str, clock: ManualClock) -> LeaderElector:
    return LeaderElector(api, "kube-system", "spotwise", identity, clock=clock)


def lease(api: client.ApiClient) -> Any:
    return client.CoordinationV1Api(api).read_namespaced_lease("spotwise", "kube-system").spec


def test_the_first_candidate_creates_the_lease_and_leads_alone(
    api: client.ApiClient, clock: ManualClock
) -> None:
    a, b = elector(api, "a", clock), elector(api, "b", clock)
    assert a.try_acquire_or_renew() is True
    assert b.try_acquire_or_renew() is False
    assert a.is_leader and not b.is_leader
    spec = lease(api)
    assert spec.holder_identity == "a"
    assert spec.lease_duration_seconds == 15
    assert spec.lease_transitions == 0
    found = raw.call(api, "GET", a.path)["spec"]
    assert MICRO_TIME.match(found["renewTime"]) and MICRO_TIME.match(found["acquireTime"])


def test_a_renewed_lease_stays_and_an_expired_one_is_taken_over(
    api: client.ApiClient, clock: ManualClock
) -> None:
    a, b = elector(api, "a", clock), elector(api, "b", clock)
    assert a.try_acquire_or_renew()
    clock.advance(10)
    assert a.try_acquire_or_renew()  # renewed at +10: held until +25
    first_acquired = raw.call(api, "GET", a.path)["spec"]["acquireTime"]
    clock.advance(8)  # +18: within the lease and within a's renew deadline
    assert not b.try_acquire_or_renew()
    assert a.is_leader
    clock.advance(8)  # +26: a has not renewed for 16 s, more than the lease's 15
    assert not a.is_leader  # past its renew deadline, a stops acting before b starts
    assert b.try_acquire_or_renew()
    assert b.is_leader
    spec = raw.call(api, "GET", a.path)["spec"]
    assert spec["holderIdentity"] == "b"
    assert spec["leaseTransitions"] == 1
    assert spec["acquireTime"] != first_acquired
    assert parse_time(spec["renewTime"]) == START + 26
    assert not a.try_acquire_or_renew()  # a comes back: b holds it now


def test_release_hands_the_lease_over_at_once(api: client.ApiClient, clock: ManualClock) -> None:
    a, b = elector(api, "a", clock), elector(api, "b", clock)
    assert a.try_acquire_or_renew()
    assert a.release()
    assert not a.is_leader
    assert lease(api).holder_identity in ("", None)
    assert b.try_acquire_or_renew()  # no waiting for the lease to expire
    assert lease(api).holder_identity == "b"
    assert lease(api).lease_transitions == 1
    assert not a.release()  # not ours any more: nothing to release


def test_two_candidates_racing_for_an_expired_lease_cannot_both_win(
    api: client.ApiClient, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = elector(api, "a", clock), elector(api, "b", clock)
    holder = elector(api, "old", clock)
    assert holder.try_acquire_or_renew()
    clock.advance(30)  # expired: both a and b may take it
    real_call = raw.call
    raced = []

    def call_then_let_b_win(api_: Any, method: str, path: str, **kwargs: Any) -> Any:
        answer = real_call(api_, method, path, **kwargs)
        if method == "GET" and not raced:
            # a has read the expired Lease; b reads and takes it before a writes.
            raced.append(True)
            monkeypatch.setattr(leader.raw, "call", real_call)
            assert b.try_acquire_or_renew()
            monkeypatch.setattr(leader.raw, "call", call_then_let_b_win)
        return answer

    monkeypatch.setattr(leader.raw, "call", call_then_let_b_win)
    assert a.try_acquire_or_renew() is False  # its write names a stale resourceVersion
    assert raced and b.is_leader and not a.is_leader
    assert lease(api).holder_identity == "b"


def test_micro_time_round_trips() -> None:
    assert micro_time(START + 0.25) == "2027-01-15T08:00:00.250000Z"
    assert parse_time(micro_time(START + 0.25)) == START + 0.25
    assert parse_time("2027-01-15T08:00:00Z") == START
    assert parse_time("yesterday") is None


def test_renew_must_come_before_the_lease_expires(api: client.ApiClient) -> None:
    with pytest.raises(ValueError):
        LeaderElector(api, "kube-system", "spotwise", "a", lease_seconds=10, renew_seconds=10)


def test_run_leads_until_stopped_then_releases(api: client.ApiClient) -> None:
    a = LeaderElector(
        api, "kube-system", "spotwise", "a", lease_seconds=15, renew_seconds=10, retry_seconds=0.05
    )
    started, stopped, stop = threading.Event(), threading.Event(), threading.Event()
    thread = threading.Thread(target=a.run, args=(stop, started.set, stopped.set), daemon=True)
    thread.start()
    assert started.wait(PATIENCE)
    assert lease(api).holder_identity == "a"
    stop.set()
    thread.join(PATIENCE)
    assert stopped.is_set() and not thread.is_alive()
    assert lease(api).holder_identity in ("", None)
