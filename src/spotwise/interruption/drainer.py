"""The drain loop: carries out `drain_step` on every node marked as interrupted.

State is on the nodes (`spotwise.decisions.interruption.node_state`), so this loop needs
no memory beyond budget backoffs: any replica, or the same one after a restart, picks up
where the last run stopped. Replacement first: each pod is evicted once it fits on a
Ready node that is not going away, after the pending pods (the replacements of pods that
left already) have taken their room (the provisioner counts the node's pods as pending
from the moment it is marked, so that capacity is being launched already), or when the
deadline allows it no more waiting.

Once a node's pods are gone (``drained-at`` on the node) it is retired, by its owner:

* spotwise's own node waits for its volumes to detach (bounded by the deadline), then its
  instance is terminated and the Node deleted;
* a node held by an Auto Scaling lifecycle hook waits for its volumes likewise, then the
  action is released (CompleteLifecycleAction, CONTINUE) and the group terminates it;
  while the drain runs the hook is kept alive with heartbeats at half its timeout;
* a node of a reboot-only maintenance stays cordoned until it is back (a new boot id,
  Ready), then the marks come off;
* any other node stays cordoned until its owner removes it.

A voluntary drain (consolidation, expiry, drift) without a deadline gives up when none
of its pods has left for `STALLED_SECONDS` (a replacement that never comes up, a budget
stuck at zero): its marks come off, the node serves again, and a note on it
(`ABANDONED_ANNOTATION`) keeps consolidation from trying again at once, as Karpenter
undoes a disruption whose replacements do not initialize. An interruption never gives
up: the instance goes anyway.

Nodes are worked on by a bounded pool of workers: a pass waits a few seconds for them,
and a node whose work is still running (an API call that hangs) is skipped by the passes
that start meanwhile, so one stuck drain never holds up the others. A node whose work
fails is logged and tried again on the next pass.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace

from spotwise.decisions.interruption.drain import (
    Backoff,
    DrainPod,
    DrainStep,
    Role,
    detach_until,
    drain_step,
    heartbeat_due,
)
from spotwise.decisions.interruption.node_state import (
    ABANDONED_ANNOTATION,
    InProgress,
    drained,
    in_progress,
    iso,
    released,
    unmark,
)
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.interruption.metrics import InterruptionMetrics
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.provider_id import instance_id
from spotwise.ports.autoscaling import AutoScaling, LifecycleAction
from spotwise.ports.clock import Clock
from spotwise.ports.cloud import Cloud, CloudError
from spotwise.ports.cluster import Cluster, ClusterEvent, Eviction

log = logging.getLogger(__name__)

# How long a pass waits for its nodes' work; what is still running carries on.
PASS_WAIT_SECONDS = 5.0
# How long a failed lifecycle call (heartbeat, completion) waits before the next try.
LIFECYCLE_RETRY_SECONDS = 30.0
# How long a voluntary drain without a deadline waits for one of its pods to leave: longer
# than a replacement has to register (the provisioner's 15 minutes).
STALLED_SECONDS = 1200.0

# Taints of nodes that take no pods now, whatever the pods tolerate.
_NOT_READY = frozenset({"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"})


@dataclass(slots=True)
class DrainReport:
    """What one run did.

    Attributes:
        evicted: Pods evicted, with whether their replacement capacity was Ready.
        deleted: Pods deleted at the deadline, budgets aside, with whether their
            replacement capacity was Ready.
        blocked: Evictions a budget refused (tried again after a backoff).
        finished: Nodes whose pods are all gone (counted once per drain).
        retired: Nodes retired after their drain: spotwise's terminated, lifecycle
            actions released, rebooted nodes unmarked.
        heartbeats: Lifecycle actions kept alive, by instance id.
        waiting: Nodes still waiting, with why.
        abandoned: Voluntary drains given up (none of their pods could leave).
    """

    evicted: list[tuple[str, bool]] = field(default_factory=list)
    deleted: list[tuple[str, bool]] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    heartbeats: list[str] = field(default_factory=list)
    waiting: dict[str, str] = field(default_factory=dict)
    abandoned: list[str] = field(default_factory=list)

    def add(self, other: DrainReport) -> None:
        """Count ``other`` (one node's report) in this one."""
        self.evicted.extend(other.evicted)
        self.deleted.extend(other.deleted)
        self.blocked.extend(other.blocked)
        self.finished.extend(other.finished)
        self.retired.extend(other.retired)
        self.heartbeats.extend(other.heartbeats)
        self.waiting.update(other.waiting)
        self.abandoned.extend(other.abandoned)


class Drainer:
    """Drains interrupted nodes through the Cluster port, and retires spotwise's.

    Args:
        cluster: The cluster.
        cloud: The cloud, to terminate a drained node's instance.
        clock: Time.
        dry_run: Decide and log, change nothing.
        metrics: Where pods moved and drain durations are counted; None counts nothing.
        autoscaling: Auto Scaling, to keep and release lifecycle actions; None leaves
            them to their hooks' timeouts.
        workers: How many nodes are worked on at once (1: one after another, in the
            caller's thread, as the simulator runs it).
        pass_wait_seconds: How long a pass waits for its nodes' work (with workers).
    """

    def __init__(
        self,
        cluster: Cluster,
        cloud: Cloud,
        clock: Clock,
        *,
        dry_run: bool = False,
        metrics: InterruptionMetrics | None = None,
        autoscaling: AutoScaling | None = None,
        workers: int = 1,
        pass_wait_seconds: float = PASS_WAIT_SECONDS,
    ):
        self.pass_wait_seconds = pass_wait_seconds
        self._pool = ThreadPoolExecutor(workers, "drain") if workers > 1 else None
        self._busy: dict[str, Future[DrainReport]] = {}
        # What this process did, in case the cache does not show it yet.
        self._drained_at: dict[str, float] = {}
        self._retired: set[str] = set()
        self._lifecycle_retry: dict[str, float] = {}
        self.metrics = metrics
        self.autoscaling = autoscaling
        # Per instance, when its lifecycle hook was last kept alive (in this process; a
        # new leader counts from the mark, when the hook's wait began).
        self._beats: dict[str, float] = {}
        self._timeouts: dict[tuple[str, str], float | None] = {}
        # Per node drained voluntarily (and when it was marked): its pods still there, and
        # since when.
        self._stalled: dict[tuple[str, float | None], tuple[frozenset[str], float]] = {}
        self.cluster = cluster
        self.cloud = cloud
        self.clock = clock
        self.dry_run = dry_run
        self.backoff = Backoff()

    def close(self) -> None:
        """Let the work in flight end and cancel what has not started (on shutdown)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self) -> DrainReport:
        """One pass over every marked node."""
        report = DrainReport()
        snapshot = self.cluster.snapshot()
        marked = [(n, p) for n in snapshot.nodes if (p := in_progress(n)) is not None]
        if not marked:
            return report
        room = replacement_room(
            [n for n, _ in marked], snapshot.nodes, snapshot.daemonsets, snapshot.pending
        )
        # Forget what this process did for nodes that are gone.
        names = {n.name for n in snapshot.nodes}
        self._drained_at = {k: v for k, v in self._drained_at.items() if k in names}
        self._retired &= names
        self._stalled = {k: v for k, v in self._stalled.items() if k[0] in names}
        if self._pool is None:
            for node, progress in marked:
                report.add(self._one(node, progress, room[node.name]))
            return report
        started: list[Future[DrainReport]] = []
        for node, progress in marked:
            if node.name in self._busy:
                report.waiting[node.name] = "still busy from an earlier pass"
                continue
            future = self._pool.submit(self._one, node, progress, room[node.name])
            self._busy[node.name] = future
            future.add_done_callback(self._done(node.name))
            started.append(future)
        done, _ = wait(started, timeout=self.pass_wait_seconds)
        for future in done:
            report.add(future.result())
        return report

    def _done(self, name: str) -> Callable[[Future[DrainReport]], None]:
        """The callback that frees ``name`` for the next pass once its work ends."""

        def free(_: Future[DrainReport]) -> None:
            self._busy.pop(name, None)

        return free

    def _one(self, node: Node, progress: InProgress, fits: frozenset[str]) -> DrainReport:
        """One node's step of this pass; its own report (what failed is logged).

        The clock is read here, not when the pass began: queued work may start late.
        """
        report = DrainReport()
        now = self.clock.now()
        # The cache may not show our own drained-at patch yet: do not count it twice.
        if progress.drained_at is None and node.name in self._drained_at:
            progress = replace(progress, drained_at=self._drained_at[node.name])
        try:
            if progress.drained_at is not None:
                self._retire(node, progress, report)
                return report
            if self._gives_up(node, progress, now):
                self._abandon(node, report)
                return report
            pods = [drain_pod(p) for p in node.pods]
            ready = all(p.key in fits for p in node.pods if not p.per_node and not p.terminating)
            step = drain_step(pods, now, progress.deadline, ready, self.backoff.retry_at, fits)
            self._carry_out(node, progress, step, fits, report)
        except Exception:  # the API away: the next pass tries this node again
            log.exception("draining %s failed; the next pass tries again", node.name)
        return report

    def _gives_up(self, node: Node, progress: InProgress, now: float) -> bool:
        """Whether a voluntary drain saw none of its pods leave for `STALLED_SECONDS`."""
        if not progress.voluntary or progress.deadline is not None:
            return False
        staying = frozenset(p.key for p in node.pods if not p.per_node and not p.terminating)
        key = (node.name, progress.marked_at)  # marked again: a new drain, a new clock
        before = self._stalled.get(key)
        if before is None or before[0] != staying:
            # Seen first (marked, or this process just started: it cannot tell how long
            # the drain has stalled, so it counts from now), or a pod left.
            self._stalled[key] = (staying, now)
            return False
        return bool(staying) and now - before[1] >= STALLED_SECONDS

    def _abandon(self, node: Node, report: DrainReport) -> None:
        """Take the marks of a stalled voluntary drain off: the node serves again."""
        self._stalled = {k: v for k, v in self._stalled.items() if k[0] != node.name}
        log.warning(
            "gave up disrupting %s: none of its pods could leave for %.0f s",
            node.name,
            STALLED_SECONDS,
        )
        if self.dry_run:
            return
        patch = unmark(node)
        stamped = {**patch.annotations, ABANDONED_ANNOTATION: iso(self.clock.now())}
        self.cluster.patch_node(node.name, dataclasses.replace(patch, annotations=stamped))
        self.cluster.emit(
            ClusterEvent(
                "Node",
                node.name,
                "DisruptionAbandoned",
                f"None of its pods could leave for {STALLED_SECONDS:.0f} s (no room for them,"
                " or their budgets allow no eviction); it serves again.",
            )
        )
        report.abandoned.append(node.name)

    def _carry_out(
        self,
        node: Node,
        progress: InProgress,
        step: DrainStep,
        fits: frozenset[str],
        report: DrainReport,
    ) -> None:
        if step.waiting:
            report.waiting[node.name] = step.waiting
        if self.dry_run:
            for key in (*step.delete, *step.evict):
                log.info("would move pod %s off %s", key, node.name)
            return
        now = self.clock.now()
        for key in step.delete:
            ready = key in fits
            self.cluster.delete_pod(key)
            report.deleted.append((key, ready))
            if self.metrics is not None:
                self.metrics.pods_deleted.inc()
            log.warning(
                "deleted pod %s on %s: its grace period would outlast the deadline",
                key,
                node.name,
                extra={"fields": {"pod": key, "node": node.name, "kind": progress.kind}},
            )
        for key in step.evict:
            verdict = self.cluster.evict(key)
            if verdict is Eviction.BLOCKED:
                self.backoff.refused(key, now)
                report.blocked.append(key)
                continue
            self.backoff.forget(key)
            ready = key in fits
            if verdict is Eviction.EVICTED:
                report.evicted.append((key, ready))
                if self.metrics is not None:
                    self.metrics.pods_evicted.labels(str(ready).lower()).inc()
                log.info(
                    "evicted pod %s from %s",
                    key,
                    node.name,
                    extra={"fields": {"pod": key, "node": node.name, "replacement_ready": ready}},
                )
        if step.done:
            self._drained(node, progress, report)
        elif progress.lifecycle is not None:
            self._keep_alive(progress.lifecycle, progress, report)

    def _drained(self, node: Node, progress: InProgress, report: DrainReport) -> None:
        """The node's pods are all gone: recorded on the node, counted once, then retired."""
        now = self.clock.now()
        self.cluster.patch_node(node.name, drained(now))
        self._drained_at[node.name] = now
        report.finished.append(node.name)
        if self.metrics is not None and progress.marked_at is not None:
            self.metrics.drain_seconds.observe(max(0.0, now - progress.marked_at))
        if progress.voluntary:
            event = ClusterEvent(
                "Node",
                node.name,
                "ConsolidationDrained",
                f"Drained for consolidation ({progress.kind}).",
            )
        else:
            event = ClusterEvent(
                "Node", node.name, "InterruptionDrained", f"Drained for {progress.kind}."
            )
        self.cluster.emit(event)
        self._retire(node, replace(progress, drained_at=now), report)

    def _retire(self, node: Node, progress: InProgress, report: DrainReport) -> None:
        """After the drain: the node goes by its owner's way (see the module's docstring)."""
        if self.dry_run or node.name in self._retired:
            return
        ours = NODE_POOL in node.labels and bool(node.provider_id)
        if progress.reboot_from is not None and not ours:
            self._await_reboot(node, progress, report)
            return
        held = progress.lifecycle is not None and self.autoscaling is not None
        if not ours and not held:
            return  # another group's node: its owner (or its hook's timeout) ends it
        assert progress.drained_at is not None
        volumes = self.cluster.attached_volumes(node.name)
        if volumes and self.clock.now() < detach_until(progress.deadline, progress.drained_at):
            report.waiting[node.name] = f"waiting for {len(volumes)} volumes to detach"
            if progress.lifecycle is not None:
                self._keep_alive(progress.lifecycle, progress, report)
            return
        if held:
            assert progress.lifecycle is not None and self.autoscaling is not None
            if not self._lifecycle_call(self.autoscaling.complete, progress.lifecycle):
                return
            self.cluster.patch_node(node.name, released())
            self._beats.pop(progress.lifecycle.instance_id, None)
            self._event(node, "InterruptionReleased", "its Auto Scaling group terminates it")
        if ours:
            self.cloud.terminate([instance_id(node.provider_id)])
            self._event(node, "InterruptionTerminated", "its instance is terminated")
            self.cluster.delete_node(node.name)
        self._retired.add(node.name)
        report.retired.append(node.name)

    def _await_reboot(self, node: Node, progress: InProgress, report: DrainReport) -> None:
        """A reboot-only maintenance: the marks come off once the node is back."""
        back = node.boot_id and node.boot_id != progress.reboot_from
        if not back or any(t.key in _NOT_READY for t in node.taints):
            report.waiting[node.name] = "waiting for the node to reboot"
            return
        self.cluster.patch_node(node.name, unmark(node))
        self._event(node, "InterruptionRebooted", "it is back from its maintenance reboot")
        report.retired.append(node.name)

    def _keep_alive(
        self, action: LifecycleAction, progress: InProgress, report: DrainReport
    ) -> None:
        """Heartbeat the lifecycle hook that holds the instance, at half its timeout."""
        if self.autoscaling is None or self.dry_run:
            return
        key = (action.group, action.hook)
        if key not in self._timeouts:
            self._timeouts[key] = self.autoscaling.heartbeat_timeout(*key)
        timeout = self._timeouts[key]
        now = self.clock.now()
        last = self._beats.get(action.instance_id, progress.marked_at or now)
        if timeout is None or not heartbeat_due(last, timeout, now):
            return
        if self._lifecycle_call(self.autoscaling.record_heartbeat, action):
            self._beats[action.instance_id] = now
            report.heartbeats.append(action.instance_id)

    def _lifecycle_call(
        self, call: Callable[[LifecycleAction], None], action: LifecycleAction
    ) -> bool:
        """Make a lifecycle call; a failure is logged and the call waits a while.

        A group whose hook spotwise may not release (no managed tag, so no permission)
        would otherwise be asked every second.
        """
        now = self.clock.now()
        if now < self._lifecycle_retry.get(action.instance_id, now):
            return False
        try:
            call(action)
        except CloudError as error:
            self._lifecycle_retry[action.instance_id] = now + LIFECYCLE_RETRY_SECONDS
            log.warning(
                "lifecycle action of %s: %s; trying again in %.0f s",
                action.instance_id,
                error,
                LIFECYCLE_RETRY_SECONDS,
            )
            return False
        self._lifecycle_retry.pop(action.instance_id, None)
        return True

    def _event(self, node: Node, reason: str, what: str) -> None:
        self.cluster.emit(ClusterEvent("Node", node.name, reason, f"Drained; {what}."))


def drain_pod(pod: Pod) -> DrainPod:
    """What the drain needs of a pod."""
    role = Role.STAYS if pod.per_node else Role.CRITICAL if pod.critical else Role.ORDINARY
    return DrainPod(pod.key, pod.grace_seconds, role, pod.terminating)


def replacement_room(
    leaving: Sequence[Node],
    nodes: Sequence[Node],
    daemonsets: Sequence[PodSpec],
    pending: Sequence[Pod] = (),
) -> dict[str, frozenset[str]]:
    """For each node going away, the pods that must leave it and fit on Ready nodes that stay.

    The pods of every node going away are placed together, so that two nodes' pods are
    not both counted into the same free room; pending pods (the replacements of pods
    evicted already among them) are placed first, as kube-scheduler will bind them there.
    """
    going = {n.name for n in leaving}
    staying = tuple(
        n for n in nodes if n.name not in going and not any(t.key in _NOT_READY for t in n.taints)
    )
    moving = {n.name: [p for p in n.pods if not p.per_node and not p.terminating] for n in leaving}
    pods = tuple(p for group in moving.values() for p in group)
    if not pods:
        return dict.fromkeys(going, frozenset())
    if pending:
        bound: dict[str, list[Pod]] = {}
        by_key = {p.key: p for p in pending}
        for e in pack(PackInput(tuple(pending), staying, (), tuple(daemonsets))).existing:
            bound.setdefault(e.node, []).append(by_key[e.pod])
        staying = tuple(
            dataclasses.replace(n, pods=(*n.pods, *bound[n.name])) if n.name in bound else n
            for n in staying
        )
    placed = {p.pod for p in pack(PackInput(pods, staying, (), tuple(daemonsets))).existing}
    return {
        name: frozenset(p.key for p in group if p.key in placed) for name, group in moving.items()
    }
