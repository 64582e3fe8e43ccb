"""The drain's steps: replacement first, critical last, deadline-aware, backoff."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spotwise.decisions.interruption.drain import (
    EVICTION_WINDOW_SECONDS,
    MARGIN_SECONDS,
    Backoff,
    DrainPod,
    Role,
    drain_step,
)

WEB = DrainPod("shop/web-1", 30.0)
SLOW = DrainPod("shop/db-0", 60.0)
AGENT = DrainPod("kube-system/fluent-bit-x", 30.0, Role.CRITICAL)
DAEMON = DrainPod("kube-system/node-exporter-y", 30.0, Role.STAYS)
DEADLINE = 1_000.0


def test_nothing_is_evicted_until_the_replacement_is_ready() -> None:
    step = drain_step([WEB, DAEMON], 800.0, DEADLINE, replacement_ready=False)
    assert step.evict == () and step.delete == () and "replacement" in step.waiting
    ready = drain_step([WEB, DAEMON], 800.0, DEADLINE, replacement_ready=True)
    assert ready.evict == ("shop/web-1",) and not ready.waiting


def test_the_deadline_starts_each_pods_eviction_early_enough_for_its_grace_period() -> None:
    latest = DEADLINE - SLOW.grace_seconds - MARGIN_SECONDS - EVICTION_WINDOW_SECONDS
    assert drain_step([WEB, SLOW], latest - 1, DEADLINE, False).evict == ()
    started = drain_step([WEB, SLOW], latest, DEADLINE, False)
    assert started.evict == ("shop/db-0",)  # the long grace period does not hurry WEB
    web_latest = DEADLINE - WEB.grace_seconds - MARGIN_SECONDS - EVICTION_WINDOW_SECONDS
    later = drain_step([WEB, SLOW], web_latest, DEADLINE, False)
    assert later.evict == (WEB.key,) and later.delete == (SLOW.key,)


def test_pods_with_ready_room_go_one_by_one_before_the_rest_have_room() -> None:
    step = drain_step([WEB, SLOW, AGENT], 0.0, DEADLINE, False, room={WEB.key, AGENT.key})
    assert step.evict == (WEB.key,)  # the critical pod waits for every ordinary one
    assert drain_step([SLOW], 0.0, None, False, room=()).evict == ()


def test_a_pod_still_running_when_its_time_is_up_is_deleted() -> None:
    last_call = DEADLINE - WEB.grace_seconds - MARGIN_SECONDS
    step = drain_step([WEB, SLOW], last_call, DEADLINE, True)
    assert step.delete == ("shop/web-1", "shop/db-0")
    assert step.evict == ()  # deleted pods are not also evicted
    early = drain_step([WEB, SLOW], last_call - 1, DEADLINE, True)
    assert early.delete == ("shop/db-0",) and early.evict == ("shop/web-1",)


def test_critical_pods_leave_after_every_ordinary_one() -> None:
    first = drain_step([AGENT, WEB], 0.0, None, True)
    assert first.evict == ("shop/web-1",)
    gone = DrainPod(WEB.key, terminating=True)
    assert drain_step([AGENT, gone], 0.0, None, True).evict == (AGENT.key,)


def test_daemonset_pods_stay_and_the_drain_is_done_without_them() -> None:
    assert drain_step([DAEMON], 0.0, DEADLINE, False).done
    terminating = drain_step(
        [DaemonPod := DrainPod("a/b", terminating=True), DAEMON], 0, None, True
    )
    assert not terminating.done and terminating.waiting == "pods terminating"
    del DaemonPod


def test_a_refused_pod_waits_for_its_backoff() -> None:
    backoff = Backoff()
    assert backoff.refused(WEB.key, 10.0) == 10.1
    assert backoff.refused(WEB.key, 10.1) == 10.1 + 0.2
    assert drain_step([WEB], 10.2, None, True, backoff.retry_at).evict == ()
    assert drain_step([WEB], 10.3, None, True, backoff.retry_at).evict == (WEB.key,)
    for _ in range(20):
        at = backoff.refused(WEB.key, 100.0)
    assert at == 110.0  # capped at 10 s
    backoff.forget(WEB.key)
    assert backoff.refused(WEB.key, 0.0) == 0.1


pods = st.lists(
    st.builds(
        DrainPod,
        st.text(min_size=1, max_size=5).map(lambda s: f"ns/{s}"),
        st.floats(0, 300),
        st.sampled_from(list(Role)),
        st.booleans(),
    ),
    max_size=8,
    unique_by=lambda p: p.key,
)


@given(pods, st.floats(0, 2000), st.none() | st.floats(0, 2000), st.booleans())
def test_a_step_never_touches_staying_or_terminating_pods(
    drain: list[DrainPod], now: float, deadline: float | None, ready: bool
) -> None:
    step = drain_step(drain, now, deadline, ready)
    untouchable = {p.key for p in drain if p.role is Role.STAYS or p.terminating}
    assert not untouchable & {*step.evict, *step.delete}
    assert not set(step.evict) & set(step.delete)
    if deadline is None:
        assert step.delete == ()


def test_pods_stuck_terminating_stop_holding_the_node_at_the_deadline() -> None:
    stuck = DrainPod("shop/web-1", 30.0, terminating=True)
    before = drain_step([stuck, DAEMON], DEADLINE - 1, DEADLINE, replacement_ready=True)
    assert not before.done and before.waiting == "pods terminating"
    at = drain_step([stuck, DAEMON], DEADLINE, DEADLINE, replacement_ready=True)
    assert at.done  # the instance is going: its hook is released, the node retired
    # Without a deadline (a rebalance recommendation) they are waited for.
    assert not drain_step([stuck], 10 * DEADLINE, None, replacement_ready=True).done
