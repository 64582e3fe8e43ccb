"""The batch window: 1 s after the last new pending pod, 10 s after the first at most."""

from __future__ import annotations

from spotwise.controller.batching import Batcher


def test_the_window_closes_one_second_after_the_last_new_pod() -> None:
    batcher = Batcher()
    assert not batcher.observe(0.0, {"a"})
    assert not batcher.observe(0.5, {"a", "b"})  # a new pod keeps the window open
    assert not batcher.observe(1.0, {"a", "b"})
    assert batcher.observe(1.5, {"a", "b"})


def test_a_steady_stream_of_pods_is_planned_after_ten_seconds_at_most() -> None:
    batcher = Batcher()
    pods: set[str] = set()
    for tenth in range(0, 100, 5):
        pods.add(f"p{tenth}")
        assert not batcher.observe(tenth / 10, pods)
    assert batcher.observe(10.0, pods | {"last"})


def test_nothing_new_nothing_to_plan_until_the_resync() -> None:
    batcher = Batcher(resync_seconds=30.0)
    batcher.observe(0.0, {"a"})
    assert batcher.observe(1.0, {"a"})
    batcher.ran(1.0)
    assert not batcher.observe(2.0, {"a"})
    assert not batcher.observe(30.0, {"a"})
    assert batcher.observe(31.0, {"a"})  # still pending: try again (a refused launch)
    batcher.ran(31.0)
    assert not batcher.observe(70.0, set())  # nothing pending, nothing to do


def test_pods_seen_before_a_round_are_not_new_after_it() -> None:
    batcher = Batcher()
    batcher.observe(0.0, {"a"})
    assert batcher.observe(1.0, {"a"})
    batcher.ran(1.0)
    assert not batcher.observe(1.2, {"a"})
    assert not batcher.observe(1.4, {"a", "b"})
    assert batcher.observe(2.4, {"a", "b"})
