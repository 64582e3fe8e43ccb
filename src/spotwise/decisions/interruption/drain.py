"""One step of draining a node that is going away: who is evicted, who is deleted, or why wait.

Pure: the node's pods and the clock in, a `DrainStep` out; the interruption loop carries
it out through the Cluster port and calls again. The rules, NTH's and Karpenter's with
replacement first:

* Replacement first: a pod is not evicted until it has somewhere Ready to go (all the
  node's pods, ``replacement_ready``, or this pod, ``room``: pods go one by one as room
  for each appears), unless the deadline no longer allows it to wait: its eviction then
  starts early enough for an eviction window and its own grace period, plus a margin,
  to end before it (a pod with a long grace period does not hurry the others).
* Non-critical pods go before critical ones (``system-cluster-critical`` and
  ``system-node-critical``): a node's logging or networking agents leave last.
* DaemonSet pods and mirror (static) pods are left alone: they die with the node.
* A pod refused by its budget is tried again after a backoff (`Backoff`: 100 ms
  doubling to 10 s), never in a hot loop.
* Deadline-aware: a pod still running at (deadline - its grace period - margin) is
  deleted, budgets aside, so that it stops gracefully before the instance is gone.
* Pods still terminating at the deadline do not hold the node any longer.
* Once the pods are gone, the node waits for its volumes to detach (`detach_until`)
  before its instance goes, so that a StatefulSet's volume is free for the pod's
  replacement at once instead of after the attach-detach controller's six-minute
  force-detach.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

# Seconds kept between the end of a pod's grace period and the deadline: the API's and the
# kubelet's own latency.
MARGIN_SECONDS = 5.0
# Seconds eviction gets, when the deadline forces it to start, before pods are deleted:
# time for budgets to let pods go one by one as their replacements start.
EVICTION_WINDOW_SECONDS = 10.0
# How long a drained node without a deadline waits for its volumes to detach.
DETACH_WAIT_SECONDS = 300.0
BACKOFF_FIRST_SECONDS = 0.1
BACKOFF_MAX_SECONDS = 10.0


class Role(enum.Enum):
    """What a pod is to the drain."""

    ORDINARY = "ordinary"
    CRITICAL = "critical"  # evicted after every ordinary pod
    STAYS = "stays"  # DaemonSet and mirror pods: never evicted


@dataclass(frozen=True, slots=True)
class DrainPod:
    """A pod on the node being drained.

    Attributes:
        key: ``namespace/name``.
        grace_seconds: Its ``terminationGracePeriodSeconds``.
        role: Ordinary, critical, or staying with the node.
        terminating: Already being deleted (evicted or deleted earlier).
    """

    key: str
    grace_seconds: float = 30.0
    role: Role = Role.ORDINARY
    terminating: bool = False


@dataclass(frozen=True, slots=True)
class DrainStep:
    """What to do now.

    Attributes:
        evict: Pods to evict through the eviction API (budgets honoured).
        delete: Pods to delete now, budgets aside: their time before the deadline is up.
        waiting: Why nothing is evicted yet ("" when eviction has started).
        done: Only pods that stay with the node are left: the node can go.
    """

    evict: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()
    waiting: str = ""
    done: bool = False


def drain_step(
    pods: Sequence[DrainPod],
    now: float,
    deadline: float | None,
    replacement_ready: bool,
    retry_at: Mapping[str, float] | None = None,
    room: Collection[str] = (),
) -> DrainStep:
    """The next step of a drain (see the module's rules).

    Args:
        pods: The node's pods.
        now: The time, in seconds since the epoch.
        deadline: When the instance goes away; None when it does not (a rebalance
            recommendation, or maintenance that only stops it later).
        replacement_ready: Whether the pods that must leave fit on Ready nodes now.
        retry_at: Pods refused by their budget, with when to try them again.
        room: Pods that fit on Ready nodes now when not all do: they may go already.
    """
    leaving = [p for p in pods if p.role is not Role.STAYS]
    if not [p for p in leaving if not p.terminating]:
        # Past the deadline the instance is gone or going: a pod stuck terminating (its
        # node unreachable, a finalizer) must not hold the node, or its hook, for ever.
        done = not leaving or (deadline is not None and now >= deadline)
        return DrainStep(done=done, waiting="" if done else "pods terminating")
    delete = tuple(
        p.key
        for p in leaving
        if not p.terminating
        and deadline is not None
        and now >= deadline - p.grace_seconds - MARGIN_SECONDS
    )
    running = [p for p in leaving if not p.terminating and p.key not in delete]
    # Critical pods go once no ordinary pod is left to go.
    role = Role.ORDINARY if any(p.role is Role.ORDINARY for p in running) else Role.CRITICAL
    wave = [p for p in running if p.role is role]
    if not replacement_ready:
        wave = [p for p in wave if p.key in room or _must_start(p, now, deadline)]
        if not wave:
            return DrainStep(delete=delete, waiting="waiting for replacement capacity to be Ready")
    later = retry_at or {}
    evict = tuple(p.key for p in wave if later.get(p.key, now) <= now)
    return DrainStep(evict=evict, delete=delete)


def _must_start(pod: DrainPod, now: float, deadline: float | None) -> bool:
    """Whether waiting longer would leave the pod too little time before the deadline."""
    if deadline is None:
        return False
    return now >= deadline - pod.grace_seconds - MARGIN_SECONDS - EVICTION_WINDOW_SECONDS


def detach_until(deadline: float | None, drained_at: float) -> float:
    """Until when a drained node waits for its volumes to detach before it goes.

    Args:
        deadline: When the instance goes away anyway (None: it does not).
        drained_at: When its pods were all gone.
    """
    if deadline is None:
        return drained_at + DETACH_WAIT_SECONDS
    return deadline - MARGIN_SECONDS


def heartbeat_due(last: float, timeout: float, now: float) -> bool:
    """Whether a lifecycle hook held since ``last`` needs a heartbeat now.

    At half its timeout: a heartbeat lost to an API error still has the other half.
    """
    return now >= last + timeout / 2


class Backoff:
    """Per-pod retry times after budget refusals: 100 ms, doubling up to 10 s."""

    def __init__(self) -> None:
        self._failures: dict[str, int] = {}
        self.retry_at: dict[str, float] = {}

    def refused(self, key: str, now: float) -> float:
        """Note a refusal; returns when to try the pod again."""
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        wait = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2**failures)
        self.retry_at[key] = now + wait
        return self.retry_at[key]

    def forget(self, key: str) -> None:
        """The pod was evicted or is gone."""
        self._failures.pop(key, None)
        self.retry_at.pop(key, None)
